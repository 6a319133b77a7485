import type { Queryable } from '../db/db.js';

/** One scheduled action of a matched rule for a contact (table `rule_pending_actions`). */
export type PendingAction = {
  id: string;
  accountId: string;
  ruleId: string;
  actionId: string;
  actionType: string;
  contactId: string | null;
  eventId: string;
  chainDepth: number;
  status: 'pending' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'skipped';
  dueAt: Date;
  attempts: number;
  reason: string | null;
  createdAt: Date;
  finishedAt: Date | null;
};

export const OPEN_STATUSES = ['pending', 'queued', 'running'] as const;

const toPending = (r: Record<string, any>): PendingAction => ({
  id: r.id, accountId: r.account_id, ruleId: r.rule_id, actionId: r.action_id, actionType: r.action_type, contactId: r.contact_id,
  eventId: r.event_id, chainDepth: r.chain_depth, status: r.status, dueAt: r.due_at, attempts: r.attempts, reason: r.reason,
  createdAt: r.created_at, finishedAt: r.finished_at,
});

export type NewPending = Pick<PendingAction, 'accountId' | 'ruleId' | 'actionId' | 'actionType' | 'contactId' | 'eventId' | 'chainDepth' | 'dueAt'>;

/** Idempotent per (event, rule, action): a redelivered event schedules nothing twice. */
export const insertPending = async (q: Queryable, rows: NewPending[], now: Date): Promise<PendingAction[]> => {
  if (rows.length === 0) return [];
  const res = await q.query(
    `INSERT INTO rule_pending_actions (account_id, rule_id, action_id, action_type, contact_id, event_id, chain_depth, due_at, created_at, updated_at)
     SELECT x.account_id, x.rule_id, x.action_id, x.action_type, x.contact_id, x.event_id, x.chain_depth, x.due_at, $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(account_id uuid, rule_id uuid, action_id text, action_type text, contact_id uuid,
            event_id uuid, chain_depth int, due_at timestamptz)
     ON CONFLICT (event_id, rule_id, action_id) DO NOTHING RETURNING *`,
    [JSON.stringify(rows.map((r) => ({
      account_id: r.accountId, rule_id: r.ruleId, action_id: r.actionId, action_type: r.actionType, contact_id: r.contactId,
      event_id: r.eventId, chain_depth: r.chainDepth, due_at: r.dueAt.toISOString(),
    }))), now],
  );
  return res.rows.map(toPending);
};

