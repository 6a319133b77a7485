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
 * The activation and its outbox row in one statement, written only while the workflow is as read
 * (`$4` its current version, `$12` its status, not deleted; its row share-locked for the
 * statement), and only if the idempotency key is new.
 */
const INSERT_IF_CURRENT = `WITH w AS (
       SELECT 1 FROM workflows
        WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL AND current_version = $4 AND status = $12
        FOR SHARE
     ), a AS (
       INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key,
         request_hash, placeholders, inbound_message, recording_url, context)
       SELECT $1::uuid, $2::uuid, $3::uuid, $4::int, $5::text, $6::text, $7::text, $8::jsonb, $9::text, $10::text, $11::jsonb FROM w
       ON CONFLICT (account_id, idempotency_key) DO NOTHING
       RETURNING *
     ), o AS (${activationOutboxOf('a')})
     SELECT * FROM a`;

const newActivationValues = (a: NewActivationRow) => [
  a.accountId, a.workflowId, a.workflowVersionId, a.workflowVersion, a.source, a.idempotencyKey, a.requestHash,
  JSON.stringify(a.placeholders), a.inboundMessage, a.recordingUrl, JSON.stringify(a.context),
];

/**
 * What `activate()` needs before it writes, in one statement: the activation already stored under
 * the idempotency key, if any, and the workflow's current version (not deleted), if it exists.
 * Nothing is locked: `insertActivationIfCurrent` writes only if the workflow is still as read.
 */
export const findActivatable = async (
  q: Queryable, accountId: string, workflowId: string, key: string,
): Promise<{ existing: (Activation & { requestHash: string | null }) | null; workflow: ActivatableWorkflow | null }> => {
  const res = await q.query(
    `SELECT a.*, w.id AS w_id, w.status AS w_status, v.id AS w_version_id, v.version AS w_version, v.definition AS w_definition
       FROM (SELECT 1) one
       LEFT JOIN activations a ON a.account_id = $1 AND a.idempotency_key = $3
       LEFT JOIN workflows w ON w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL
       LEFT JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version`,
    [accountId, workflowId, key],
  );
  const r = res.rows[0]!;
  return {
    existing: r.id ? { ...toActivation(r), requestHash: r.request_hash } : null,
    workflow: r.w_id && r.w_version_id ? { id: r.w_id, status: r.w_status, versionId: r.w_version_id, version: r.w_version, definition: r.w_definition } : null,
  };
};

/**
 * Writes the activation and its outbox row (one statement) only while the workflow is as
 * `activate()` read it: same current version and status, not deleted. The workflow row is
 * share-locked for the statement, so an edit, pause or delete committing meanwhile either waits
 * for it or is seen by it. Null when nothing was written: the key was taken meanwhile, or the
 * workflow changed (the caller reads again).
 */
export const insertActivationIfCurrent = async (
  q: Queryable, a: NewActivationRow, workflowStatus: string,
): Promise<{ activation: Activation } | null> => {
  const res = await q.query(INSERT_IF_CURRENT, [...newActivationValues(a), workflowStatus]);
  return res.rows[0] ? { activation: toActivation(res.rows[0]) } : null;
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

/** The workflow's current version to activate (not deleted), as `findActivatable` read it. */
export type ActivatableWorkflow = { id: string; status: string; versionId: string; version: number; definition: unknown };

export const activationsRepo = { insertActivationIfCurrent, findActivatable, findActivation, tryLockIdempotencyKey };
export type ActivationsRepo = typeof activationsRepo;
