import type { Queue } from 'bullmq';
import type { Logger } from '../logger.js';
import { requeueAlone, type PlanJob } from './queues.js';
import type { Planner } from './planner.js';

export type PlanJobDeps = {
  planner: Pick<Planner, 'plan'>;
  /** The planner queue: an activation of a batch that fails is queued there again alone. */
  queue: Queue<PlanJob>;
  logger: Pick<Logger, 'warn' | 'error'>;
};

/** What a batch job did (kept as the job's return value). */
export type PlanBatchResult = { planned: number; requeued: number };

/**
 * The planner worker's job processor. A single job (`{ activationId }`) plans its activation and
 * throws on failure (BullMQ retries it, then the outbox sweeper). A batch job (`{ activationIds }`)
 * plans each activation on its own, in order: one that throws is queued again as its own job
 * (job id = activation id, with the single job's retries and backoff) and the batch goes on, so
 * it neither fails the batch nor makes the others plan again. If even that re-queue fails (Redis
 * gone), the activation's outbox row is still open and the sweeper queues it.
 */
export const createPlanJobProcessor = (deps: PlanJobDeps) =>
  async (data: PlanJob): Promise<unknown> => {
    if (data.activationIds === undefined) return deps.planner.plan(data.activationId);
    const result: PlanBatchResult = { planned: 0, requeued: 0 };
    for (const id of data.activationIds) {
      try {
        await deps.planner.plan(id);
        result.planned++;
      } catch (err) {
        result.requeued++;
        deps.logger.warn({ err, activationId: id }, 'planning an activation of a batch failed; queued again on its own');
        await requeueAlone(deps.queue, id).catch((e: unknown) =>
          deps.logger.error({ err: e, activationId: id }, 'could not queue the activation again; the outbox sweeper will'));
      }
    }
    return result;
  };
