import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import { readBacklog } from './metrics-repo.js';
import { createPromMetrics } from './prom-metrics.js';
import { createQueueStats } from './queue-stats.js';

/**
 * Composition of the metrics feature (docs/METRICS.md): this process's registry, with the
 * shared gauges read at scrape time from PostgreSQL (backlogs) and Redis (`queueNames`, every
 * BullMQ queue Switchboard uses). Building it does no I/O; `close()` releases the queue handles.
 */
export const buildMetrics = (deps: { config: Pick<Config, 'REDIS_PREFIX' | 'SEND_IN_DOUBT_AFTER_MS'>; db: Db; redis: Redis; queueNames: readonly string[] }) => {
  const queues = createQueueStats({ redis: () => deps.redis, prefix: deps.config.REDIS_PREFIX, names: deps.queueNames });
  const prom = createPromMetrics({ backlog: () => readBacklog(deps.db, deps.config.SEND_IN_DOUBT_AFTER_MS), queues: queues.snapshot });
  return { ...prom, close: () => queues.close() };
};

export type Metrics = ReturnType<typeof buildMetrics>;
