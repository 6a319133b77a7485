import { Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTransaction, type Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import { EVENT_QUEUE, eventJobOptions, removeFinishedJobs, type EventJob } from './event-queue.js';
import type { DomainEvent, EventConsumer } from './event-types.js';
import type { EventOutboxRepo } from './event-outbox-repo.js';
import type { EventsRepo } from './events-repo.js';

export type EventWorkerDeps = {
  db: Db;
  events: Pick<EventsRepo, 'findEvent'>;
  outbox: Pick<EventOutboxRepo, 'consumersDone' | 'markConsumed' | 'completeEvent' | 'lockDueEventOutbox' | 'markOutboxSwept'>;
  /** A connection made for workers (`maxRetriesPerRequest: null`); closed by the caller. */
  connection: Redis;
  prefix: string;
  queue: Queue<EventJob>;
  consumers: EventConsumer[];
  logger: Logger;
  concurrency: number;
  sweepIntervalMs: number;
  /** An outbox row dispatched this long ago and still not completed is queued again. */
  redispatchAfterMs: number;
};

/**
 * Give up re-queueing an event whose consumers failed this many times (it stays in `outbox`).
 * Only real queueings count: a sweep that finds the job still queued or running does not.
 */
const MAX_DISPATCHES = 20;

/**
 * Runs every registered consumer once per event. A consumer that succeeded is recorded in
 * `event_consumptions` and skipped when the job runs again; one that failed makes the job retry
 * (with backoff) for that consumer only.
 */
export const createEventProcessor = (deps: Pick<EventWorkerDeps, 'db' | 'events' | 'outbox' | 'consumers' | 'logger'>) =>
  async (eventId: string): Promise<DomainEvent | null> => {
    const event = await deps.events.findEvent(deps.db, eventId);
    // Not visible yet (producer's transaction still open) or rolled back: retry, then give up.
    if (!event) throw new Error(`event ${eventId} not found (yet)`);
    const consumed = await deps.outbox.consumersDone(deps.db, eventId);
    const failures: unknown[] = [];
    for (const c of deps.consumers) {
      if (consumed.has(c.name)) continue;
      try {
        await c.handle(event);
        await deps.outbox.markConsumed(deps.db, eventId, c.name);
      } catch (err) {
        deps.logger.warn({ err, eventId, consumer: c.name }, 'event consumer failed');
        failures.push(err);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} consumer(s) failed for event ${eventId}`);
    await deps.outbox.completeEvent(deps.db, eventId);
    return event;
  };

/**
 * Queues outbox rows of topic `event` that were never dispatched, whose job Redis lost, or whose
 * job finished (failed) with the row still incomplete. Rows are locked with SKIP LOCKED, so many
 * sweepers never queue one row at the same moment. A row whose job is still waiting, delayed
 * (retry backoff) or running is only looked at again later: it is not a new dispatch attempt.
 */
export const sweepEventOutbox = async (
  deps: Pick<EventWorkerDeps, 'db' | 'outbox' | 'queue' | 'redispatchAfterMs'>, limit = 500,
): Promise<number> =>
  withTransaction(deps.db, async (tx) => {
    const due = await deps.outbox.lockDueEventOutbox(tx, deps.redispatchAfterMs, MAX_DISPATCHES, limit);
    if (due.length === 0) return 0;
    // A job kept as completed/failed would swallow the re-add (same job id).
    const live = await removeFinishedJobs(deps.queue, due.filter((x) => x.dispatchedAt).map((x) => x.eventId));
    const requeue = due.filter((r) => !live.has(r.eventId));
    if (requeue.length > 0) {
      await deps.queue.addBulk(requeue.map((r) => ({ name: 'event', data: { eventId: r.eventId }, opts: { ...eventJobOptions, jobId: r.eventId } })));
    }
    await deps.outbox.markOutboxSwept(tx, requeue.map((r) => r.id), due.map((r) => r.id));
    return requeue.length;
  });

/** Starts the event worker and its outbox sweeper; `close()` stops both, finishing in-flight jobs. */
export const startEventWorker = (deps: EventWorkerDeps): { close(): Promise<void>; sweep(): Promise<number> } => {
  const handleEvent = createEventProcessor(deps);
  const worker = new Worker<EventJob>(EVENT_QUEUE, async (job) => { await handleEvent(job.data.eventId); }, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
  });
  worker.on('error', (err) => deps.logger.warn({ err }, 'event worker error'));
  const sweep = () => sweepEventOutbox(deps);
  const sweeps = startPoller({
    intervalMs: deps.sweepIntervalMs, logger: deps.logger, errorMessage: 'event outbox sweep failed',
    pass: async () => { await sweep(); },
  });
  return {
    sweep,
    async close() {
      await sweeps.close();
      await worker.close();
    },
  };
};
