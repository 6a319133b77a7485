/**
 * Post-call workflows: an event consumer of `call.ended` (raised once per tracked call, when it
 * ends). For every enabled workflow of the call's trigger (answered / missed) it judges the
 * conditions, logs the evaluation, and runs the actions of those that match:
 *   - SMS to the caller, e-mail to the owners, webhook: deliveries of one activation, written
 *     with the log row in one transaction (exactly once, whatever re-runs the consumer);
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
import { countCallerCalls, findTrackedCallById, type TrackedCall } from './tracked-calls-repo.js';
import { templateFields, type CallDetails } from './call-details.js';
import { evaluateConditions, windowsNeeded } from './tracking-conditions.js';
import { buildDeliveries, type ActionResult } from './tracking-actions.js';
import type { TrackingSends } from './tracking-sends.js';
import type { StoredTrackingAction, TrackingWorkflow } from './tracking-types.js';
import { toTrackingWorkflow } from './tracking-workflows-service.js';

export type TrackingEvaluatorDeps = {
  db: Db;
  sends: TrackingSends;
  deliveries?: { dispatch(ids: string[]): Promise<void> };
  activations: Pick<ActivationService, 'activate'>;
  logger: Logger;
};

const loadDetails = async (db: Db, call: TrackedCall): Promise<CallDetails> => {
  const r = await db.query(
    `SELECT a.timezone, l.id AS line_id, l.name AS line_name, l.phone_number, k.id AS contact_id, k.name AS contact_name
       FROM accounts a LEFT JOIN lines l ON l.id = $2 AND l.account_id = a.id
       LEFT JOIN contacts k ON k.account_id = a.id AND (k.id = $3 OR ($3::uuid IS NULL AND k.phone = $4))
      WHERE a.id = $1 LIMIT 1`,
    [call.accountId, call.lineId, call.contactId, call.caller],
  );
  const x = r.rows[0] ?? {};
  return {
    call,
    line: { id: x.line_id ?? call.lineId, name: x.line_name ?? '', number: x.phone_number ?? call.calledNumber },
    contact: x.contact_id ? { id: x.contact_id, name: x.contact_name } : null,
    timezone: x.timezone ?? 'UTC',
  };
};

export const createTrackingEvaluator = (deps: TrackingEvaluatorDeps) => {
  const { db } = deps;

  const updateLog = (q: Db | PoolClient, id: string, actions: ActionResult[], status: 'running' | 'done', activationId?: string | null) =>
    q.query('UPDATE tracking_logs SET actions = $2, status = $3, activation_id = COALESCE($4, activation_id) WHERE id = $1', [id, JSON.stringify(actions), status, activationId ?? null]);

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
    await updateLog(db, logId, results, 'done');
  };

  const evaluateOne = async (d: CallDetails, wf: TrackingWorkflow): Promise<void> => {
    const call = d.call;
    const existing = await db.query('SELECT id, status, actions FROM tracking_logs WHERE call_id = $1 AND workflow_id = $2', [call.callId, wf.id]);
    if (existing.rows[0]) {
      if (existing.rows[0].status === 'running') await runActivations(existing.rows[0].id, wf, d, existing.rows[0].actions);
      return;
    }
    const counts = new Map<number | null, number>();
    for (const w of windowsNeeded(wf.conditions)) counts.set(w, await countCallerCalls(db, call, w));
    const ev = evaluateConditions(wf.conditions, call, counts);
    const base = [call.accountId, call.callId, wf.id, wf.name, wf.trigger, call.caller, call.lineId, call.source, ev.matched, ev.reason, JSON.stringify(ev.conditions)];
    const insertLog = (q: Db | PoolClient, status: 'running' | 'done') => q.query(
      `INSERT INTO tracking_logs (account_id, call_id, workflow_id, workflow_name, trigger, caller, line_id, source, matched, reason, conditions, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (call_id, workflow_id) DO NOTHING RETURNING id`,
      [...base, status],
    );
    if (!ev.matched) {
      await insertLog(db, 'done');
      return;
    }
    const out = await withTransaction(db, async (tx) => {
      const log = await insertLog(tx, 'running');
      if (!log.rows[0]) return null; // another run of this consumer got here first
      const logId = log.rows[0].id as string;
      const built = await buildDeliveries(tx, d, wf);
      let activationId: string | null = null;
      let deliveryIds: string[] = [];
      if (built.deliveries.length > 0) {
        const sent = await deps.sends.send(tx, {
          accountId: call.accountId, key: `tracking:${call.providerCallId}:${wf.id}`, lineId: call.lineId, deliveries: built.deliveries,
          context: { trackingWorkflowId: wf.id, trackingLogId: logId, callId: call.callId, providerCallId: call.providerCallId, caller: call.caller },
        });
        activationId = sent.activationId;
        for (const r of built.results) r.deliveryIds = (r.deliveryKeys ?? []).map((k) => sent.deliveryIds[k]!).filter(Boolean);
        deliveryIds = Object.values(sent.deliveryIds);
      }
      for (const r of built.results) delete r.deliveryKeys;
      const pending = built.results.some((r) => r.result === 'pending');
      await updateLog(tx, logId, built.results, pending ? 'running' : 'done', activationId);
      return { logId, results: built.results, deliveryIds, pending };
    });
    if (!out) return;
    if (out.deliveryIds.length > 0) {
      await deps.deliveries?.dispatch(out.deliveryIds).catch((err) => deps.logger.warn({ err }, 'delivery fast path failed; the sweeper will queue it'));
    }
    if (out.pending) await runActivations(out.logId, wf, d, out.results);
  };

  /** `call.ended` of a tracked call: every enabled workflow of its trigger, oldest first. */
  const handle = async (e: DomainEvent): Promise<void> => {
    if (e.type !== 'call.ended' || !e.data.tracking || typeof e.data.callId !== 'string') return;
    const call = await findTrackedCallById(db, e.accountId, e.data.callId);
    if (!call?.outcome) return;
    const r = await db.query(
      `SELECT * FROM tracking_workflows WHERE account_id = $1 AND trigger = $2 AND enabled AND deleted_at IS NULL ORDER BY created_at, id`,
      [call.accountId, call.outcome],
    );
    if (r.rows.length === 0) return;
    const d = await loadDetails(db, call);
    for (const row of r.rows) await evaluateOne(d, toTrackingWorkflow(row));
  };

  return { handle, consumer: { name: 'call-tracking', handle } satisfies EventConsumer };
};

export type TrackingEvaluator = ReturnType<typeof createTrackingEvaluator>;
