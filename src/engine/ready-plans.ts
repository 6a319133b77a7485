/**
 * Ready plans: how a feature that renders its own messages sends — rule actions and account
 * notifications, sequence steps, post-call (call tracking) workflows, sender reports. There is
 * one send path; this is its door for them, beside `activate()` (activation-service.ts), which is
 * the door for workflows.
 *
 * Design
 * - A feature hands `activateReady(tx, plan)` a *ready plan*: its deliveries already rendered
 *   (channel, recipient key, contact, address, payload, meta, the feature's own skip reason, and
 *   whether the send belongs in the conversation history). It runs in the CALLER's transaction,
 *   so the feature's own state change (rule action done, enrollment advanced, tracking log
 *   written) and the send commit together or not at all.
 * - What it writes there is what `activate()` writes: one activation (of the account's hidden
 *   system workflow for that source — "Rule sends", "Sequence sends", "Call tracking sends",
 *   "Sender reports": soft-deleted, so never listed, never given a code, never activated by
 *   anything else) with the plan in `activations.ready_plan`, and its outbox row. Nothing else:
 *   no delivery row, no conversation row.
 * - Each delivery of the plan gets its id here (a random UUID stored in the plan), so the feature
 *   can record it in the same transaction (the callback's delivery, the e-mail step a sequence
 *   waits on, the tracking log's deliveries) although the row is written later by the planner.
 * - Idempotent on the activation's key (`rule:<pending id>`, `sequence:<enrollment>:<step>`,
 *   `tracking:<CallSid>:<workflow>`, `sender-report:<activation>`…): a repeat creates nothing and
 *   returns the first activation and its plan's deliveries (same ids).
 * - After COMMIT the caller wakes the outbox relay with the created activation ids
 *   (`ActivationDispatcher.dispatch`, as `activate()` does itself): a planner job at once, no
 *   poll. If that fails or the process dies first, the outbox sweeper queues the activation.
 * - The planner (planner.ts) expands a ready plan as it expands a workflow's actions: the same
 *   `insertPlanned` statement writes the delivery rows (unique key (activation, action,
 *   recipient, channel) and the plan's ids, so planning twice, even concurrently, adds nothing)
 *   and their conversation rows; then the same status changes, feed events, delivery queueing,
 *   outbox completion and completion check. The delivery worker claims, paces, refuses
 *   (do-not-contact, opt-out: contact-refusals.ts) and records them like every other delivery.
 *   A plan whose every delivery is skipped completes when planned.
 * - Cost: one relay hop (planner job) between the feature's commit and the delivery job.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { ConflictError } from '../errors.js';
import type { ActivationSource } from './activation-types.js';
import type { ReadyDelivery, ReadyDeliveryRow, ReadyPlansRepo, StoredReadyDelivery, SystemWorkflowRef } from './ready-plans-repo.js';

/** Sources that send through ready plans, and the hidden system workflow of each. */
export type ReadySource = Extract<ActivationSource, 'rule' | 'sequence' | 'call_tracking' | 'sender_report'>;

export const systemWorkflows: Record<ReadySource, { workflowName: string; description: string }> = {
  rule: { workflowName: 'Rule sends', description: 'System workflow: one activation per rule send' },
  sequence: { workflowName: 'Sequence sends', description: 'System workflow: one activation per sequence send step' },
  call_tracking: { workflowName: 'Call tracking sends', description: 'System workflow: one activation per post-call workflow run' },
  sender_report: { workflowName: 'Sender reports', description: 'System workflow: tells a texter their activation reached nobody' },
};

export type ReadyPlan = {
  accountId: string;
  source: ReadySource;
  /** The activation's idempotency key. */
  key: string;
  context: Record<string, unknown>;
  placeholders?: Record<string, string>;
  deliveries: ReadyDelivery[];
};

/** `created: false` when the key was used before: `deliveries` are then the first plan's. */
export type ReadyResult = { activationId: string; created: boolean; deliveries: ReadyDeliveryRow[] };

const toStored = (d: ReadyDelivery): StoredReadyDelivery => ({
  id: randomUUID(), actionId: d.actionId, channel: d.channel, recipientKey: d.recipientKey, contactId: d.contactId, address: d.address,
  payload: d.payload, meta: d.meta, skipReason: d.skipReason ?? null, history: d.history ?? false,
});

export type ReadyPlansDeps = {
  repo: Pick<ReadyPlansRepo, 'findOrCreateSystemWorkflow' | 'insertReadyActivation' | 'findReadyByKey'>;
};

/**
 * Ready-plan activations, written in the caller's transaction. Keeps each account's system
 * workflow ids once they are known to be committed.
 */
export const createReadyPlans = (deps: ReadyPlansDeps) => {
  const cache = new Map<string, SystemWorkflowRef>();

  const systemWorkflow = async (tx: PoolClient, accountId: string, source: ReadySource): Promise<SystemWorkflowRef> => {
    const cacheKey = `${source}:${accountId}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    const wf = await deps.repo.findOrCreateSystemWorkflow(tx, accountId, { source, ...systemWorkflows[source] });
    // Only a row found committed is remembered: one created here could still roll back with `tx`.
    if (!wf.created) cache.set(cacheKey, { workflowId: wf.workflowId, versionId: wf.versionId });
    return wf;
  };

  /**
   * Writes the activation holding `plan` and its outbox row in `tx`. Idempotent on `plan.key`.
   * After COMMIT, hand `activationId` of a created one to the outbox relay (`dispatch`).
   */
  const activateReady = async (tx: PoolClient, plan: ReadyPlan): Promise<ReadyResult> => {
    const wf = await systemWorkflow(tx, plan.accountId, plan.source);
    const deliveries = plan.deliveries.map(toStored);
    const id = await deps.repo.insertReadyActivation(tx, {
      ...wf, accountId: plan.accountId, source: plan.source, key: plan.key, placeholders: plan.placeholders ?? {},
      context: plan.context, deliveries,
    });
    if (id) {
      const rows = deliveries.map((d) => ({
        id: d.id, actionId: d.actionId, recipientKey: d.recipientKey, channel: d.channel,
        status: d.skipReason ? 'skipped' : 'pending', skipReason: d.skipReason,
      }));
      return { activationId: id, created: true, deliveries: rows };
    }
    const first = await deps.repo.findReadyByKey(tx, plan.accountId, plan.key);
    // The key's row conflicted, so it is committed and this statement sees it; unless it was deleted since.
    if (!first) throw new ConflictError('activation conflict, retry', 'retry');
    return { ...first, created: false };
  };

  return { activateReady };
};
export type ReadyPlans = ReturnType<typeof createReadyPlans>;

/** The planner's rows of a stored ready plan (deliveries-repo.ts `PlannedDelivery`). */
export const readyRows = (deliveries: StoredReadyDelivery[]) => deliveries.map((d) => ({
  id: d.id, actionId: d.actionId, recipientKey: d.recipientKey, contactId: d.contactId, channel: d.channel, address: d.address,
  status: d.skipReason ? 'skipped' as const : 'pending' as const, skipReason: d.skipReason,
  payload: d.payload, meta: d.meta, history: d.history,
}));
