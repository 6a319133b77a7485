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

type WorkflowRow = { id: string; account_id: string; status: string; version_id: string; version: number; definition: WorkflowDefinition };

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

const lockWorkflows = async (tx: PoolClient, ids: string[]): Promise<Map<string, WorkflowRow>> => {
  if (ids.length === 0) return new Map();
  const res = await tx.query<WorkflowRow>(
    `SELECT w.id, w.account_id, w.status, v.id AS version_id, v.version, v.definition
       FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
      WHERE w.id = ANY($1::uuid[]) AND w.deleted_at IS NULL
      ORDER BY w.id
      FOR SHARE OF w`,
    [[...new Set(ids)]],
  );
  return new Map(res.rows.map((r) => [r.id, r]));
};

/**
 * Creates many activations inside the caller's transaction, each exactly as `activate()` does:
 * pinned to the workflow's current version, idempotent on `(accountId, idempotencyKey)`, with
 * its outbox row. Nothing is dispatched: after COMMIT the caller hands the `created` ids to the
 * `ActivationDispatcher` (the outbox sweeper covers a crash in between). Outcomes are returned
 * in the order of `items`; a rejected item (workflow gone or paused, placeholders missing)
 * writes nothing and does not abort the others.
 */
export const insertActivationsBatch = async (tx: PoolClient, items: BatchActivateItem[]): Promise<BatchActivateOutcome[]> => {
  const outcomes = new Array<BatchActivateOutcome | undefined>(items.length);
  const existing = await findExisting(tx, items);
  const fresh: number[] = [];
  items.forEach((item, i) => {
    const found = existing.get(keyOf(item.accountId, item.idempotencyKey));
    if (found) outcomes[i] = { status: 'existing', activation: found };
    else fresh.push(i);
  });

  const workflows = await lockWorkflows(tx, fresh.map((i) => items[i]!.workflowId));
  const placeholdersByVersion = new Map<string, string[]>();
  const toInsert: number[] = [];
  for (const i of fresh) {
    const item = items[i]!;
    const wf = workflows.get(item.workflowId);
    if (!wf || wf.account_id !== item.accountId) {
      outcomes[i] = { status: 'rejected', code: 'not_found', message: 'workflow not found' };
      continue;
    }
    if (wf.status === 'paused') {
      outcomes[i] = { status: 'rejected', code: 'workflow_paused', message: 'workflow is paused' };
      continue;
    }
    let names = placeholdersByVersion.get(wf.version_id);
    if (!names) placeholdersByVersion.set(wf.version_id, (names = definitionPlaceholders(wf.definition)));
    const missing = missingPlaceholders(names, item.placeholders ?? {});
    if (missing.length > 0) {
      outcomes[i] = { status: 'rejected', code: 'missing_placeholders', message: `missing placeholder values: ${missing.join(', ')}` };
      continue;
    }
    toInsert.push(i);
  }

  if (toInsert.length > 0) {
    const rows = toInsert.map((i) => ({ item: items[i]!, wf: workflows.get(items[i]!.workflowId)! }));
    const res = await tx.query(
      `INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])
       ON CONFLICT (account_id, idempotency_key) DO NOTHING
       RETURNING *`,
      [
        rows.map((r) => r.item.accountId),
        rows.map((r) => r.wf.id),
        rows.map((r) => r.wf.version_id),
        rows.map((r) => r.wf.version),
        rows.map((r) => r.item.source),
        rows.map((r) => r.item.idempotencyKey),
        rows.map((r) => JSON.stringify(r.item.placeholders ?? {})),
        rows.map((r) => JSON.stringify(r.item.context ?? {})),
      ],
    );
    const created = new Map(res.rows.map((r) => [keyOf(r.account_id, r.idempotency_key), toActivation(r)]));
    if (created.size > 0) {
      await tx.query(`INSERT INTO outbox (topic, ref_id) SELECT 'activation', unnest($1::text[]) ON CONFLICT DO NOTHING`, [
        [...created.values()].map((a) => a.id),
      ]);
    }
    // Keys another transaction inserted meanwhile (or repeated within this batch): the first activation wins.
    const lost = toInsert.filter((i) => !created.has(keyOf(items[i]!.accountId, items[i]!.idempotencyKey)));
    const raced = await findExisting(tx, lost.map((i) => items[i]!));
    const claimed = new Set<string>();
    for (const i of toInsert) {
      const k = keyOf(items[i]!.accountId, items[i]!.idempotencyKey);
      const mine = created.get(k);
      if (mine && !claimed.has(k)) {
        claimed.add(k);
        outcomes[i] = { status: 'created', activation: mine };
      } else {
        const a = mine ?? raced.get(k);
        outcomes[i] = a ? { status: 'existing', activation: a } : { status: 'rejected', code: 'not_found', message: 'activation conflict' };
      }
    }
  }
  return outcomes.map((o) => o!);
};
