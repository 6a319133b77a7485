import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { ProviderError } from '../errors.js';
import type { FeedPublisher } from './feed.js';
import type { Logger } from '../logger.js';
import type { DeliveryMetrics } from './metrics-port.js';
import { isJobPending, type DeliveryBatchJob, type TimerJob } from './queues.js';
import type { TelephonyProvider } from './telephony-port.js';
import { toChange, type DeliveriesRepo, type Delivery, type Outcome } from './deliveries-repo.js';
import { enqueueDeliveries } from './delivery-queue.js';
import { fromMessageStatus } from './delivery-status.js';
import type { EngineRepo } from './engine-repo.js';
import type { EngineTimersRepo } from './engine-timers-repo.js';
import type { LineDirectory } from './line-directory.js';
import type { SweeperRepo } from './sweeper-repo.js';
import { findSentSms } from './telephony-sender.js';

export type DeliverySweeperDeps = {
  db: Db;
  repo: SweeperRepo;
  timers: Pick<EngineTimersRepo, 'listOverdueTimers'>;
  engine: Pick<EngineRepo, 'completeIfDone'>;
  /** `providerIdsTaken` is for `findSentSms` (telephony-sender.ts). */
  deliveries: Pick<DeliveriesRepo, 'finish' | 'providerIdsTaken'>;
  queues: { deliveries: Queue<DeliveryBatchJob>; timers: Queue<TimerJob> };
  lines: LineDirectory;
  providers: Partial<Record<'twilio' | 'simulator', TelephonyProvider>>;
  feed: FeedPublisher;
  metrics?: Pick<DeliveryMetrics, 'reached'>;
  /**
   * `smsLookupAfterDoubtMs` (SMS_LOOKUP_AFTER_DOUBT_MS): a dead worker's send is looked up only
   * once the carrier could have finished it (see `takeInDoubt`).
   */
  settings: { staleAfterMs: number; inDoubtAfterMs: number; batchSize: number; smsLookupAfterDoubtMs?: number };
  logger: Logger;
};

/**
 * Repairs what a crash or a Redis loss left behind, safely from any number of processes:
 * - pending deliveries whose job is gone: queued again (claims make a duplicate job harmless);
 * - deliveries left `sending` by a killed worker (no provider id, claimed long ago): an SMS is
 *   looked up at the carrier (`findMessages`): found -> recorded as sent, not found -> sent
 *   again; a call, e-mail, push or webhook cannot be looked up and is failed as `send_in_doubt`
 *   rather than repeated (a late carrier callback for such a call still revives it);
 * - due engine timers whose job is gone, and running or dispatched activations that are in fact done.
 */
