/**
 * How post-call workflows send: through the engine's one send path, like every message
 * (src/engine/ready-plans.ts). One post-call workflow run on one call is one activation
 * (source `call_tracking`, idempotency key `tracking:<CallSid>:<workflow id>`) of the account's
 * hidden "Call tracking sends" system workflow, whose ready plan holds one delivery per send.
 * Written with its outbox row in the caller's transaction, with the log row — so a run's sends
 * exist once or not at all. The planner writes the deliveries (with the ids returned here) and
 * the conversation rows of texts to the caller.
 */
import type { PoolClient } from 'pg';
import { createReadyPlans } from '../engine/ready-plans.js';
import type { ReadyPlansRepo } from '../engine/ready-plans-repo.js';

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

/** The statements a sender runs, wired by its feature's module (the engine's ready-plans-repo.ts). */
export type TrackingSendsDeps = {
  readyPlans: Pick<ReadyPlansRepo, 'findOrCreateSystemWorkflow' | 'insertReadyActivation' | 'findReadyByKey'>;
};

export const createTrackingSends = (deps: TrackingSendsDeps) => {
  const plans = createReadyPlans({ repo: deps.readyPlans });

  /**
   * Writes the activation holding the run's deliveries. Idempotent on `key`: a repeat creates
   * nothing and returns the first run's delivery ids, keyed `<action id>/<recipient key>`. After
   * COMMIT, hand a created `activationId` to the outbox relay.
   */
  const send = async (tx: PoolClient, b: TrackingSendBatch): Promise<{ activationId: string; deliveryIds: Record<string, string>; created: boolean }> => {
    const r = await plans.activateReady(tx, {
      accountId: b.accountId, source: 'call_tracking', key: b.key, context: b.context,
      deliveries: b.deliveries.map((d) => ({ ...d, meta: b.context, history: d.channel === 'sms' })),
    });
    const deliveryIds = Object.fromEntries(r.deliveries.map((d) => [`${d.actionId}/${d.recipientKey}`, d.id]));
    return { activationId: r.activationId, deliveryIds, created: r.created };
  };

  return { send };
};
export type TrackingSends = ReturnType<typeof createTrackingSends>;