export const hasOpenPending = async (q: Queryable, ruleId: string, contactId: string): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM rule_pending_actions WHERE rule_id = $1 AND contact_id = $2 AND status IN ('pending', 'queued', 'running') LIMIT 1`,
    [ruleId, contactId],
  );
  return (res.rowCount ?? 0) > 0;
};

/** Rules that still have waiting actions for the contact (stop-if candidates). */
export const rulesWithOpenPending = async (q: Queryable, contactId: string): Promise<string[]> => {
  const res = await q.query(
    `SELECT DISTINCT rule_id FROM rule_pending_actions WHERE contact_id = $1 AND status IN ('pending', 'queued')`,
    [contactId],
  );
  return res.rows.map((r) => r.rule_id);
};

/**
 * Cancels waiting (pending or queued, not running) actions and logs each cancellation.
 * Scope: one rule (optionally one contact) or one pending id. Returns the cancelled rows.
 */
const cancelWhere = async (q: Queryable, where: string, args: unknown[], reason: string, at: Date | null): Promise<PendingAction[]> => {
  const n = args.length;
  const res = await q.query(
    `WITH c AS (
       UPDATE rule_pending_actions SET status = 'cancelled', reason = $${n + 1}, finished_at = COALESCE($${n + 2}, now()), updated_at = COALESCE($${n + 2}, now())
        WHERE ${where} AND status IN ('pending', 'queued') RETURNING *
     ), l AS (
       INSERT INTO rule_logs (account_id, rule_id, contact_id, event_id, kind, outcome, action_id, action_type, pending_id, detail, at)
       SELECT account_id, rule_id, contact_id, event_id, 'action', 'cancelled', action_id, action_type, id, jsonb_build_object('reason', $${n + 1}::text), COALESCE($${n + 2}, now())
         FROM c
     )
     SELECT * FROM c`,
    [...args, reason, at],
  );
  return res.rows.map(toPending);
};

export const cancelPendingForRule = (q: Queryable, accountId: string, ruleId: string, reason: string, opts: { contactId?: string; at?: Date } = {}) =>
  opts.contactId
    ? cancelWhere(q, 'account_id = $1 AND rule_id = $2 AND contact_id = $3', [accountId, ruleId, opts.contactId], reason, opts.at ?? null)
    : cancelWhere(q, 'account_id = $1 AND rule_id = $2', [accountId, ruleId], reason, opts.at ?? null);

export const cancelPendingById = (q: Queryable, accountId: string, id: string, reason: string) =>
  cancelWhere(q, 'account_id = $1 AND id = $2', [accountId, id], reason, null);

export const findPending = async (q: Queryable, accountId: string, id: string): Promise<PendingAction | null> => {
  const res = await q.query('SELECT * FROM rule_pending_actions WHERE account_id = $1 AND id = $2', [accountId, id]);
  return res.rows[0] ? toPending(res.rows[0]) : null;
};

export const getPendingById = async (q: Queryable, id: string): Promise<PendingAction | null> => {
  const res = await q.query('SELECT * FROM rule_pending_actions WHERE id = $1', [id]);
  return res.rows[0] ? toPending(res.rows[0]) : null;
};

export type PendingQuery = { ruleId?: string; contactId?: string; status?: string[]; before?: string; limit: number };

export const listPending = async (q: Queryable, accountId: string, f: PendingQuery): Promise<PendingAction[]> => {
  const res = await q.query(
    `SELECT * FROM rule_pending_actions
      WHERE account_id = $1 AND ($2::uuid IS NULL OR rule_id = $2) AND ($3::uuid IS NULL OR contact_id = $3)
        AND status = ANY($4::text[])
        AND ($5::uuid IS NULL OR (due_at, id) > (SELECT due_at, id FROM rule_pending_actions WHERE id = $5))
      ORDER BY due_at, id LIMIT $6`,
    [accountId, f.ruleId ?? null, f.contactId ?? null, f.status ?? [...OPEN_STATUSES], f.before ?? null, f.limit],
  );
  return res.rows.map(toPending);
};

/** Marks due rows queued (SKIP LOCKED: concurrent schedulers split the work) and returns their ids. */
export const claimDue = async (q: Queryable, now: Date, limit: number, ids?: string[]): Promise<string[]> => {
  const res = await q.query(
    `UPDATE rule_pending_actions p SET status = 'queued', queued_at = $1, updated_at = $1
       FROM (SELECT id FROM rule_pending_actions
              WHERE status = 'pending' AND due_at <= $1 AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
              ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) d
      WHERE p.id = d.id RETURNING p.id`,
    [now, limit, ids ?? null],
  );
  return res.rows.map((r) => r.id);
};

/**
 * Queued rows whose job Redis lost, and running rows a crashed worker left behind, are queued
 * again (job id dedupes live jobs). Safe: every action commits its effect and its `done` state
 * in one transaction (sends create their delivery there), so a re-run finds it done.
 */
export const recoverStale = async (q: Queryable, now: Date, staleMs: number, limit: number): Promise<string[]> => {
  const cutoff = new Date(now.getTime() - staleMs);
  const res = await q.query(
    `UPDATE rule_pending_actions p SET queued_at = $1, status = 'queued', updated_at = $1
       FROM (SELECT id FROM rule_pending_actions
              WHERE (status = 'queued' AND queued_at < $2) OR (status = 'running' AND claimed_at < $2)
              LIMIT $3 FOR UPDATE SKIP LOCKED) d
      WHERE p.id = d.id RETURNING p.id`,
    [now, cutoff, limit],
  );
  return res.rows.map((r) => r.id);
};

/** queued -> running, once. Null when another worker has it or it was cancelled. */
export const claimForRun = async (q: Queryable, id: string, now: Date): Promise<PendingAction | null> => {
  const res = await q.query(
    `UPDATE rule_pending_actions SET status = 'running', attempts = attempts + 1, claimed_at = $2, updated_at = $2
      WHERE id = $1 AND status = 'queued' RETURNING *`,
    [id, now],
  );
  return res.rows[0] ? toPending(res.rows[0]) : null;
};

export const finishPending = async (q: Queryable, id: string, status: 'done' | 'failed' | 'cancelled' | 'skipped', reason: string | null, now: Date): Promise<void> => {
  await q.query(
    `UPDATE rule_pending_actions SET status = $2, reason = $3, finished_at = $4, updated_at = $4 WHERE id = $1 AND status = 'running'`,
    [id, status, reason, now],
  );
};

/** running -> pending at a later time (outside the window, or a retry after a transient error). */
export const reschedulePending = async (q: Queryable, id: string, dueAt: Date, reason: string, now: Date): Promise<void> => {
  await q.query(
    `UPDATE rule_pending_actions SET status = 'pending', due_at = $2, reason = $3, queued_at = NULL, updated_at = $4 WHERE id = $1 AND status = 'running'`,
    [id, dueAt, reason, now],
  );
};

/** Locks the row (the caller's transaction) and returns its status, or null when it is gone. */
export const lockPendingStatus = async (q: Queryable, id: string): Promise<string | null> => {
  const res = await q.query('SELECT status FROM rule_pending_actions WHERE id = $1 FOR UPDATE', [id]);
  return res.rows[0]?.status ?? null;
};

/** queued -> pending again (their jobs could not be added); the next poll claims them. */
export const unqueuePending = async (q: Queryable, ids: string[]): Promise<void> => {
  await q.query(`UPDATE rule_pending_actions SET status = 'pending', queued_at = NULL WHERE id = ANY($1::uuid[]) AND status = 'queued'`, [ids]);
};

export const pendingRepo = {
  insertPending, hasOpenPending, rulesWithOpenPending, cancelPendingForRule, cancelPendingById, findPending, getPendingById, listPending,
  claimDue, recoverStale, claimForRun, finishPending, reschedulePending, lockPendingStatus, unqueuePending,
};
export type PendingRepo = typeof pendingRepo;
