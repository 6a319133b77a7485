import { randomToken, safeEqual, sha256Hex } from '../crypto.js';
import { withTransaction, type Db } from '../db/db.js';
import type { User, UserRole } from './users-service.js';

/** A signed-in dashboard user, as resolved from a session cookie on each request. */
export type SessionUser = {
  sessionId: string;
  userId: string;
  accountId: string;
  email: string;
  name: string;
  role: UserRole;
  csrfToken: string;
  expiresAt: Date;
  /** True when this request extended the session: the cookie should be set again. */
  renewed: boolean;
};

export type SessionsServiceDeps = {
  db: Db;
  /** Absolute lifetime of a session. */
  ttlSeconds: number;
  /** A session used after this share of its lifetime is extended (sliding renewal), at most once per request. */
  renewAfterFraction?: number;
};

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions. The cookie holds a random 256-bit token; only its SHA-256 is stored
 * (`sessions.id`), so a database leak does not hand out live sessions. Each session carries its
 * own CSRF token, which the browser echoes in a header on every mutating request.
 */
export const createSessionsService = (deps: SessionsServiceDeps) => {
  const renewAfter = deps.renewAfterFraction ?? 0.5;

  /** Starts a session for a verified user; returns the cookie token (shown once) and CSRF token. */
  const create = async (user: Pick<User, 'id' | 'accountId'>) => {
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const res = await deps.db.query(
      `WITH purge AS (DELETE FROM sessions WHERE user_id = $2 AND expires_at < now())
       INSERT INTO sessions (id, user_id, account_id, csrf_token, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING expires_at`,
      [sha256Hex(token), user.id, user.accountId, csrfToken, deps.ttlSeconds],
    );
    return { token, csrfToken, expiresAt: res.rows[0].expires_at as Date };
  };

  /**
   * Resolves a cookie token to its user, or null when the token is malformed, unknown, expired
   * or its user is disabled. Sessions past half their life are extended (sliding expiry).
   */
  const resolve = async (token: string): Promise<SessionUser | null> => {
    if (!TOKEN_RE.test(token)) return null;
    const id = sha256Hex(token);
    const res = await deps.db.query(
      `SELECT s.id, s.user_id, s.account_id, s.csrf_token, s.expires_at, s.created_at, u.email, u.name, u.role
         FROM sessions s JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id
        WHERE s.id = $1 AND s.expires_at > now() AND u.disabled_at IS NULL`,
      [id],
    );
    const r = res.rows[0];
    if (!r) return null;
    let expiresAt: Date = r.expires_at;
    let renewed = false;
    if (expiresAt.getTime() - Date.now() < deps.ttlSeconds * 1000 * (1 - renewAfter)) {
      const upd = await deps.db.query(
        'UPDATE sessions SET expires_at = now() + make_interval(secs => $2) WHERE id = $1 RETURNING expires_at',
        [id, deps.ttlSeconds],
      );
      expiresAt = upd.rows[0]?.expires_at ?? expiresAt;
      renewed = true;
    }
    return {
      sessionId: id, userId: r.user_id, accountId: r.account_id, email: r.email, name: r.name, role: r.role,
      csrfToken: r.csrf_token, expiresAt, renewed,
    };
  };

  /** Signs out one session (idempotent). */
  const destroy = async (token: string): Promise<void> => {
    if (!TOKEN_RE.test(token)) return;
    await deps.db.query('DELETE FROM sessions WHERE id = $1', [sha256Hex(token)]);
  };

  /** Constant-time comparison of the CSRF header with the session's token. */
  const checkCsrf = (session: Pick<SessionUser, 'csrfToken'>, header: string | undefined): boolean =>
    typeof header === 'string' && safeEqual(header, session.csrfToken);

  /**
   * Deletes expired sessions of every account; returns how many. Safe from many processes at
   * once: the one holding the advisory lock purges, the others return 0 at once (no lock queue).
   */
  const purgeExpired = async (): Promise<number> =>
    withTransaction(deps.db, async (tx) => {
      const lock = await tx.query(`SELECT pg_try_advisory_xact_lock(hashtext('switchboard:sessions-purge')) AS ok`);
      if (!lock.rows[0].ok) return 0;
      const res = await tx.query('DELETE FROM sessions WHERE expires_at < now()');
      return res.rowCount ?? 0;
    });

  return { create, resolve, destroy, checkCsrf, purgeExpired };
};

export type SessionsService = ReturnType<typeof createSessionsService>;
