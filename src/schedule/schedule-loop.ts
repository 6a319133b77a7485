import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import type { Clock } from '../clock.js';
import type { FireResult, ScheduleFirer } from './schedule-firer.js';
import type { SchedulesRepo } from './schedules-repo.js';

export type ScheduleLoopDeps = {
  db: Db;
  schedules: Pick<SchedulesRepo, 'earliestDue'>;
  clock: Clock;
  firer: ScheduleFirer;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Longest sleep between passes; the loop also wakes at the earliest next occurrence. */
  intervalMs?: number;
  /** Concurrent claim transactions in this process (SKIP LOCKED splits the due rows). */
  concurrency?: number;
  /** Observes every pass that claimed something (benchmarks, metrics). */
  onPass?: (r: FireResult) => void;
};

/** A running firing loop; `close()` waits for the pass (and the dispatches) in flight. */
export type ScheduleLoop = { close(): Promise<void> };

const MIN_NAP_MS = 20;

/**
 * The worker-role loop: passes back to back while rows are due, otherwise sleeps until the
 * earliest next occurrence (at most `intervalMs`). Errors (PostgreSQL restart…) are logged and
 * retried with a short backoff; nothing is lost since the state is all in PostgreSQL.
 */
export const startScheduleLoop = (deps: ScheduleLoopDeps): ScheduleLoop => {
  const interval = deps.intervalMs ?? 1000;

  const napMs = async (): Promise<number> => {
    const at = await deps.schedules.earliestDue(deps.db);
    if (!at) return interval;
    // A floor, so rows that are due but held by another process are not polled in a hot loop.
    return Math.max(MIN_NAP_MS, Math.min(interval, at.getTime() - deps.clock.now().getTime()));
  };

  const pass = (id: number) => async (): Promise<number> => {
    const r = await deps.firer.fireDue();
    if (r.claimed > 0) {
      deps.onPass?.(r);
      if (r.missed > 0) deps.logger.warn({ missed: r.missed }, 'schedule occurrences missed (older than the grace window)');
      deps.logger.debug({ worker: id, claimed: r.claimed, fired: r.fired.length, skipped: r.skipped, failed: r.failed }, 'schedule pass');
    }
    return r.claimed >= deps.firer.batchSize ? 0 : napMs();
  };

  // Concurrent passes in this process: one poller each (SKIP LOCKED splits the due rows).
  const workers = Array.from({ length: Math.max(1, deps.concurrency ?? 2) }, (_, i) => startPoller({
    pass: pass(i),
    intervalMs: interval,
    spacing: 'fixed-delay',
    firstDelayMs: 0,
    logger: deps.logger,
    errorLevel: 'error',
    errorMessage: 'schedule pass failed; retrying',
    retryAfterMs: (failures) => Math.min(30_000, 500 * 2 ** Math.min(failures, 6)),
  }));

  return {
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await deps.firer.settle();
    },
  };
};
