import type { Db } from '../db/db.js';
import type { DeliveryJob } from '../engine/channel-port.js';
import { insertPlanned } from '../engine/deliveries-repo.js';
import type { PushPayload } from '../engine/delivery-payloads.js';
import type { Logger } from '../logger.js';

export type PushFallbackDeps = {
  db: Db;
  /** The engine's delivery queue (`queueDeliveries`): best effort, the engine's sweeper queues a pending row it missed. */
  queueDeliveries(deliveryIds: string[]): Promise<void>;
  logger: Pick<Logger, 'warn'>;
};

/** `sms`: an SMS was planned now; `exists`: the person already has this action's SMS; `none`: no fallback row in the payload. */
export type FallbackResult = 'sms' | 'exists' | 'none';

/**
 * The send-time fallback of a push that cannot be delivered: inserts the SMS delivery the planner
 * prepared (`payload.smsFallback`) and hands it to the delivery queue. Exactly once: the row has
 * the delivery key (activation, action, recipient, 'sms') and is inserted with ON CONFLICT DO
 * NOTHING, so retries, a second worker or an action that already texts this person add nothing.
 * Called before the push delivery is finished, so the activation never completes in between; a
 * crash after the insert leaves a pending row that the engine's sweeper queues.
 */
export const createPushFallback = (deps: PushFallbackDeps) => ({
  async toSms(job: DeliveryJob, reason: string): Promise<FallbackResult> {
    const fb = (job.payload as Partial<PushPayload>).smsFallback;
    if (!fb) return 'none';
    const created = await insertPlanned(deps.db, job.accountId, job.activationId, [
      { ...fb, meta: { ...fb.meta, fallbackFrom: 'push', pushDeliveryId: job.deliveryId, pushFailure: reason } },
    ]);
    const pending = created.filter((d) => d.status === 'pending').map((d) => d.id);
    if (pending.length > 0) await deps.queueDeliveries(pending).catch((err: unknown) => {
      deps.logger.warn({ err, deliveryId: job.deliveryId }, 'push fallback SMS not queued; the sweeper will queue it');
    });
    return created.length > 0 ? 'sms' : 'exists';
  },
});

export type PushFallback = ReturnType<typeof createPushFallback>;
