/**
 * How post-call workflows send: through the action engine's deliveries, like every message
 * (src/delivery/direct-sends.ts). One post-call workflow run on one call is one activation
 * (source `call_tracking`, idempotency key `tracking:<CallSid>:<workflow id>`) of the account's
 * hidden "Call tracking sends" system workflow, holding one `pending` delivery per send. Written
 * in the caller's transaction, with the log row — so a run's sends exist once or not at all.
 * Texts to the caller also get their conversation row.
 */
import type { PoolClient } from 'pg';
import { createDirectSends, trackingSends } from '../engine/direct-sends.js';

export type TrackingDelivery = {
  actionId: string;
  channel: 'sms' | 'email' | 'webhook';
  /** `caller`, `owner:<email>`, `webhook`: unique per action in the activation. */
  recipientKey: string;
  contactId: string | null;
  address: string | null;
  /** src/delivery/delivery-payloads.ts: sms `{ body, lineId, from }`, email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`. */
  payload: Record<string, unknown>;
};

export type TrackingSendBatch = {
  accountId: string;
  key: string;
  context: Record<string, unknown>;
  lineId: string | null;
  deliveries: TrackingDelivery[];
};

export const createTrackingSends = () => {
  const direct = createDirectSends(trackingSends);

  /**
   * Writes the activation and its deliveries (and the conversation rows of texts). Idempotent on
   * `key`: a repeat creates nothing and returns the first run's ids, keyed `<action id>/<recipient key>`.
   */
  const send = async (tx: PoolClient, b: TrackingSendBatch): Promise<{ activationId: string; deliveryIds: Record<string, string>; created: boolean }> => {
    const r = await direct.send(tx, {
      accountId: b.accountId, key: b.key, context: b.context,
      deliveries: b.deliveries.map((d) => ({ ...d, meta: b.context, history: d.channel === 'sms' })),
    });
    const deliveryIds = Object.fromEntries(r.deliveries.map((d) => [`${d.actionId}/${d.recipientKey}`, d.id]));
    return { activationId: r.activationId as string, deliveryIds, created: r.created };
  };

  return { send };
};
export type TrackingSends = ReturnType<typeof createTrackingSends>;

