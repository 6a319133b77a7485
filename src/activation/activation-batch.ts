import type { PoolClient } from 'pg';
import { missingPlaceholders } from '../templates/templates.js';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import { definitionPlaceholders } from './activation-service.js';
import type { ActivateInput, Activation } from './activation-types.js';
import { toActivation } from './activations-repo.js';

/** One activation to create in bulk: the subset of `activate()`'s input a machine trigger uses. */
export type BatchActivateItem = Pick<ActivateInput, 'accountId' | 'workflowId' | 'source' | 'idempotencyKey' | 'placeholders' | 'context'>;

export type BatchActivateOutcome =
  | { status: 'created'; activation: Activation }
  /** The idempotency key was used before: the first activation, nothing new queued. */
  | { status: 'existing'; activation: Activation }
  | { status: 'rejected'; code: 'not_found' | 'workflow_paused' | 'missing_placeholders'; message: string };

/** A workflow's current version as the batch needs it, read with `FOR SHARE OF workflows`. */
export type LockedWorkflow = { id: string; accountId: string; status: string; versionId: string; version: number; definition: WorkflowDefinition };

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
  return new Map(res.rows.map((r) => [r.id, { id: r.id, accountId: r.account_id, status: r.status, versionId: r.version_id, version: r.version, definition: r.definition }]));
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

  const placeholdersByVersion = new Map<string, string[]>();
  const toInsert: number[] = [];
  items.forEach((item, i) => {
    const wf = workflows.get(item.workflowId);
    if (!wf || wf.accountId !== item.accountId) {
      outcomes[i] = { status: 'rejected', code: 'not_found', message: 'workflow not found' };
    } else if (wf.status === 'paused') {
      outcomes[i] = { status: 'rejected', code: 'workflow_paused', message: 'workflow is paused' };
    } else {
      let names = placeholdersByVersion.get(wf.versionId);
      if (!names) placeholdersByVersion.set(wf.versionId, (names = definitionPlaceholders(wf.definition)));
      const missing = missingPlaceholders(names, item.placeholders ?? {});
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
 * Activations and their outbox rows in one statement (one round trip per batch). The jsonb
 * columns are not sent back: they are exactly what this batch wrote (`placeholders`, `context`),
 * and formatting them back as text was a large share of the insert's cost for 1,000 rows.
 */
const insertRows = async (tx: PoolClient, rows: Array<{ item: BatchActivateItem; wf: LockedWorkflow }>): Promise<Map<string, Activation>> => {
  if (rows.length === 0) return new Map();
  const res = await tx.query(
    `WITH a AS (
       INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])
       ON CONFLICT (account_id, idempotency_key) DO NOTHING
       RETURNING id, account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, inbound_message, recording_url,
                 status, recipient_count, error, created_at, planned_at, completed_at
     ), o AS (
       INSERT INTO outbox (topic, ref_id) SELECT 'activation', a.id::text FROM a ON CONFLICT DO NOTHING
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
    ],
  );
  const written = new Map<string, BatchActivateItem>();
  for (const r of rows) {
    const k = keyOf(r.item.accountId, r.item.idempotencyKey);
    if (!written.has(k)) written.set(k, r.item); // a key repeated in the batch: its first item was inserted
  }
  return new Map(res.rows.map((r) => {
    const k = keyOf(r.account_id, r.idempotency_key);
    const item = written.get(k);
    return [k, toActivation({ ...r, placeholders: item?.placeholders ?? {}, context: item?.context ?? {} })];
  }));
};
