import type { Queue } from 'bullmq';
import { withTransaction, type Db } from '../db/db.js';
import { toChange, type DeliveriesRepo } from './deliveries-repo.js';
import { enqueueDeliveries } from './delivery-queue.js';
import type { FeedPublisher } from './feed.js';
import type { Logger } from '../logger.js';
import type { DeliveryMetrics } from './metrics-port.js';
import type { EngineTimersRepo } from './engine-timers-repo.js';
import type { DeliveryBatchJob, TimerJob } from './queues.js';
import type { EngineRepo } from './engine-repo.js';
import { planConference } from './plan-rows.js';
import { sendingLine } from './planner.js';

export type ConferenceRetryDeps = {
  db: Db;
  timers: Pick<EngineTimersRepo, 'lockOpenConferenceTimer' | 'actionAnswered' | 'closeConferenceTimer'>;
  engine: Pick<EngineRepo, 'loadPlanInput' | 'groupContacts' | 'completeIfDone'>;
  deliveries: Pick<DeliveriesRepo, 'insertPlanned'>;
  queues: { deliveries: Queue<DeliveryBatchJob> };
  feed: FeedPublisher;
  metrics?: Pick<DeliveryMetrics, 'reached'>;
  settings: { batchSize: number };
  logger: Logger;
};

/**
 * The conference action's 2-minute check: if nobody of the first round answered, every
 * recipient of its groups is called again, off-duty contacts included (recipient key
 * `retry-<contact>`, so each person is called at most once more). Runs once per timer: the
 * timer row is locked and closed in the same transaction.
 */
export const createConferenceRetry = (deps: ConferenceRetryDeps) => {
  const run = async (job: TimerJob): Promise<'answered' | 'retried' | 'done'> => {
    const outcome = await withTransaction(deps.db, async (tx) => {
      const key = { activationId: job.activationId, actionId: job.actionId };
      if (!(await deps.timers.lockOpenConferenceTimer(tx, key))) return { outcome: 'done' as const, created: [], accountId: null };
      const answered = await deps.timers.actionAnswered(tx, key);
      const input = await deps.engine.loadPlanInput(tx, job.activationId);
      const action = input?.definition.actions.find((x) => x.id === job.actionId);
      let created: Awaited<ReturnType<DeliveriesRepo['insertPlanned']>> = [];
      const result = answered || !input || action?.type !== 'conference' ? 'answered' as const : 'retried' as const;
      if (result === 'retried' && input && action?.type === 'conference') {
        const a = input.activation;
        const contacts = await deps.engine.groupContacts(tx, a.accountId, action.groupIds, true, false);
        const line = sendingLine(action, input, input.lines);
        const scope = { activationId: a.id, workflowName: input.workflowName, placeholders: a.placeholders, inboundMessage: a.inboundMessage, recordingUrl: a.recordingUrl };
        created = await deps.deliveries.insertPlanned(tx, a.accountId, a.id, planConference(action, contacts, scope, line, 2));
      }
      await deps.timers.closeConferenceTimer(tx, key, result);
      return { outcome: result, created, accountId: input?.activation.accountId ?? null };
    });
    if (outcome.accountId) {
      deps.metrics?.reached(outcome.created);
      await deps.feed.publish(outcome.accountId, outcome.created.map(toChange));
      const ids = outcome.created.filter((d) => d.status === 'pending').map((d) => d.id);
      await enqueueDeliveries(deps.queues.deliveries, ids, deps.settings.batchSize, { tag: 'cr' });
      await deps.feed.publish(outcome.accountId, await deps.engine.completeIfDone(deps.db, [job.activationId]));
      deps.logger.info({ activationId: job.activationId, actionId: job.actionId, outcome: outcome.outcome, calls: ids.length }, 'conference retry checked');
    }
    return outcome.outcome;
  };
  return { run };
};