export const createDeliverySweeper = (deps: DeliverySweeperDeps) => {
  const requeueStale = async (): Promise<number> => {
    const ids = await deps.repo.touchStalePending(deps.db, deps.settings.staleAfterMs);
    if (ids.length) {
      await enqueueDeliveries(deps.queues.deliveries, ids, deps.settings.batchSize, { tag: `s${Date.now()}` });
      deps.logger.warn({ deliveries: ids.length }, 'sweeper queued stale deliveries again');
    }
    return ids.length;
  };

  /**
   * Takes over in-doubt rows with a new claim token (the dead worker's token no longer matches);
   * returns each with the time it was claimed before, from which the carrier is searched.
   */
  const takeInDoubt = async (token: string): Promise<Array<{ d: Delivery; claimedBefore: Date }>> => {
    // A worker sends only within half the in-doubt window of its last confirmed claim, so a send
    // began at most inDoubt/2 after `claimed_at`: waiting lookup + inDoubt/2 from it lets the
    // carrier finish even a slow request before it is looked up (and maybe sent again).
    const { inDoubtAfterMs, smsLookupAfterDoubtMs = 0 } = deps.settings;
    const takeOverAfterMs = Math.max(inDoubtAfterMs, smsLookupAfterDoubtMs + inDoubtAfterMs / 2);
    return deps.repo.takeInDoubt(deps.db, token, takeOverAfterMs);
  };

  const reconcileOne = async (d: Delivery, claimedBefore: Date): Promise<Outcome> => {
    if (d.channel !== 'sms') {
      return { id: d.id, status: 'failed', errorCode: 'send_in_doubt', errorMessage: 'the worker stopped while sending; not repeated to avoid a duplicate' };
    }
    const found = await findSentSms(deps, { deliveryId: d.id, lineId: String(d.payload.lineId ?? ''), address: d.address, body: String(d.payload.body ?? '') }, new Date(claimedBefore.getTime() - 60_000))
      .catch((err: unknown) => {
        // No line, address or provider to ask: failed as in doubt (other errors: the next sweep asks again).
        if (err instanceof ProviderError && (err.providerCode === 'no_route' || err.providerCode === 'no_provider')) return 'unroutable' as const;
        throw err;
      });
    if (found === 'unroutable') return { id: d.id, status: 'failed', errorCode: 'send_in_doubt', errorMessage: 'cannot look up the carrier' };
    if (found) {
      return { id: d.id, status: fromMessageStatus(found.carrierStatus) ?? 'queued', provider: found.provider, providerId: found.providerId, meta: { reconciled: true } };
    }
    return { id: d.id, status: 'pending', uncount: true, meta: { reconciled: true } };
  };

  const reconcileInDoubt = async (): Promise<number> => {
    const token = randomUUID();
    const rows = await takeInDoubt(token);
    if (rows.length === 0) return 0;
    const outcomes: Outcome[] = [];
    // A few carrier lookups at a time: fast after a crash, gentle on the carrier's API.
    for (let i = 0; i < rows.length; i += 10) {
      await Promise.all(rows.slice(i, i + 10).map(async ({ d, claimedBefore }) => {
        try {
          outcomes.push(await reconcileOne(d, claimedBefore));
        } catch (err) {
          // Left `sending` with our token: the next sweep takes it over again.
          deps.logger.warn({ err, deliveryId: d.id }, 'reconcile failed; will try again');
        }
      }));
    }
    const stored = await deps.deliveries.finish(deps.db, token, outcomes);
    const again = outcomes.filter((o) => o.status === 'pending').map((o) => o.id);
    await enqueueDeliveries(deps.queues.deliveries, again, deps.settings.batchSize, { tag: `rc${Date.now()}` });
    const intended = new Map(outcomes.map((o) => [o.id, o.status]));
    deps.metrics?.reached(stored.filter((d) => intended.get(d.id) === d.status));
    for (const d of stored) await deps.feed.publish(d.accountId, [toChange(d)]);
    const done = await deps.engine.completeIfDone(deps.db, [...new Set(stored.map((d) => d.activationId))]);
    for (const c of done) await deps.feed.publish(c.accountId, [c]);
    deps.logger.warn({ reconciled: stored.length, resent: again.length }, 'sweeper reconciled sends left in doubt');
    return stored.length;
  };

  const requeueTimers = async (): Promise<void> => {
    for (const t of await deps.timers.listOverdueTimers(deps.db)) {
      const jobId = `cr-${t.activationId}-${t.actionId}`;
      if ((await isJobPending(deps.queues.timers, jobId)) === 'pending') continue;
      await (await deps.queues.timers.getJob(jobId))?.remove().catch(() => undefined);
      await deps.queues.timers.add('conference_retry', { activationId: t.activationId, actionId: t.actionId, kind: t.kind }, { jobId });
    }
  };

  const completeStuck = async (): Promise<void> => {
    const done = await deps.engine.completeIfDone(deps.db, await deps.repo.listPossiblyDoneActivations(deps.db));
    for (const c of done) await deps.feed.publish(c.accountId, [c]);
  };

  /** One sweep of every kind. */
  const sweep = async (): Promise<void> => {
    await requeueStale();
    await reconcileInDoubt();
    await requeueTimers();
    await completeStuck();
  };

  return { sweep, requeueStale, reconcileInDoubt };
};
