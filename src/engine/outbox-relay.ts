import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withTransaction, type Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { createPlanQueue, isJobPending, requeueAlone, type PlanJob } from './queues.js';
import type { ActivationDispatcher } from './activation-service.js';
import type { EngineRepo } from './engine-repo.js';
import type { OutboxRepo } from './outbox-repo.js';

export type OutboxRelayDeps = {
  db: Db;
  outbox: Pick<OutboxRepo, 'markDispatched' | 'claimDueOutbox' | 'closeOpenOutboxRow' | 'markRequeuedAlone'>;
  /** `setActivationStatus`: an activation whose planning failed over and over is failed. */
  engine: Pick<EngineRepo, 'setActivationStatus'>;
  queue: Queue<PlanJob>;
  settings: { redispatchAfterMs: number; maxAttempts?: number };
  logger: Logger;
};

/**
 * The outbox relay. Fast path: `dispatch` queues a just-committed activation at once (job id =
 * activation id, so a repeat is a no-op) and notes it as dispatched; `dispatchBatches` queues one
 * planner job per batch of activations whose outbox rows already name that job (`job_id`,
 * written with the rows), so it writes nothing to PostgreSQL. Slow path: `sweep` finds outbox
 * rows not completed by the planner — never dispatched (the fast path failed or the process
 * died), or dispatched long ago (Redis lost the job: restart, failover) — and queues each again
 * as its own job unless Redis still holds a waiting or running job for it (its batch job or its
 * own). Rows are locked with FOR UPDATE SKIP LOCKED, so any number of workers can sweep.
 */
/** BullMQ priority of a batch planner job (1 is the highest; jobs without one go first). */
const BATCH_PLAN_PRIORITY = 10;

export const createOutboxRelay = (deps: OutboxRelayDeps) => {
  const maxAttempts = deps.settings.maxAttempts ?? 20;

  const dispatcher: Required<ActivationDispatcher> = {
    async dispatch(activationIds) {
      if (activationIds.length === 0) return;
      await deps.queue.addBulk(activationIds.map((id) => ({ name: 'plan', data: { activationId: id }, opts: { jobId: id } })));
      await deps.outbox.markDispatched(deps.db, activationIds);
    },
    async dispatchBatches(batches) {
      const jobs = batches.filter((b) => b.activationIds.length > 0);
      if (jobs.length === 0) return;
      // Behind single activations (a call's code, an API trigger): a schedule pass of many batches
      // does not hold up the planning of an emergency keyed meanwhile (BullMQ takes jobs without
      // a priority first).
      await deps.queue.addBulk(jobs.map((b) => ({ name: 'plan', data: { activationIds: b.activationIds }, opts: { jobId: b.jobId, priority: BATCH_PLAN_PRIORITY } })));
    },
  };

  /** One sweep; returns how many activations were queued again. */
  const sweep = async (limit = 200): Promise<number> => {
    const rows = await deps.outbox.claimDueOutbox(deps.db, deps.settings.redispatchAfterMs, limit);
    // Many rows share one batch job: ask Redis once per job.
    const batchStates = new Map<string, Promise<'pending' | 'failed' | 'absent'>>();
    const batchState = (jobId: string) => {
      let p = batchStates.get(jobId);
      if (!p) batchStates.set(jobId, (p = isJobPending(deps.queue, jobId)));
      return p;
    };
    let requeued = 0;
    for (const row of rows) {
      const state = row.jobId && (await batchState(row.jobId)) === 'pending' ? 'pending' : await isJobPending(deps.queue, row.activationId);
      if (state === 'pending') continue; // Redis still holds its job: looked at again after redispatchAfterMs
      if (row.attempts >= maxAttempts) {
        // The planner failed this activation over and over: give up loudly rather than loop
        // (unless it was planned after all since the claim).
        const gaveUp = await withTransaction(deps.db, async (tx) => {
          if (!(await deps.outbox.closeOpenOutboxRow(tx, row.id))) return false;
          await deps.engine.setActivationStatus(tx, row.activationId, 'failed', { error: 'planning failed repeatedly' });
          return true;
        });
        if (gaveUp) deps.logger.error({ activationId: row.activationId }, 'activation failed: planning failed repeatedly');
        continue;
      }
      await requeueAlone(deps.queue, row.activationId);
      requeued++;
      // From now on the activation's own job is the one to watch.
      await deps.outbox.markRequeuedAlone(deps.db, row.id);
    }
    if (requeued) deps.logger.warn({ requeued }, 'outbox sweeper queued activations again');
    return requeued;
  };

  return { dispatcher, sweep };
};

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;

/**
 * The relay's fast path (`dispatch`) on a planner queue of its own, connected on first use: for a
 * feature built without the engine's dispatcher (its own worker set in tests). Same contract.
 */
export const createPlanDispatch = (
  deps: Pick<OutboxRelayDeps, 'db' | 'outbox' | 'engine' | 'logger'> & { redis: () => Redis; prefix: string },
): ActivationDispatcher & { close(): Promise<void> } => {
  let relay: OutboxRelay | null = null;
  let queue: Queue<PlanJob> | null = null;
  return {
    async dispatch(activationIds) {
      if (activationIds.length === 0) return;
      queue ??= createPlanQueue(deps.redis(), { prefix: deps.prefix });
      relay ??= createOutboxRelay({
        db: deps.db, outbox: deps.outbox, engine: deps.engine, queue, settings: { redispatchAfterMs: 0 }, logger: deps.logger,
      });
      await relay.dispatcher.dispatch(activationIds);
    },
    async close() {
      await queue?.close();
      queue = null;
      relay = null;
    },
  };
};
