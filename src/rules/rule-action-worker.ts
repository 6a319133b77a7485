import { Worker, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../db/db.js';
import { removeFinishedJobs } from '../events/event-queue.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import type { Clock } from '../clock.js';
import type { PendingRepo } from './pending-repo.js';
import type { RuleActionRunner } from './rule-action-runner.js';

/** BullMQ queue of due rule actions. Job name `rule_action`, job id = pending action id. */
export const RULE_ACTION_QUEUE = 'rule-actions';

/** Job payload of the `rule-actions` queue. */
export type RuleActionJob = { pendingId: string };

const jobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export const enqueueRuleActions = async (queue: Queue<RuleActionJob>, ids: string[]): Promise<void> => {
  if (ids.length === 0) return;
  await queue.addBulk(ids.map((id) => ({ name: 'rule_action', data: { pendingId: id }, opts: { ...jobOptions, jobId: id } })));
};

/**
 * Moves due pending actions from PostgreSQL to the queue: rows are marked `queued` (SKIP LOCKED,
 * so concurrent pollers split them) and committed before their jobs are added — a job that ran
 * before the commit would not see its row as queued. If Redis refuses, the rows go back to
 * `pending`; if this process dies in between, the stale-row recovery queues them again.
 * `ids` limits the claim to freshly scheduled rows (the evaluator's fast path).
 */
export const dispatchDueActions = async (
  deps: { db: Db; pending: Pick<PendingRepo, 'claimDue' | 'unqueuePending'>; clock: Clock; queue: Queue<RuleActionJob> }, ids?: string[], limit = 500,
): Promise<number> => {
  const claimed = await deps.pending.claimDue(deps.db, deps.clock.now(), limit, ids);
  try {
    await enqueueRuleActions(deps.queue, claimed);
  } catch (err) {
    await deps.pending.unqueuePending(deps.db, claimed).catch(() => undefined);
    throw err;
  }
  return claimed.length;
};

export type RuleActionWorkerDeps = {
  db: Db;
  pending: Pick<PendingRepo, 'claimDue' | 'unqueuePending' | 'recoverStale'>;
  connection: Redis;
  prefix: string;
  queue: Queue<RuleActionJob>;
  runner: RuleActionRunner;
  clock: Clock;
  logger: Logger;
  concurrency: number;
  pollIntervalMs: number;
  /** A queued row not started, or a running one not finished, after this long is recovered. */
  staleAfterMs: number;
};

/**
 * The rule action worker: a poll loop that queues due rows (and recovers rows Redis lost or a
 * crashed worker left running) plus the BullMQ worker that runs them. Delayed actions live in
 * PostgreSQL, so a restart loses nothing: the next poll finds whatever came due meanwhile.
 */
export const startRuleActionWorker = (deps: RuleActionWorkerDeps): { close(): Promise<void>; tick(): Promise<number> } => {
  const worker = new Worker<RuleActionJob>(RULE_ACTION_QUEUE, async (job) => deps.runner.run(job.data.pendingId), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
  });
  worker.on('error', (err) => deps.logger.warn({ err }, 'rule action worker error'));

  const tick = async (): Promise<number> => {
    const n = await dispatchDueActions(deps);
    const stale = await deps.pending.recoverStale(deps.db, deps.clock.now(), deps.staleAfterMs, 500);
    await removeFinishedJobs(deps.queue, stale);
    await enqueueRuleActions(deps.queue, stale);
    return n + stale.length;
  };
  const polls = startPoller({
    intervalMs: deps.pollIntervalMs, logger: deps.logger, errorMessage: 'rule action poll failed',
    pass: async () => { await tick(); },
  });

  return {
    tick,
    async close() {
      await polls.close();
      await worker.close();
    },
  };
};
