import { Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTransaction, type Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { EVENT_QUEUE, eventJobOptions, removeFinishedJobs, type EventJob } from './event-queue.js';
import type { DomainEvent, EventConsumer } from './event-types.js';
import { findEvent } from './events-repo.js';

export type EventWorkerDeps = {
  db: Db;
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
export const createEventProcessor = (deps: Pick<EventWorkerDeps, 'db' | 'consumers' | 'logger'>) =>
  async (eventId: string): Promise<DomainEvent | null> => {
    const event = await findEvent(deps.db, eventId);
    // Not visible yet (producer's transaction still open) or rolled back: retry, then give up.
    if (!event) throw new Error(`event ${eventId} not found (yet)`);
    const done = await deps.db.query('SELECT consumer FROM event_consumptions WHERE event_id = $1', [eventId]);
    const consumed = new Set(done.rows.map((r) => r.consumer as string));
    const failures: unknown[] = [];
    for (const c of deps.consumers) {
      if (consumed.has(c.name)) continue;
      try {
        await c.handle(event);
        await deps.db.query('INSERT INTO event_consumptions (event_id, consumer) VALUES ($1, $2) ON CONFLICT DO NOTHING', [eventId, c.name]);
      } catch (err) {
        deps.logger.warn({ err, eventId, consumer: c.name }, 'event consumer failed');
        failures.push(err);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} consumer(s) failed for event ${eventId}`);
    await deps.db.query(
      `WITH e AS (UPDATE events SET processed_at = COALESCE(processed_at, now()) WHERE id = $1)
       UPDATE outbox SET completed_at = now() WHERE topic = 'event' AND ref_id = $1::text AND completed_at IS NULL`,
      [eventId],
    );
    return event;
  };

/**
 * Queues outbox rows of topic `event` that were never dispatched, whose job Redis lost, or whose
 * job finished (failed) with the row still incomplete. Rows are locked with SKIP LOCKED, so many
 * sweepers never queue one row at the same moment. A row whose job is still waiting, delayed
 * (retry backoff) or running is only looked at again later: it is not a new dispatch attempt.
 */
export const sweepEventOutbox = async (db: Db, queue: Queue<EventJob>, redispatchAfterMs: number, limit = 500): Promise<number> =>
  withTransaction(db, async (tx) => {
    const due = await tx.query(
      `SELECT id, ref_id, dispatched_at FROM outbox
        WHERE topic = 'event' AND completed_at IS NULL AND available_at <= now() AND attempts < $2
          AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => $1::double precision / 1000))
        ORDER BY id LIMIT $3
        FOR UPDATE SKIP LOCKED`,
      [redispatchAfterMs, MAX_DISPATCHES, limit],
    );
    if (due.rows.length === 0) return 0;
    // A job kept as completed/failed would swallow the re-add (same job id).
    const live = await removeFinishedJobs(queue, due.rows.filter((x) => x.dispatched_at).map((x) => x.ref_id as string));
    const requeue = due.rows.filter((r) => !live.has(r.ref_id));
    if (requeue.length > 0) {
      await queue.addBulk(requeue.map((r) => ({ name: 'event', data: { eventId: r.ref_id as string }, opts: { ...eventJobOptions, jobId: r.ref_id as string } })));
    }
    await tx.query(
      `UPDATE outbox SET dispatched_at = now(), attempts = attempts + CASE WHEN id = ANY($1::bigint[]) THEN 1 ELSE 0 END
        WHERE id = ANY($2::bigint[])`,
      [requeue.map((r) => r.id), due.rows.map((r) => r.id)],
    );
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
  let stopped = false;
  let busy = false;
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => sweepEventOutbox(deps.db, deps.queue, deps.redispatchAfterMs);
  const timer = setInterval(() => {
    if (stopped || busy) return;
    busy = true;
    running = sweep().catch((err) => deps.logger.warn({ err }, 'event outbox sweep failed')).finally(() => { busy = false; });
  }, deps.sweepIntervalMs);
  timer.unref();
  return {
    sweep,
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
      await worker.close();
    },
  };
};
