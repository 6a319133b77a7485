import type { Queryable } from '../db/db.js';
import type { Activation } from './activation-types.js';
import { activationOutboxOf } from './outbox-repo.js';

type Row = Record<string, any>;

export const toActivation = (r: Row): Activation => ({
  id: r.id,
  accountId: r.account_id,
  workflowId: r.workflow_id,
  workflowVersionId: r.workflow_version_id,
  workflowVersion: r.workflow_version,
  source: r.source,
  idempotencyKey: r.idempotency_key,
  placeholders: r.placeholders ?? {},
  inboundMessage: r.inbound_message,
  recordingUrl: r.recording_url,
  context: r.context ?? {},
  status: r.status,
  recipientCount: r.recipient_count,
  error: r.error,
  createdAt: r.created_at,
  plannedAt: r.planned_at,
  completedAt: r.completed_at,
});

export type NewActivationRow = Omit<Activation, 'id' | 'status' | 'recipientCount' | 'error' | 'createdAt' | 'plannedAt' | 'completedAt'> & {
  requestHash: string | null;
};

/**
 * Inserts the activation and its outbox row, in one statement, unless the idempotency key exists;
 * returns null on conflict (and writes nothing).
 */
export const insertActivation = async (q: Queryable, a: NewActivationRow): Promise<{ activation: Activation } | null> => {
  const res = await q.query(
    `WITH a AS (
       INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key,
         request_hash, placeholders, inbound_message, recording_url, context)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
       ON CONFLICT (account_id, idempotency_key) DO NOTHING
       RETURNING *
     ), o AS (${activationOutboxOf('a')})
     SELECT * FROM a`,
    [a.accountId, a.workflowId, a.workflowVersionId, a.workflowVersion, a.source, a.idempotencyKey, a.requestHash,
      JSON.stringify(a.placeholders), a.inboundMessage, a.recordingUrl, JSON.stringify(a.context)],
  );
  return res.rows[0] ? { activation: toActivation(res.rows[0]) } : null;
};

export const findActivationByKey = async (q: Queryable, accountId: string, key: string): Promise<(Activation & { requestHash: string | null }) | null> => {
  const res = await q.query('SELECT * FROM activations WHERE account_id = $1 AND idempotency_key = $2', [accountId, key]);
  const r = res.rows[0];
  return r ? { ...toActivation(r), requestHash: r.request_hash } : null;
};

export const findActivation = async (q: Queryable, accountId: string, id: string): Promise<Activation | null> => {
  const res = await q.query('SELECT * FROM activations WHERE account_id = $1 AND id = $2', [accountId, id]);
  return res.rows[0] ? toActivation(res.rows[0]) : null;
};

/**
 * Takes the transaction-scoped advisory lock of (account, idempotency key) if free: false when
 * another transaction holds it (the same request still being processed).
 */
export const tryLockIdempotencyKey = async (q: Queryable, accountId: string, key: string): Promise<boolean> => {
  const res = await q.query('SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS ok', [accountId, key]);
  return res.rows[0]?.ok === true;
};

/** The workflow's current version to activate (not deleted), share-locked against a concurrent edit or pause. */
export type ActivatableWorkflow = { id: string; status: string; versionId: string; version: number; definition: unknown };

export const lockActivatableWorkflow = async (q: Queryable, accountId: string, workflowId: string): Promise<ActivatableWorkflow | null> => {
  const res = await q.query(
    `SELECT w.id, w.status, v.id AS version_id, v.version, v.definition
       FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
      WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL
      FOR SHARE OF w`,
    [accountId, workflowId],
  );
  const r = res.rows[0];
  return r ? { id: r.id, status: r.status, versionId: r.version_id, version: r.version, definition: r.definition } : null;
};

export const activationsRepo = { insertActivation, findActivationByKey, findActivation, tryLockIdempotencyKey, lockActivatableWorkflow };
export type ActivationsRepo = typeof activationsRepo;
