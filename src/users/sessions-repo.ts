import type { PoolClient } from 'pg';
import type { Queryable } from '../db/db.js';
import type { UserRole } from './users-repo.js';

/** A live session (not expired, user not disabled) with its user. */
export type SessionRecord = {
  id: string; userId: string; accountId: string; csrfToken: string; expiresAt: Date; email: string; name: string; role: UserRole;
};

/** Stores a session by the SHA-256 of its token; the user's expired sessions go in the same statement. */
export const insertSession = async (
  q: Queryable, s: { id: string; userId: string; accountId: string; csrfToken: string; ttlSeconds: number },
): Promise<Date> => {
  const res = await q.query(
    `WITH purge AS (DELETE FROM sessions WHERE user_id = $2 AND expires_at < now())
     INSERT INTO sessions (id, user_id, account_id, csrf_token, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
    [s.id, s.userId, s.accountId, s.csrfToken, s.ttlSeconds],
  );
  return res.rows[0].expires_at as Date;
};

/** The session with this id if it has not expired and its user is enabled. */
export const findLiveSession = async (q: Queryable, id: string): Promise<SessionRecord | null> => {
  const res = await q.query(
    `SELECT s.id, s.user_id, s.account_id, s.csrf_token, s.expires_at, s.created_at, u.email, u.name, u.role
       FROM sessions s JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id
      WHERE s.id = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [id],
  );
  const r = res.rows[0];
  return r
    ? { id: r.id, userId: r.user_id, accountId: r.account_id, csrfToken: r.csrf_token, expiresAt: r.expires_at, email: r.email, name: r.name, role: r.role }
    : null;
};

/** Moves the expiry to now + ttl; null when the session is gone meanwhile. */
export const extendSession = async (q: Queryable, id: string, ttlSeconds: number): Promise<Date | null> => {
  const res = await q.query('UPDATE sessions SET expires_at = now() + make_interval(secs => $2) WHERE id = $1 RETURNING expires_at', [id, ttlSeconds]);
  return res.rows[0]?.expires_at ?? null;
};

export const deleteSession = async (q: Queryable, id: string): Promise<void> => {
  await q.query('DELETE FROM sessions WHERE id = $1', [id]);
};

/**
 * Deletes expired sessions of every account, inside the caller's transaction, if this
 * transaction gets the purge's advisory lock; null when another holds it (no waiting).
 */
export const purgeExpiredSessions = async (tx: PoolClient): Promise<number | null> => {
  const lock = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtext('switchboard:sessions-purge')) AS ok`);
  if (!lock.rows[0].ok) return null;
  const res = await tx.query('DELETE FROM sessions WHERE expires_at < now()');
  return res.rowCount ?? 0;
};

export const sessionsRepo = { insertSession, findLiveSession, extendSession, deleteSession, purgeExpiredSessions };
export type SessionsRepo = typeof sessionsRepo;
