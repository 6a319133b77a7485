import type { Redis } from 'ioredis';
import { isUuid, type Db } from '../db/db.js';
import type { FeedPublisher } from './feed.js';
import type { DeliveryMetrics } from './metrics-port.js';
import type { CallStatusEvent, MessageStatusEvent, StatusListener } from './status-port.js';
import { toChange, type DeliveriesRepo, type Delivery, type Transition } from './deliveries-repo.js';
import type { EngineRepo } from './engine-repo.js';
import { fromCallStatus, fromMessageStatus } from './delivery-status.js';

export type DeliveryStatusDeps = {
  db: Db;
  deliveries: Pick<DeliveriesRepo, 'transition' | 'findByProviderId'>;
  engine: Pick<EngineRepo, 'completeIfDone'>;
  redis: Redis;
  prefix: string;
  feed: FeedPublisher;
  metrics?: DeliveryMetrics;
};

/** Callbacks for a message id not stored yet are kept this long, then applied when it is. */
const EARLY_TTL_SECONDS = 900;

/**
 * Moves deliveries on from carrier status callbacks (queued, sent, delivered, failed with the
 * carrier's code, answered, no-answer, busy) and from the outbound call flows (acknowledged).
 * Idempotent and order-safe: a delivery only moves to a higher-ranked status (delivery-status.ts).
 * A message callback can beat the worker's write of the provider id: it is parked in Redis and
 * applied by `afterSent` once the id is stored.
 */
export const createDeliveryStatus = (deps: DeliveryStatusDeps) => {
  const earlyKey = (providerId: string) => `${deps.prefix}:early-status:${providerId}`;

  const moved = async (d: Delivery | null) => {
    if (!d) return;
    deps.metrics?.reached([d]); // `transition` returns a row only when it really moved
    if (d.status === 'failed' && d.errorCode) deps.metrics?.carrierError(d.channel, d.errorCode, 'callback');
    const done = await deps.engine.completeIfDone(deps.db, [d.activationId]);
    await deps.feed.publish(d.accountId, [toChange(d), ...done]);
  };

  const apply = async (t: Transition) => {
    const d = await deps.deliveries.transition(deps.db, t);
    await moved(d);
    return d;
  };

  const messageTransition = (e: MessageStatusEvent): Transition | null => {
    const to = fromMessageStatus(e.status);
    return to ? { accountId: e.accountId, providerId: e.providerId, to, errorCode: to === 'failed' ? e.errorCode ?? 'undelivered' : null, sequence: e.sequence, detail: { carrierStatus: e.status } } : null;
  };

  const onMessageStatus = async (e: MessageStatusEvent): Promise<void> => {
    const t = messageTransition(e);
    if (!t) return;
    if (await apply(t)) return;
    if (await deps.deliveries.findByProviderId(deps.db, e.accountId, e.providerId)) return; // known, already further on
    // Not stored yet (the send is still being recorded) or not ours: park it, then look once more.
    await deps.redis.multi().rpush(earlyKey(e.providerId), JSON.stringify(e)).expire(earlyKey(e.providerId), EARLY_TTL_SECONDS).exec();
    if (await deps.deliveries.findByProviderId(deps.db, e.accountId, e.providerId)) await afterSent(e.accountId, [e.providerId]);
  };

  /** Applies parked callbacks of these provider ids (called after the worker stored them). */
  const afterSent = async (accountId: string, providerIds: string[]): Promise<void> => {
    // Almost always nothing is parked: one EXISTS over the batch instead of one LRANGE per send.
    if ((await deps.redis.exists(...providerIds.map(earlyKey))) === 0) return;
    const p = deps.redis.pipeline();
    for (const id of providerIds) p.lrange(earlyKey(id), 0, -1);
    const res = (await p.exec()) ?? [];
    const found = providerIds.filter((_id, i) => ((res[i]?.[1] as string[] | undefined) ?? []).length > 0);
    if (found.length === 0) return;
    await deps.redis.del(...found.map(earlyKey));
    for (const [i, id] of providerIds.entries()) {
      for (const raw of (res[i]?.[1] as string[] | undefined) ?? []) {
        const e = { ...(JSON.parse(raw) as MessageStatusEvent), providerId: id };
        if (e.accountId !== accountId) continue;
        const t = messageTransition(e);
        if (t) await apply(t);
      }
    }
  };

  const onCallStatus = async (e: CallStatusEvent): Promise<void> => {
    const to = fromCallStatus(e.status);
    if (!to) return;
    const deliveryId = e.params.delivery && isUuid(e.params.delivery) ? e.params.delivery : undefined;
    await apply({
      accountId: e.accountId, deliveryId, providerId: e.providerId, to,
      errorCode: to === 'failed' ? e.status : null, sequence: e.sequence,
      detail: { carrierStatus: e.status, ...(e.durationSeconds !== null ? { durationSeconds: e.durationSeconds } : {}) },
    });
  };

  /** The callee pressed 1 (or a responder tapped Acknowledge: `detail.via`): records the acknowledgement (once). */
  const acknowledge = async (accountId: string, deliveryId: string, detail: Record<string, unknown> = {}) =>
    apply({ accountId, deliveryId, to: 'acknowledged', detail: { via: 'keypress', ...detail } });

  /** The call was answered (its TwiML was fetched): earlier than the carrier's callback may say so. */
  const answered = async (accountId: string, deliveryId: string) => apply({ accountId, deliveryId, to: 'answered', detail: { via: 'twiml' } });

  const listener: StatusListener = { onMessageStatus, onCallStatus };
  return { listener, afterSent, acknowledge, answered };
};

export type DeliveryStatusService = ReturnType<typeof createDeliveryStatus>;
