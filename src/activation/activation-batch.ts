import type { PoolClient } from 'pg';
import { missingPlaceholders } from '../templates/templates.js';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import { definitionPlaceholders } from './activation-service.js';
import type { ActivateInput, Activation } from './activation-types.js';
import { toActivation } from './activations-repo.js';

/** One activation to create in bulk: the subset of `activate()`'s input a machine trigger uses. */
export type BatchActivateItem = Pick<ActivateInput, 'accountId' | 'workflowId' | 'source' | 'idempotencyKey' | 'placeholders' | 'context'> & {
  /**
   * The planner job (a batch job) the caller will queue this activation in, written with its
   * outbox row so the sweeper asks Redis about that job. Unset: the activation's own job.
   */
  outboxJobId?: string;
};

export type BatchActivateOutcome =
  | { status: 'created'; activation: Activation }
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
): Promise<BatchActivateOutcome[]> => {
  const outcomes = new Array<BatchActivateOutcome | undefined>(items.length);
  const missingIds = items.filter((i) => !locked?.has(i.workflowId)).map((i) => i.workflowId);
  const workflows = new Map([...(locked ?? []), ...(await lockWorkflows(tx, missingIds))]);

  const toInsert: number[] = [];
  items.forEach((item, i) => {
    const wf = workflows.get(item.workflowId);
    if (!wf || wf.accountId !== item.accountId) {
      outcomes[i] = { status: 'rejected', code: 'not_found', message: 'workflow not found' };
    } else if (wf.status === 'paused') {
      outcomes[i] = { status: 'rejected', code: 'workflow_paused', message: 'workflow is paused' };
    } else {
      const missing = wf.placeholders.length === 0 ? wf.placeholders : missingPlaceholders(wf.placeholders, item.placeholders ?? {});
      if (missing.length > 0) outcomes[i] = { status: 'rejected', code: 'missing_placeholders', message: `missing placeholder values: ${missing.join(', ')}` };
      else toInsert.push(i);
    }
  });

  const created = await insertRows(tx, toInsert.map((i) => ({ item: items[i]!, wf: workflows.get(items[i]!.workflowId)! })));
  // Keys used before (or repeated within this batch), and rejected items whose key was used
  // before: like activate(), an existing activation is returned whatever the workflow's state.
  const claimed = new Set<string>();
  const recheck: number[] = [];
  for (const i of toInsert) {
    const k = keyOf(items[i]!.accountId, items[i]!.idempotencyKey);
    const mine = created.get(k);
    if (mine && !claimed.has(k)) {
      claimed.add(k);
      outcomes[i] = { status: 'created', activation: mine };
    } else recheck.push(i);
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

/**
 * Activations and their outbox rows in one statement (one round trip per batch). Only what
 * PostgreSQL chose comes back (id, created_at): every other column is what this batch wrote or
 * a column default (status `queued`, nothing planned yet); formatting and parsing 15 columns of
 * 1,000 rows back was a large share of the statement's cost. The outbox row carries the
 * item's `outboxJobId` (matched on the idempotency key, unique per account).
 */
const insertRows = async (tx: PoolClient, rows: Array<{ item: BatchActivateItem; wf: LockedWorkflow }>): Promise<Map<string, Activation>> => {
  if (rows.length === 0) return new Map();
  const res = await tx.query(
    `WITH src AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[], $9::text[])
         AS u(account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context, job_id)
     ), a AS (
       INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context)
       SELECT account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context FROM src
       ON CONFLICT (account_id, idempotency_key) DO NOTHING
       RETURNING id, account_id, idempotency_key, created_at
     ), o AS (
       INSERT INTO outbox (topic, ref_id, job_id)
       SELECT 'activation', a.id::text, src.job_id FROM a JOIN src USING (account_id, idempotency_key)
       ON CONFLICT DO NOTHING
     )
     SELECT * FROM a`,
    [
      rows.map((r) => r.item.accountId),
      rows.map((r) => r.wf.id),
      rows.map((r) => r.wf.versionId),
      rows.map((r) => r.wf.version),
      rows.map((r) => r.item.source),
      rows.map((r) => r.item.idempotencyKey),
      rows.map((r) => JSON.stringify(r.item.placeholders ?? {})),
      rows.map((r) => JSON.stringify(r.item.context ?? {})),
      rows.map((r) => r.item.outboxJobId ?? null),
    ],
  );
  const written = new Map<string, { item: BatchActivateItem; wf: LockedWorkflow }>();
  for (const r of rows) {
    const k = keyOf(r.item.accountId, r.item.idempotencyKey);
    if (!written.has(k)) written.set(k, r); // a key repeated in the batch: its first item was inserted
  }
  const out = new Map<string, Activation>();
  for (const r of res.rows as Array<{ id: string; account_id: string; idempotency_key: string; created_at: Date }>) {
    const k = keyOf(r.account_id, r.idempotency_key);
    const { item, wf } = written.get(k)!;
    out.set(k, {
      id: r.id, accountId: r.account_id, workflowId: wf.id, workflowVersionId: wf.versionId, workflowVersion: wf.version,
      source: item.source, idempotencyKey: r.idempotency_key, placeholders: item.placeholders ?? {}, inboundMessage: null,
      recordingUrl: null, context: item.context ?? {}, status: 'queued', recipientCount: null, error: null,
      createdAt: r.created_at, plannedAt: null, completedAt: null,
    });
  }
  return out;
};
