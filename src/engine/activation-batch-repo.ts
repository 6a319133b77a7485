import type { PoolClient } from 'pg';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import { definitionPlaceholders } from '../workflows/workflow-definitions.js';
import type { Activation, BatchActivateItem } from './activation-types.js';
import { toActivation } from './activations-repo.js';

/** The statements of `insertActivationsBatch` (activation-batch.ts): many activations in a few round trips. */

/**
 * A workflow's current version as the batch needs it, read with `FOR SHARE OF workflows`:
 * `placeholders` are the `[[names]]` its messages use (`definitionPlaceholders`).
 */
export type LockedWorkflow = { id: string; accountId: string; status: string; versionId: string; version: number; placeholders: string[] };

/** The map key of an activation's (account, idempotency key). */
export const keyOf = (accountId: string, key: string) => `${accountId}\u0000${key}`;

/** Activations already created under these (account, idempotency key) pairs, by `keyOf`. */
export const findExisting = async (tx: PoolClient, items: Array<{ accountId: string; idempotencyKey: string }>): Promise<Map<string, Activation>> => {
  if (items.length === 0) return new Map();
  const res = await tx.query(
    `SELECT a.* FROM activations a
       JOIN unnest($1::uuid[], $2::text[]) AS k(account_id, idempotency_key)
         ON a.account_id = k.account_id AND a.idempotency_key = k.idempotency_key`,
    [items.map((i) => i.accountId), items.map((i) => i.idempotencyKey)],
  );
  return new Map(res.rows.map((r) => [keyOf(r.account_id, r.idempotency_key), toActivation(r)]));
};

/** The workflows' current versions, `FOR SHARE OF workflows` in id order (no deadlock between batches). */
export const lockWorkflows = async (tx: PoolClient, ids: string[]): Promise<Map<string, LockedWorkflow>> => {
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

/** One activation the batch created (columns PostgreSQL chose only), with the planner job its outbox row names. */
export type InsertedRow = { id: string; account_id: string; idempotency_key: string; created_at: Date; job_id: string | null; taken?: boolean };

/**
 * Activations and their outbox rows in one statement (one round trip per batch). Only what
 * PostgreSQL chose comes back (id, created_at): every other column is what this batch wrote or
 * a column default (status `queued`, nothing planned yet); formatting and parsing 15 columns of
 * 1,000 rows back was a large share of the statement's cost. The rows go as one JSON document
 * (`json_to_recordset`): serialised natively, where nine array parameters went through the
 * driver's per-element escaping. With `planJobs`, the n-th inserted activation's outbox row
 * names job `ids[floor(n / size)]`, and the row comes back with it.
 */
export const insertActivationRows = async (
  tx: PoolClient,
  rows: Array<{ item: BatchActivateItem; wf: LockedWorkflow }>,
  planJobs: { ids: string[]; size: number } | undefined,
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

export const activationBatchRepo = { findExisting, lockWorkflows, insertActivationRows };
export type ActivationBatchRepo = typeof activationBatchRepo;
