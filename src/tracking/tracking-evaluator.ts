/**
 * Post-call workflows: an event consumer of `call.ended` (raised once per tracked call, when it
 * ends). For every enabled workflow of the call's trigger (answered / missed) it judges the
 * conditions, logs the evaluation, and runs the actions of those that match:
 *   - SMS to the caller, e-mail to the owners, webhook: deliveries of one activation's ready plan
 *     (src/engine/ready-plans.ts), written with the log row in one transaction (exactly once,
 *     whatever re-runs the consumer), planned at once after commit;
 *   - activate a workflow: `activate()` with a deterministic idempotency key, after commit.
 * The event worker may run a consumer twice: the log row (unique per call and workflow) makes
 * a second run skip, or finish the activations a crashed run left `running`.
 */
import type { PoolClient } from 'pg';
import type { ActivationService } from '../engine/activation-service.js';
import { withTransaction, type Db } from '../db/db.js';
import { AppError } from '../errors.js';
import type { DomainEvent, EventConsumer } from '../events/event-types.js';
import type { Logger } from '../logger.js';
import { fillFields } from '../templates/templates.js';
import type { TrackedCall, TrackedCallsRepo } from './tracked-calls-repo.js';
import type { CallDetailsRepo } from './call-details-repo.js';
import { templateFields, type CallDetails } from './call-details.js';
import { evaluateConditions, windowsNeeded } from './tracking-conditions.js';
import { buildDeliveries, type ActionResult, type TrackingActionRepos } from './tracking-actions.js';
import type { TrackingLogsRepo } from './tracking-logs-repo.js';
import type { TrackingSends } from './tracking-sends.js';
import type { StoredTrackingAction, TrackingWorkflow } from './tracking-types.js';
import type { TrackingWorkflowsRepo } from './tracking-workflows-repo.js';

export type TrackingEvaluatorDeps = {
  db: Db;
  calls: Pick<TrackedCallsRepo, 'findTrackedCallById' | 'countCallerCalls'>;
  workflows: Pick<TrackingWorkflowsRepo, 'enabledTrackingWorkflows'>;
  logs: Pick<TrackingLogsRepo, 'findLogOfWorkflow' | 'insertTrackingLog' | 'updateTrackingLog'>;
  details: Pick<CallDetailsRepo, 'callContext'>;
  /** What building an action's deliveries reads. */
  actionRepos: TrackingActionRepos;
  sends: TrackingSends;
  /** The outbox relay's fast path (`ActivationDispatcher`): the run's sends are planned at once after commit. */
  plans?: { dispatch(activationIds: string[]): Promise<void> };
  activations: Pick<ActivationService, 'activate'>;
  logger: Logger;
};

const loadDetails = async (repo: Pick<CallDetailsRepo, 'callContext'>, db: Db, call: TrackedCall): Promise<CallDetails> => {
  const x = await repo.callContext(db, call);
  return {
    call,
    line: { id: x.line?.id ?? call.lineId, name: x.line?.name ?? '', number: x.line?.number ?? call.calledNumber },
    contact: x.contact,
    timezone: x.timezone ?? 'UTC',
  };
};

