import type { PoolClient } from 'pg';
import { groupBy } from '../group-by.js';
import { missingPlaceholders } from '../templates/templates.js';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import { definitionPlaceholders } from '../workflows/workflow-definitions.js';
import type { ActivateInput, Activation } from './activation-types.js';
import { toActivation } from './activations-repo.js';

/** One activation to create in bulk: the subset of `activate()`'s input a machine trigger uses. */
export type BatchActivateItem = Pick<ActivateInput, 'accountId' | 'workflowId' | 'source' | 'idempotencyKey' | 'placeholders' | 'context'>;

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
 * A workflow's current version as the batch needs it, read with `FOR SHARE OF workflows`:
 * `placeholders` are the `[[names]]` its messages use (`definitionPlaceholders`).
 */
export type LockedWorkflow = { id: string; accountId: string; status: string; versionId: string; version: number; placeholders: string[] };

const keyOf = (accountId: string, key: string) => `${accountId}\u0000${key}`;

const findExisting = async (tx: PoolClient, items: BatchActivateItem[]): Promise<Map<string, Activation>> => {
  if (items.length === 0) return new Map();
  const res = await tx.query(
    `SELECT a.* FROM activations a
       JOIN unnest($1::uuid[], $2::text[]) AS k(account_id, idempotency_key)
         ON a.account_id = k.account_id AND a.idempotency_key = k.idempotency_key`,
    [items.map((i) => i.accountId), items.map((i) => i.idempotencyKey)],
  );
  return new Map(res.rows.map((r) => [keyOf(r.account_id, r.idempotency_key), toActivation(r)]));
};

const lockWorkflows = async (tx: PoolClient, ids: string[]): Promise<Map<string, LockedWorkflow>> => {
  if (ids.length === 0) return new Map();
  const res = await tx.query(
    `SELECT w.id, w.account_id, w.status, v.id AS version_id, v.version, v.definition
       FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
      WHERE w.id = ANY($1::uuid[]) AND w.deleted_at IS NULL
      ORDER BY w.id
      FOR SHARE OF w`,
    [[...new Set(ids)]],
  );
  return new Map(res.rows.map((r) => [r.id, {
    id: r.id, accountId: r.account_id, status: r.status, versionId: r.version_id, version: r.version,
    placeholders: definitionPlaceholders(r.definition as WorkflowDefinition),
  }]));
};

/**
 * Creates many activations inside the caller's transaction, each exactly as `activate()` does:
 * pinned to the workflow's current version, idempotent on `(accountId, idempotencyKey)` (a key
 * used before returns its first activation), with its outbox row. Nothing is dispatched: after
 * COMMIT the caller hands the `created` ids to the `ActivationDispatcher` (the outbox sweeper
 * covers a crash in between). Outcomes come back in the order of `items`; a rejected item
 * (workflow gone or paused, placeholders missing) writes nothing and does not abort the others.
 * `locked`: workflows the caller already read `FOR SHARE` in this transaction (saves a query).
 */
export const insertActivationsBatch = async (
  tx: PoolClient,
  items: BatchActivateItem[],
  locked?: Map<string, LockedWorkflow>,
  opts: InsertBatchOptions = {},
): Promise<BatchActivateOutcome[]> => {
  const outcomes = new Array<BatchActivateOutcome | undefined>(items.length);
  const missingIds = items.filter((i) => !locked?.has(i.workflowId)).map((i) => i.workflowId);
  const workflows = new Map([...(locked ?? []), ...(await lockWorkflows(tx, missingIds))]);

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

  const inserted = await insertRows(tx, toInsert.map(({ i, wf }) => ({ item: items[i]!, wf })), opts.planJobs);
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
  const existing = await findExisting(tx, recheck.map((i) => items[i]!));
  for (const i of recheck) {
    const a = existing.get(keyOf(items[i]!.accountId, items[i]!.idempotencyKey));
    if (a) outcomes[i] = { status: 'existing', activation: a };
    else if (!outcomes[i]) outcomes[i] = { status: 'rejected', code: 'not_found', message: 'activation conflict' };
  }
  return outcomes.map((o) => o!);
};

type InsertedRow = { id: string; account_id: string; idempotency_key: string; created_at: Date; job_id: string | null; taken?: boolean };

/**
 * Activations and their outbox rows in one statement (one round trip per batch). Only what
 * PostgreSQL chose comes back (id, created_at): every other column is what this batch wrote or
 * a column default (status `queued`, nothing planned yet); formatting and parsing 15 columns of
 * 1,000 rows back was a large share of the statement's cost. The rows go as one JSON document
 * (`json_to_recordset`): serialised natively, where nine array parameters went through the
 * driver's per-element escaping. With `planJobs`, the n-th inserted activation's outbox row
 * names job `ids[floor(n / size)]`, and the row comes back with it.
 */
const insertRows = async (
  tx: PoolClient,
  rows: Array<{ item: BatchActivateItem; wf: LockedWorkflow }>,
  planJobs: InsertBatchOptions['planJobs'],
): Promise<InsertedRow[]> => {
  if (rows.length === 0) return [];
  const res = await tx.query(
    `WITH a AS (
       INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context)
       SELECT account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key,
              COALESCE(placeholders, '{}'), COALESCE(context, '{}')
         FROM json_to_recordset($1::json) AS u(account_id uuid, workflow_id uuid, workflow_version_id uuid,
              workflow_version int, source text, idempotency_key text, placeholders jsonb, context jsonb)
       ON CONFLICT (account_id, idempotency_key) DO NOTHING
       RETURNING id, account_id, idempotency_key, created_at
     ), n AS (
       SELECT a.*, ($2::text[])[((row_number() OVER () - 1) / $3::int + 1)::int] AS job_id FROM a
     ), o AS (
       INSERT INTO outbox (topic, ref_id, job_id) SELECT 'activation', id::text, job_id FROM n
       ON CONFLICT DO NOTHING
     )
     SELECT * FROM n`,
    [
      JSON.stringify(rows.map((r) => ({
        account_id: r.item.accountId, workflow_id: r.wf.id, workflow_version_id: r.wf.versionId, workflow_version: r.wf.version,
        source: r.item.source, idempotency_key: r.item.idempotencyKey, placeholders: r.item.placeholders, context: r.item.context,
      }))),
      planJobs?.ids ?? null,
      planJobs?.size ?? 1,
    ],
  );
  return res.rows;
};
