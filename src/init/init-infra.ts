/**
 * Step 1 of the composition (src/main.ts calls the steps in order): the config-bound
 * infrastructure every later step uses — pool, Redis, metrics, the clock. The only step that
 * opens connections (lazily: pg and ioredis connect on first use).
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { createPool, type Db } from '../db/db.js';
import { queueNames } from '../engine/queues.js';
import { EVENT_QUEUE } from '../events/event-queue.js';
import type { Logger } from '../logger.js';
import { buildMetrics, type Metrics } from '../metrics/init-metrics.js';
import { createRedis } from '../redis.js';
import { RULE_ACTION_QUEUE } from '../rules/rule-action-worker.js';

/**
 * `clock`: the time every scheduler reads (schedules, sequences, rules); tests inject a manual one.
 * `metrics`: null unless METRICS=true (docs/METRICS.md).
 */
export type Infra = { config: Config; logger: Logger; db: Db; redis: Redis; clock: Clock; metrics: Metrics | null };

export const initInfra = (config: Config, logger: Logger, extras: { clock?: Clock } = {}): Infra => {
  const db = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = createRedis(config.REDIS_URL);
  const queues = [...Object.values(queueNames), EVENT_QUEUE, RULE_ACTION_QUEUE];
  const metrics = config.METRICS ? buildMetrics({ config, db, redis, queueNames: queues }) : null;
  return { config, logger, db, redis, clock: extras.clock ?? systemClock, metrics };
};

/** The activation counter (metrics) every activation path reports to, or nothing without metrics. */
export const activationCounter = (infra: Infra) =>
  infra.metrics ? (a: { source: string }) => infra.metrics!.activation.activationCreated(a.source) : undefined;