export const createTrackingEvaluator = (deps: TrackingEvaluatorDeps) => {
  const { db, logs } = deps;

  /** Activates the linked workflows still `pending` in the log, then marks the log done. */
  const runActivations = async (logId: string, wf: TrackingWorkflow, d: CallDetails, results: ActionResult[]) => {
    const fields = templateFields(d);
    for (const r of results) {
      if (r.result !== 'pending') continue;
      const a = wf.actions.find((x) => x.id === r.actionId) as Extract<StoredTrackingAction, { type: 'activate_workflow' }> | undefined;
      if (!a) {
        Object.assign(r, { result: 'failed', reason: 'action_removed' });
        continue;
      }
      try {
        const res = await deps.activations.activate({
          accountId: d.call.accountId, workflowId: a.workflowId, source: 'call_tracking',
          idempotencyKey: `tracking:${d.call.providerCallId}:${wf.id}:${a.id}`,
          placeholders: Object.fromEntries(Object.entries(a.placeholders).map(([k, v]) => [k, fillFields(v, fields)])),
          context: { trackingWorkflowId: wf.id, callId: d.call.callId, providerCallId: d.call.providerCallId, caller: d.call.caller, lineId: d.call.lineId },
        });
        Object.assign(r, { result: 'activated', activationId: res.activation.id, created: res.created });
      } catch (err) {
        // Paused or deleted workflow, missing placeholders: waiting will not fix it. Others: retried.
        if (!(err instanceof AppError && err.status < 500)) throw err;
        Object.assign(r, { result: 'failed', reason: err.code, error: err.message });
      }
    }
    await logs.updateTrackingLog(db, logId, results, 'done');
  };

  const evaluateOne = async (d: CallDetails, wf: TrackingWorkflow): Promise<void> => {
    const call = d.call;
    const existing = await logs.findLogOfWorkflow(db, call.callId, wf.id);
    if (existing) {
      if (existing.status === 'running') await runActivations(existing.id, wf, d, existing.actions);
      return;
    }
    const counts = new Map<number | null, number>();
    for (const w of windowsNeeded(wf.conditions)) counts.set(w, await deps.calls.countCallerCalls(db, call, w));
    const ev = evaluateConditions(wf.conditions, call, counts);
    const insertLog = (q: Db | PoolClient, status: 'running' | 'done') => logs.insertTrackingLog(q, {
      accountId: call.accountId, callId: call.callId, workflowId: wf.id, workflowName: wf.name, trigger: wf.trigger, caller: call.caller,
      lineId: call.lineId, source: call.source, matched: ev.matched, reason: ev.reason, conditions: ev.conditions, status,
    });
    if (!ev.matched) {
      await insertLog(db, 'done');
      return;
    }
    const out = await withTransaction(db, async (tx) => {
      const logId = await insertLog(tx, 'running');
      if (!logId) return null; // another run of this consumer got here first
      const built = await buildDeliveries(deps.actionRepos, tx, d, wf);
      let activationId: string | null = null;
      let created: string | null = null;
      if (built.deliveries.length > 0) {
        const sent = await deps.sends.send(tx, {
          accountId: call.accountId, key: `tracking:${call.providerCallId}:${wf.id}`, lineId: call.lineId, deliveries: built.deliveries,
          context: { trackingWorkflowId: wf.id, trackingLogId: logId, callId: call.callId, providerCallId: call.providerCallId, caller: call.caller },
        });
        activationId = sent.activationId;
        for (const r of built.results) r.deliveryIds = (r.deliveryKeys ?? []).map((k) => sent.deliveryIds[k]!).filter(Boolean);
        if (sent.created) created = sent.activationId;
      }
      for (const r of built.results) delete r.deliveryKeys;
      const pending = built.results.some((r) => r.result === 'pending');
      await logs.updateTrackingLog(tx, logId, built.results, pending ? 'running' : 'done', activationId);
      return { logId, results: built.results, created, pending };
    });
    if (!out) return;
    if (out.created) {
      await deps.plans?.dispatch([out.created]).catch((err: unknown) => deps.logger.warn({ err }, 'send fast path failed; the outbox sweeper will queue it'));
    }
    if (out.pending) await runActivations(out.logId, wf, d, out.results);
  };

  /** `call.ended` of a tracked call: every enabled workflow of its trigger, oldest first. */
  const handle = async (e: DomainEvent): Promise<void> => {
    if (e.type !== 'call.ended' || !e.data.tracking || typeof e.data.callId !== 'string') return;
    const call = await deps.calls.findTrackedCallById(db, e.accountId, e.data.callId);
    if (!call?.outcome) return;
    const workflows = await deps.workflows.enabledTrackingWorkflows(db, call.accountId, call.outcome);
    if (workflows.length === 0) return;
    const d = await loadDetails(deps.details, db, call);
    for (const wf of workflows) await evaluateOne(d, wf);
  };

  return { handle, consumer: { name: 'call-tracking', handle } satisfies EventConsumer };
};

export type TrackingEvaluator = ReturnType<typeof createTrackingEvaluator>;
