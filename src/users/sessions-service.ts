import { randomToken, safeEqual, sha256Hex } from '../crypto.js';
import { withTransaction, type Db } from '../db/db.js';
import type { SessionsRepo } from './sessions-repo.js';
import type { User, UserRole } from './users-repo.js';

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
  sessions: Pick<SessionsRepo, 'insertSession' | 'findLiveSession' | 'extendSession' | 'deleteSession' | 'purgeExpiredSessions'>;
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
  const { db, sessions: repo } = deps;

  /** Starts a session for a verified user; returns the cookie token (shown once) and CSRF token. */
  const create = async (user: Pick<User, 'id' | 'accountId'>) => {
    const token = randomToken(32);
    const csrfToken = randomToken(24);
    const expiresAt = await repo.insertSession(db, { id: sha256Hex(token), userId: user.id, accountId: user.accountId, csrfToken, ttlSeconds: deps.ttlSeconds });
    return { token, csrfToken, expiresAt };
  };

  /**
   * Resolves a cookie token to its user, or null when the token is malformed, unknown, expired
   * or its user is disabled. Sessions past half their life are extended (sliding expiry).
   */
  const resolve = async (token: string): Promise<SessionUser | null> => {
    if (!TOKEN_RE.test(token)) return null;
    const id = sha256Hex(token);
    const r = await repo.findLiveSession(db, id);
    if (!r) return null;
    let expiresAt: Date = r.expiresAt;
    let renewed = false;
    if (expiresAt.getTime() - Date.now() < deps.ttlSeconds * 1000 * (1 - renewAfter)) {
      expiresAt = (await repo.extendSession(db, id, deps.ttlSeconds)) ?? expiresAt;
      renewed = true;
    }
    return {
      sessionId: id, userId: r.userId, accountId: r.accountId, email: r.email, name: r.name, role: r.role,
      csrfToken: r.csrfToken, expiresAt, renewed,
    };
  };

  /** Signs out one session (idempotent). */
  const destroy = async (token: string): Promise<void> => {
    if (!TOKEN_RE.test(token)) return;
    await repo.deleteSession(db, sha256Hex(token));
  };

  /** Constant-time comparison of the CSRF header with the session's token. */
  const checkCsrf = (session: Pick<SessionUser, 'csrfToken'>, header: string | undefined): boolean =>
    typeof header === 'string' && safeEqual(header, session.csrfToken);

  /**
   * Deletes expired sessions of every account; returns how many. Safe from many processes at
   * once: the one holding the advisory lock purges, the others return 0 at once (no lock queue).
   */
  const purgeExpired = async (): Promise<number> =>
    withTransaction(db, async (tx) => (await repo.purgeExpiredSessions(tx)) ?? 0);

  return { create, resolve, destroy, checkCsrf, purgeExpired };
};

export type SessionsService = ReturnType<typeof createSessionsService>;
