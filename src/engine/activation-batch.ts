import type { PoolClient } from 'pg';
import { groupBy } from '../group-by.js';
import { missingPlaceholders } from '../templates/templates.js';
import { keyOf, type ActivationBatchRepo, type LockedWorkflow } from './activation-batch-repo.js';
import type { Activation, BatchActivateItem } from './activation-types.js';


export type InsertBatchOptions = {
  /**
   * Planner jobs the caller will queue the created activations in (batch jobs): the n-th created
   * activation goes to `ids[floor(n / size)]` (give at least ceil(items / size) ids). Its outbox
   * row names that job, so the sweeper asks Redis about it. Unset: each activation's own job.
   */
  planJobs?: { ids: string[]; size: number };
};

export type BatchActivateOutcome =
  /** `jobId`: the planner job its outbox row names (with `planJobs`). */
  | { status: 'created'; activation: Activation; jobId?: string }
  /** The idempotency key was used before: the first activation, nothing new queued. */
  | { status: 'existing'; activation: Activation }
  | { status: 'rejected'; code: 'not_found' | 'workflow_paused' | 'missing_placeholders'; message: string };


/**
 * Creates many activations inside the caller's transaction, each exactly as `activate()` does:
 * pinned to the workflow's current version, idempotent on `(accountId, idempotencyKey)` (a key
 * used before returns its first activation), with its outbox row. Nothing is dispatched: after
 * COMMIT the caller hands the `created` ids to the `ActivationDispatcher` (the outbox sweeper
 * covers a crash in between). Outcomes come back in the order of `items`; a rejected item
 * (workflow gone or paused, placeholders missing) writes nothing and does not abort the others.
 * `locked`: workflows the caller already read `FOR SHARE` in this transaction (saves a query).
 * `repo`: the statements (activation-batch-repo.ts `activationBatchRepo`).
 */
export const insertActivationsBatch = async (
  repo: Pick<ActivationBatchRepo, 'findExisting' | 'lockWorkflows' | 'insertActivationRows'>,
  tx: PoolClient,
  items: BatchActivateItem[],
  locked?: Map<string, LockedWorkflow>,
  opts: InsertBatchOptions = {},
): Promise<BatchActivateOutcome[]> => {
  const outcomes = new Array<BatchActivateOutcome | undefined>(items.length);
  const missingIds = items.filter((i) => !locked?.has(i.workflowId)).map((i) => i.workflowId);
  const workflows = new Map([...(locked ?? []), ...(await repo.lockWorkflows(tx, missingIds))]);

  const toInsert: Array<{ i: number; wf: LockedWorkflow }> = [];
  items.forEach((item, i) => {
    const wf = workflows.get(item.workflowId);
    if (!wf || wf.accountId !== item.accountId) {
      outcomes[i] = { status: 'rejected', code: 'not_found', message: 'workflow not found' };
    } else if (wf.status === 'paused') {
      outcomes[i] = { status: 'rejected', code: 'workflow_paused', message: 'workflow is paused' };
    } else {
      const missing = missingPlaceholders(wf.placeholders, item.placeholders ?? {});
      if (missing.length > 0) outcomes[i] = { status: 'rejected', code: 'missing_placeholders', message: `missing placeholder values: ${missing.join(', ')}` };
      else toInsert.push({ i, wf });
    }
  });

  const inserted = await repo.insertActivationRows(tx, toInsert.map(({ i, wf }) => ({ item: items[i]!, wf })), opts.planJobs);
  // By idempotency key, then account: a key repeated in the batch was inserted once, for its
  // first item; the others, keys used before, and rejected items whose key was used before get
  // the existing activation (like activate(), whatever the workflow's state).
  const byKey = groupBy(inserted, (r) => r.idempotency_key);
  const recheck: number[] = [];
  for (const { i, wf } of toInsert) {
    const item = items[i]!;
    const row = byKey.get(item.idempotencyKey)?.find((r) => r.account_id === item.accountId && !r.taken);
    if (!row) {
      recheck.push(i);
      continue;
    }
    row.taken = true;
    outcomes[i] = {
      status: 'created',
      jobId: row.job_id ?? undefined,
      activation: {
        id: row.id, accountId: item.accountId, workflowId: wf.id, workflowVersionId: wf.versionId, workflowVersion: wf.version,
        source: item.source, idempotencyKey: item.idempotencyKey, placeholders: item.placeholders ?? {}, inboundMessage: null,
        recordingUrl: null, context: item.context ?? {}, status: 'queued', recipientCount: null, error: null,
        createdAt: row.created_at, plannedAt: null, completedAt: null,
      },
    };
  }
  items.forEach((_, i) => outcomes[i]?.status === 'rejected' && recheck.push(i));
  const existing = await repo.findExisting(tx, recheck.map((i) => items[i]!));
  for (const i of recheck) {
    const a = existing.get(keyOf(items[i]!.accountId, items[i]!.idempotencyKey));
    if (a) outcomes[i] = { status: 'existing', activation: a };
    else if (!outcomes[i]) outcomes[i] = { status: 'rejected', code: 'not_found', message: 'activation conflict' };
  }
  return outcomes.map((o) => o!);
};
