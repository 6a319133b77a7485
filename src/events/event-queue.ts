import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../db/db.js';
import { isJobPending } from '../engine/queues.js';
import type { EventOutboxRepo } from './event-outbox-repo.js';
import type { EventDispatcher } from './event-publisher.js';

/** BullMQ queue that carries event ids to the event worker. Job name `event`, job id = event id. */
export const EVENT_QUEUE = 'events';

/** Job payload of the `events` queue. */
export type EventJob = { eventId: string };

export const eventJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** A queue created on first use, so building services performs no I/O. */
export const lazyQueue = <T>(name: string, connection: () => Redis, prefix: string) => {
  let q: Queue<T> | null = null;
  return {
    get(): Queue<T> {
      q ??= new Queue<T>(name, { connection: connection(), prefix });
      return q;
    },
    async close(): Promise<void> {
      if (q) await q.close();
      q = null;
    },
  };
};

/**
 * Fast path from a committed event to the queue. Marks the outbox rows dispatched so the
 * sweeper leaves them alone unless they stay incomplete.
 */
export const createEventDispatcher = (deps: {
  db: Db; outbox: Pick<EventOutboxRepo, 'markEventsDispatched'>; queue: () => Queue<EventJob>;
}): EventDispatcher => ({
  async dispatch(eventIds) {
    if (eventIds.length === 0) return;
    await deps.queue().addBulk(eventIds.map((id) => ({ name: 'event', data: { eventId: id }, opts: { ...eventJobOptions, jobId: id } })));
    await deps.outbox.markEventsDispatched(deps.db, eventIds);
  },
});

/**
 * Before re-adding jobs for work that is known to be unfinished: a job with the same id that
 * BullMQ keeps as completed or failed would swallow the add, so it is removed first. Returns the
 * ids whose job is still waiting, delayed or running: re-adding those is a no-op.
 */
export const removeFinishedJobs = async (queue: Queue<any>, jobIds: string[]): Promise<Set<string>> => {
  const live = new Set<string>();
  for (const id of jobIds) {
    if ((await isJobPending(queue, id)) === 'pending') live.add(id);
    else await (await queue.getJob(id))?.remove().catch(() => undefined);
  }
  return live;
};
