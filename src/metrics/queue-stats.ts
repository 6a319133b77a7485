import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** One BullMQ queue at scrape time. */
export type QueueSnapshot = {
  queue: string;
  /** Jobs by state: wait, active, delayed, prioritized, failed. */
  counts: Record<string, number>;
  /** Seconds since the oldest waiting job became ready to run (created, or its delay ended); 0 when none waits. */
  oldestWaitingSeconds: number;
};

const states = ['wait', 'active', 'delayed', 'prioritized', 'failed'] as const;

/**
 * Reads depth and the oldest waiting job of each named queue: per queue one counts call and one
 * look at the tail of the wait list (a few Redis round trips, nothing proportional to the
 * queue's length). Queue handles are made on first use, on the shared connection (non-blocking
 * commands only), and closed by `close()`, which leaves the connection open.
 */
export const createQueueStats = (deps: { redis: () => Redis; prefix: string; names: readonly string[] }) => {
  let queues: Array<Queue> | null = null;
  const handles = () => (queues ??= deps.names.map((n) => new Queue(n, { connection: deps.redis(), prefix: deps.prefix, skipWaitingForReady: true })));

  const one = async (q: Queue): Promise<QueueSnapshot> => {
    const [counts, oldest] = await Promise.all([q.getJobCounts(...states), q.getJobs(['wait'], 0, 0, true)]);
    const job = oldest[0];
    const readyAt = job ? job.timestamp + (job.delay ?? 0) : null;
    return { queue: q.name, counts, oldestWaitingSeconds: readyAt === null ? 0 : Math.max(0, (Date.now() - readyAt) / 1000) };
  };

  return {
    snapshot: (): Promise<QueueSnapshot[]> => Promise.all(handles().map(one)),
    async close(): Promise<void> {
      if (queues) await Promise.allSettled(queues.map((q) => q.close()));
      queues = null;
    },
  };
};

export type QueueStats = ReturnType<typeof createQueueStats>;
