import { Queue, Worker, type Job, type JobsOptions, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * BullMQ wiring for the action engine. Every queue and worker uses `prefix: REDIS_PREFIX` (a
 * hash tag, so all keys share one Redis Cluster slot) and job ids without ':' (BullMQ refuses them).
 *
 * - `activations`: planner jobs: one activation (job id = activation id) or a batch of them
 *   (job id `plan-<uuid>`, named by each one's outbox row), see `PlanJob`.
 * - `deliveries`: delivery jobs (a batch of delivery ids), retries and re-queued strays.
 * - `deliveries-urgent`: the lane of small activations (all their deliveries fit in one delivery
 *   job): same jobs, its own workers and send slots, so a second emergency is not queued behind
 *   a broadcast's thousands of batches (docs/ENGINE.md, "Lanes").
 * - `engine-timers`: delayed engine work (the conference retry after 2 minutes).
 */
export const queueNames = { activations: 'activations', deliveries: 'deliveries', urgent: 'deliveries-urgent', timers: 'engine-timers' } as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

/**
 * Sends of the urgent lane a process keeps in flight at most, beside `DELIVERY_MAX_IN_FLIGHT`
 * for the bulk lane: its own slots (and carrier sockets: size connection pools to the sum).
 */
export const urgentLaneInFlight = (maxInFlight: number): number => Math.max(8, Math.ceil(maxInFlight / 4));

/**
 * Urgent-lane jobs a process runs at once, each one small activation's batch, between its claim
 * and its outcome. At 50 codes keyed a second (3 texts each) two at a time left calls waiting a
 * second for a slot (bench:latency); a crash leaves at most this many small batches in doubt.
 */
export const URGENT_LANE_JOBS = 8;

/**
 * Planner job payload: the activation(s) to expand into deliveries.
 * - `{ activationId }`: one activation; job id = activation id (API and webhook activations, the
 *   outbox sweeper, an activation of a batch queued again alone).
 * - `{ activationIds }`: a batch (schedule firing: one job per up to 250 activations of a pass);
 *   job id `plan-<uuid>`, written as `outbox.job_id` of each activation in the transaction that
 *   created them. Each activation is planned on its own: one that fails is queued again alone
 *   (job id = its activation id, with the single job's retries) and neither fails the batch nor
 *   makes the others plan again. The outbox sweeper treats a waiting or running batch job, or
 *   the activation's own job, as "still queued", and queues the activation alone otherwise.
 */
export type PlanJob = { activationId: string; activationIds?: undefined } | { activationIds: string[]; activationId?: undefined };
/** Delivery job payload: deliveries to claim and send; ones no longer `pending` are ignored. */
export type DeliveryBatchJob = { deliveryIds: string[] };
/** Timer job payload (see `engine_timers`). */
export type TimerJob = { activationId: string; actionId: string; kind: 'conference_retry' };

export type QueueSettings = { prefix: string; lockMs: number };

/** Jobs are kept briefly so a repeated add with the same id is a no-op, then removed. */
const keep: JobsOptions = { removeOnComplete: { age: 3600, count: 20_000 }, removeOnFail: { age: 24 * 3600 } };

export type EngineQueues = {
  activations: Queue<PlanJob>;
  deliveries: Queue<DeliveryBatchJob>;
  /** The small activations' delivery lane (`deliveries-urgent`). */
  urgent: Queue<DeliveryBatchJob>;
  timers: Queue<TimerJob>;
  close(): Promise<void>;
};

/** The planner queue's producer side, with the planner jobs' retries (also for features that queue their own ready plans). */
export const createPlanQueue = (connection: Redis, s: Pick<QueueSettings, 'prefix'>): Queue<PlanJob> => new Queue<PlanJob>(queueNames.activations, {
  connection, prefix: s.prefix, skipWaitingForReady: true,
  defaultJobOptions: { ...keep, attempts: 8, backoff: { type: 'exponential', delay: 1000 } },
});

/** The producer side; shares one connection (non-blocking commands only). */
export const createEngineQueues = (connection: Redis, s: QueueSettings): EngineQueues => {
  const opts = { connection, prefix: s.prefix, defaultJobOptions: keep, skipWaitingForReady: true };
  const activations = createPlanQueue(connection, s);
  const deliveries = new Queue<DeliveryBatchJob>(queueNames.deliveries, opts);
  const urgent = new Queue<DeliveryBatchJob>(queueNames.urgent, opts);
  const timers = new Queue<TimerJob>(queueNames.timers, {
    ...opts,
    defaultJobOptions: { ...keep, attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
  });
  return {
    activations,
    deliveries,
    urgent,
    timers,
    async close() {
      await Promise.allSettled([activations.close(), deliveries.close(), urgent.close(), timers.close()]);
    },
  };
};

/** A running worker and the connection it owns. */
export type EngineWorker<T> = { worker: Worker<T>; close(): Promise<void> };

/**
 * A worker on its own connection (BullMQ needs `maxRetriesPerRequest: null` and duplicates it
 * again for blocking reads). `lockMs` bounds how long a job of a killed process stays invisible
 * before another worker takes it over (stalled-job recovery). `close()` waits for running jobs.
 */
export const createWorker = <T>(
  name: QueueName,
  processor: Processor<T>,
  connection: Redis,
  s: QueueSettings & { concurrency: number },
): EngineWorker<T> => {
  const own = connection.duplicate({ maxRetriesPerRequest: null });
  own.on('error', () => undefined);
  const worker = new Worker<T>(name, processor, {
    connection: own,
    prefix: s.prefix,
    concurrency: s.concurrency,
    // Never reached in practice; it is what makes a manual `queue.rateLimit(ms)` (the carrier's
    // 429) pause EVERY worker of the queue, in every process: BullMQ only honours the shared
    // limiter key in workers that have a limiter (without one, only the worker that saw the 429
    // waited, and the others kept sending into it).
    limiter: { max: 1_000_000, duration: 1_000 },
    lockDuration: s.lockMs,
    stalledInterval: Math.max(500, Math.floor(s.lockMs / 2)),
    maxStalledCount: 10,
  });
  worker.on('error', () => undefined); // connection blips: BullMQ reconnects by itself
  return {
    worker,
    async close() {
      await worker.close().catch(() => undefined);
      await own.quit().catch(() => undefined);
    },
  };
};

/** True when a job with this id is still waiting, delayed or running in `queue`. */
export const isJobPending = async (queue: Queue<any>, jobId: string): Promise<'pending' | 'failed' | 'absent'> => {
  const state = await queue.getJobState(jobId);
  if (state === 'failed') return 'failed';
  if (state === 'completed' || state === 'unknown') return 'absent';
  return 'pending';
};

export type { Job };

/**
 * Queues one activation's own planner job (job id = activation id) unless one is still waiting
 * or running. A finished job with that id is removed first: BullMQ would take the add for a repeat.
 */
export const requeueAlone = async (queue: Queue<PlanJob>, activationId: string): Promise<void> => {
  const state = await isJobPending(queue, activationId);
  if (state === 'pending') return;
  await (await queue.getJob(activationId))?.remove().catch(() => undefined);
  await queue.add('plan', { activationId }, { jobId: activationId });
};
