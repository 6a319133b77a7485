import { Worker, type Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { ProviderError } from '../errors.js';
import { groupBy } from '../group-by.js';
import type { FeedPublisher } from './feed.js';
import type { Logger } from '../logger.js';
import type { DeliveryMetrics } from './metrics-port.js';
import { URGENT_LANE_JOBS, urgentLaneInFlight, type DeliveryBatchJob } from './queues.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ChannelResult, ChannelSender } from './channel-port.js';
import { createClaimKeeper } from './claim-keeper.js';
import type { ContactRefusalsRepo } from './contact-refusals-repo.js';
import { toChange, type DeliveriesRepo, type Delivery, type DeliveryState, type Outcome } from './deliveries-repo.js';
import type { EngineRepo } from './engine-repo.js';
import { laterBatches, paceRows } from './delivery-pacing.js';
import { enqueueDeliveries } from './delivery-queue.js';
import { isCallChannel } from './delivery-status.js';
import type { LaneGate } from './lane-gate.js';
import type { LineDirectory } from './line-directory.js';

export type DeliveryWorkerDeps = {
  db: Db;
  /** `claimSendable`: the claim with the do-not-contact and opt-out check. */
  refusals: Pick<ContactRefusalsRepo, 'claimSendable'>;
  deliveries: Pick<DeliveriesRepo, 'finish' | 'refreshClaims'>;
  engine: Pick<EngineRepo, 'completeIfDone'>;
  senders: ChannelSender[];
  lines: LineDirectory;
  limiter: RateLimiter;
  feed: FeedPublisher;
  queue: Queue<DeliveryBatchJob>;
  /** The small activations' lane (`deliveries-urgent`): its jobs' retries and paced rows go back there. */
  urgentQueue?: Queue<DeliveryBatchJob>;
  /** Urgent work first in this process (src/engine/lane-gate.ts); none: the lanes share the process evenly. */
  laneGate?: LaneGate;
  /** Applies carrier callbacks that arrived before the provider id was stored. */
  afterSent?: (accountId: string, providerIds: string[]) => Promise<void>;
  /** Outcomes, carrier errors and 429 pauses, as they happen. */
  metrics?: DeliveryMetrics;
  settings: {
    maxAttempts: number; backoffMs: number; batchSize: number; defaultSmsPerSecond: number; defaultCallsPerSecond: number;
    /** Sends in flight in this process at most (across jobs): bounds sockets and memory. */
    maxInFlight: number;
    /**
     * Sends of the urgent lane in flight at most, beside `maxInFlight` (their own slots: a
     * broadcast holding every bulk slot, even at a stalled carrier, does not hold them up).
     */
    urgentMaxInFlight?: number;
    /**
     * SEND_IN_DOUBT_AFTER_MS: the sweeper takes over a `sending` row claimed longer ago than this.
     * This worker refreshes the claims it holds every quarter of it, and sends a row only within
     * half of it from its last confirmed claim, so it never sends a row the sweeper took over.
     */
    inDoubtAfterMs: number;
    /** CALL_RETRY_AFTER_DOUBT_MS: the least wait before retrying a call that may have been placed. */
    callRetryAfterDoubtMs: number;
    /**
     * SMS_LOOKUP_AFTER_DOUBT_MS: a text that may have reached the carrier is looked up (then sent
     * again if not found) no sooner than this after that attempt started, whatever the backoff.
     */
    smsLookupAfterDoubtMs: number;
  };
  logger: Logger;
};

/**
 * Which queue a job came from: `bulk` (`deliveries`) or `urgent` (`deliveries-urgent`, small
 * activations). Each lane has its own claim gate and send slots in this process.
 */
export type DeliveryLane = 'bulk' | 'urgent';

/** The job data, plus `reserved`: its rows already hold send slots (see delivery-pacing.ts). */
export type DeliveryJobData = DeliveryBatchJob & { reserved?: boolean };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** A counting semaphore: at most `n` holders at once, first come first served. */
export const createSemaphore = (n: number) => {
  let free = n;
  const waiting: Array<() => void> = [];
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
  /** Whether a holder would start at once (a slot is free and nobody waits for one). */
  return Object.assign(run, { idle: () => free > 0 && waiting.length === 0 });
};

/** Exponential backoff with jitter: base, 2x, 4x… capped at 10 minutes. */
export const backoffMs = (base: number, attempt: number): number =>
  Math.min(600_000, base * 2 ** Math.max(0, attempt - 1)) * (0.8 + Math.random() * 0.4);

export const createDeliveryWorker = (deps: DeliveryWorkerDeps) => {
  const byChannel = new Map(deps.senders.flatMap((s) => s.channels.map((c) => [c, s] as const)));
  const claims = createClaimKeeper(deps.db, deps.deliveries, deps.settings.inDoubtAfterMs, deps.logger);
  const urgentInFlight = deps.settings.urgentMaxInFlight ?? urgentLaneInFlight(deps.settings.maxInFlight);
  const inFlight = { bulk: createSemaphore(deps.settings.maxInFlight), urgent: createSemaphore(urgentInFlight) };
  // A bulk send trickles while urgent work runs in this process (src/engine/lane-gate.ts).
  const run = <T>(fn: () => Promise<T>) => fn();
  const sendGate = { bulk: deps.laneGate?.bulkSend ?? run, urgent: run };
  // Jobs between claim and outcome at once: enough batches to keep `maxInFlight` sends going
  // while the next batch is claimed, no more. Rows are claimed only when they can be sent soon,
  // so a crash leaves at most about `maxInFlight + batchSize` rows in doubt (to reconcile with
  // the carrier), not `WORKER_CONCURRENCY x batchSize` rows claimed and waiting for a send slot.
  // The urgent lane has its own (its jobs hold one small activation's rows each).
  const claimGate = {
    bulk: createSemaphore(Math.max(2, Math.ceil(deps.settings.maxInFlight / deps.settings.batchSize) + 1)),
    urgent: createSemaphore(URGENT_LANE_JOBS),
  };
  const queueOf = (lane: DeliveryLane) => (lane === 'urgent' ? deps.urgentQueue ?? deps.queue : deps.queue);

  const outcomeOf = (row: Delivery, res: ChannelResult): Outcome => {
    const status = res.status === 'failed' ? 'failed' : res.status === 'skipped' ? 'skipped'
      : res.status === 'delivered' ? 'delivered' : row.channel === 'sms' || isCallChannel(row.channel) ? 'queued' : 'sent';
    return {
      id: row.id, status, provider: res.provider ?? null, providerId: res.providerId ?? null,
      errorCode: res.errorCode ?? null, errorMessage: res.errorMessage ?? null, meta: res.meta ?? null,
    };
  };

  /**
   * When a text in doubt may be looked up: the carrier may still be storing a request whose
   * answer was lost (a slow carrier, a proxy that gave up), so not before `smsLookupAfterDoubtMs`
   * from the start of the latest attempt that may have reached it.
   */
  const lookupDueAt = (row: Delivery): number =>
    typeof row.meta.lastDoubtAt === 'string' ? new Date(row.meta.lastDoubtAt).getTime() + deps.settings.smsLookupAfterDoubtMs : 0;

  const errorOutcome = (row: Delivery, err: unknown, started: number): Outcome & { rateLimited?: boolean } => {
    const pe = err instanceof ProviderError ? err : null;
    if (pe?.rateLimited) return { id: row.id, status: 'pending', uncount: true, rateLimited: true };
    const retryable = pe ? pe.retryable : true;
    const code = pe?.providerCode ?? (pe ? 'provider_error' : 'internal_error');
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    if (retryable && row.attempts < deps.settings.maxAttempts) {
      // The carrier may have acted on it (maybeSent): the retry asks the carrier first, from the
      // first such attempt on. A call cannot be looked up by content: its retry waits long enough
      // for the carrier's first status callback, which records a call that was placed.
      // A text's look-up waits until the carrier could have finished the lost request. When the
      // carrier itself answered (its own 500) that request is over: the look-up follows the backoff.
      // No answer at all, or a gateway's 502/503/504, means the carrier may still be storing it.
      const lostAnswer = pe?.maybeSent === true && pe.providerStatus !== 500;
      const maybeSent = pe?.maybeSent
        ? {
          ...(row.meta.maybeSentSince === undefined ? { maybeSentSince: (row.claimedAt ?? new Date(started)).toISOString() } : {}),
          ...(lostAnswer ? { lastDoubtAt: new Date(started).toISOString() } : {}),
        }
        : null;
      const wait = Math.max(backoffMs(deps.settings.backoffMs, row.attempts), pe?.maybeSent && isCallChannel(row.channel) ? deps.settings.callRetryAfterDoubtMs : 0);
      const notBefore = Math.max(Date.now() + wait, lostAnswer && !isCallChannel(row.channel) ? started + deps.settings.smsLookupAfterDoubtMs : 0);
      return { id: row.id, status: 'pending', errorCode: code, errorMessage: message, notBefore: new Date(notBefore), meta: maybeSent };
    }
    return { id: row.id, status: 'failed', errorCode: code, errorMessage: message };
  };

  // Graceful stop: rows not yet handed to the carrier are given back (a paced row waiting for its
  // slot too); sends already at the carrier finish and are recorded.
  let stopping = false;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => { stop = r; });

  const givenBack = (row: Delivery): Outcome => ({ id: row.id, status: 'pending', uncount: true, notBefore: new Date() });

  const sendOne = async (row: Delivery, at: number, lane: DeliveryLane): Promise<Outcome & { rateLimited?: boolean }> => {
    const sender = byChannel.get(row.channel);
    if (!sender) return { id: row.id, status: 'failed', errorCode: 'channel_unavailable', errorMessage: `no ${row.channel} sender is configured` };
    const wait = at - Date.now();
    if (wait > 0) await Promise.race([sleep(wait), stopped]);
    const job = {
      deliveryId: row.id, accountId: row.accountId, activationId: row.activationId, actionId: row.actionId,
      channel: row.channel, contactId: row.contactId, address: row.address, payload: row.payload, attempt: row.attempts,
    };
    // An earlier attempt may have reached the carrier (timeout, connection lost, carrier 5xx): ask it first.
    const maybeSentSince = typeof row.meta.maybeSentSince === 'string' ? new Date(row.meta.maybeSentSince).getTime() : null;
    // Claimed early (a sweep re-queued it, a job ran twice): the carrier may still be storing the lost text.
    if (maybeSentSince !== null && lookupDueAt(row) > Date.now()) return { ...givenBack(row), notBefore: new Date(lookupDueAt(row)) };
    if (stopping) return givenBack(row);
    let started = Date.now();
    try {
      // Not sent if the claim is no longer known to be ours (this process stalled, or the sweeper
      // took the row over): given back instead (a no-op when the claim was taken over).
      const res = await sendGate[lane](() => inFlight[lane](async () => {
        if (!claims.fresh(row.id) || stopping) return null;
        const earlier = maybeSentSince !== null && sender.findSent ? await sender.findSent(job, new Date(maybeSentSince - 60_000)) : null;
        if (earlier) return earlier;
        if (!claims.fresh(row.id) || stopping) return null;
        started = Date.now();
        return sender.send(job);
      }));
      if (res?.status === 'failed') deps.metrics?.carrierError(row.channel, res.errorCode ?? 'provider_error', 'send');
      return res ? outcomeOf(row, res) : givenBack(row);
    } catch (err) {
      if (!(err instanceof ProviderError)) deps.logger.error({ err, deliveryId: row.id }, 'channel sender threw');
      else deps.metrics?.carrierError(row.channel, err.providerCode ?? 'provider_error', 'send');
      return errorOutcome(row, err, started);
    }
  };

  /**
   * Delivery job: claims its still-pending deliveries (at most once, whatever runs the job twice),
   * paces them per line, sends each through its channel's sender and stores the outcomes in one
   * statement. Transient errors come back later with backoff; a carrier 429 rate-limits the whole
   * queue and the job is retried without counting an attempt; permanent errors fail the delivery
   * with the carrier's code.
   */
  const process = async (data: DeliveryJobData, lane: DeliveryLane, onClaimed?: () => void): Promise<{ sent: number; deferred: number }> => {
    const token = randomUUID();
    // Claimed with the do-not-contact and opt-out check, right before sending, whatever path planned the row.
    const claimedAt = Date.now();
    const { send: rows, refused } = await deps.refusals.claimSendable(deps.db, data.deliveryIds, token);
    onClaimed?.();
    if (rows.length === 0 && refused.length === 0) return { sent: 0, deferred: 0 };
    if (rows.length === 0) {
      deps.metrics?.reached(refused);
      return publishChanges(refused).then(() => ({ sent: 0, deferred: 0 }));
    }
    claims.hold(rows, token, claimedAt);
    try {
      return await sendClaimed(data, token, rows, refused, lane);
    } finally {
      claims.release(rows, token);
    }
  };

  const sendClaimed = async (
    data: DeliveryJobData, token: string, rows: Delivery[], refused: DeliveryState[], lane: DeliveryLane,
  ): Promise<{ sent: number; deferred: number }> => {
    const paced = await paceRows(rows, { lines: deps.lines, limiter: deps.limiter, defaults: { sms: deps.settings.defaultSmsPerSecond, calls: deps.settings.defaultCallsPerSecond } }, data.reserved ?? false);

    const results = await Promise.all(paced.now.map(({ row, at }) => sendOne(row, at, lane)));
    const outcomes: Array<Outcome & { rateLimited?: boolean }> = [
      ...results,
      ...paced.later.map(({ row, at }) => ({ id: row.id, status: 'pending' as const, notBefore: new Date(at), uncount: true })),
      ...paced.broken.map(({ row, error }) => ({ id: row.id, status: 'failed' as const, errorCode: 'line_not_found', errorMessage: error })),
    ];
    const stored = await deps.deliveries.finish(deps.db, token, outcomes.map(({ rateLimited: _r, ...o }) => o));
    // A row a status callback already moved on keeps (and already counted) its own status.
    const intended = new Map(outcomes.map((o) => [o.id, o.status]));
    deps.metrics?.reached([...refused, ...stored.filter((d) => intended.get(d.id) === d.status)]);

    for (const b of laterBatches(paced.later, deps.settings.batchSize)) {
      await queueOf(lane).add('send', { deliveryIds: b.ids, reserved: true } as DeliveryJobData, { jobId: `p-${b.ids[0]}-${b.at}`, delay: Math.max(0, b.at - Date.now()) });
    }
    for (const o of outcomes) {
      if (o.status === 'pending' && o.notBefore && !paced.later.some((l) => l.row.id === o.id)) {
        const attempts = rows.find((r) => r.id === o.id)?.attempts ?? 0;
        await enqueueDeliveries(queueOf(lane), [o.id], 1, { tag: `r${attempts}`, delayMs: o.notBefore.getTime() - Date.now() });
      }
    }
    await publishChanges([...refused, ...stored]);
    const sentIds = stored.filter((d) => d.providerId).map((d) => d.providerId!);
    if (sentIds.length && deps.afterSent) await deps.afterSent(rows[0]!.accountId, sentIds);

    if (outcomes.some((o) => o.rateLimited)) {
      deps.logger.warn({ deliveries: outcomes.filter((o) => o.rateLimited).length }, 'carrier rate limit: slowing the delivery queue');
      // The carrier's limit holds for both lanes.
      await Promise.all([...new Set([deps.queue, queueOf('urgent')])].map((q) => q.rateLimit(1000)));
      deps.metrics?.rateLimitPause();
      throw Worker.RateLimitError();
    }
    return { sent: results.filter((r) => r.status !== 'pending' && r.status !== 'failed').length, deferred: paced.later.length };
  };

  const publishChanges = async (stored: DeliveryState[]) => {
    if (stored.length === 0) return;
    for (const [accountId, list] of groupBy(stored, (d) => d.accountId)) {
      const done = await deps.engine.completeIfDone(deps.db, [...new Set(list.map((d) => d.activationId))]);
      await deps.feed.publish(accountId, [...list.map(toChange), ...done]);
    }
  };

  const urgentJob = (data: DeliveryJobData, onClaimed?: () => void) =>
    claimGate.urgent(() => (deps.laneGate ? deps.laneGate.urgent(() => process(data, 'urgent', onClaimed), { calm: true }) : process(data, 'urgent', onClaimed)));

  /** Sends started by `sendNow`, still running (awaited by `close`). */
  const started = new Set<Promise<unknown>>();

  return {
    /** Runs one delivery job of `lane` (default `bulk`). */
    process: (data: DeliveryJobData, lane: DeliveryLane = 'bulk') => (lane === 'urgent'
      ? urgentJob(data)
      : claimGate.bulk(async () => {
        await deps.laneGate?.bulkTurn();
        return process(data, lane);
      })),
    /**
     * Sends a small activation's deliveries in this process at once, as an urgent-lane job would,
     * without the queue's round trips (the planner, right after writing them). Resolves `true`
     * once they are claimed (the sends go on, and `close` waits for them), so whoever called it
     * can treat them as taken: from then on a crash leaves them to the sweeper like any claimed
     * row. `false`, with nothing claimed, when the urgent lane has no free claim slot in this
     * process, or the claim failed: the caller queues them instead.
     */
    sendNow(deliveryIds: string[]): Promise<boolean> {
      if (stopping || deliveryIds.length === 0 || !claimGate.urgent.idle()) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const job = urgentJob({ deliveryIds }, () => resolve(true));
        started.add(job);
        job.catch(async (err: unknown) => {
          // The carrier's 429: the rows went back to pending, uncounted. A queue job would be
          // retried once the (now rate-limited) queue lets it; these get such a job.
          if (err instanceof Error && err.name === 'RateLimitError') {
            await enqueueDeliveries(queueOf('urgent'), deliveryIds, deps.settings.batchSize, { tag: `rl${Date.now()}` })
              .catch((e: unknown) => deps.logger.warn({ err: e }, 'could not queue rate-limited deliveries; the sweeper will'));
            return;
          }
          // Before the claim: nothing taken, the caller queues them. After it: like a failed
          // job's claimed rows, the sweeper takes them over.
          deps.logger.warn({ err, deliveries: deliveryIds.length }, 'sending a small activation at once failed');
          resolve(false);
        }).finally(() => started.delete(job));
      });
    },
    /** Sends nothing more from now on (call before closing the queue worker); in-flight sends finish. */
    stopSending() { stopping = true; stop(); },
    async close() {
      await Promise.allSettled([...started]);
      await claims.close();
    },
  };
};

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
