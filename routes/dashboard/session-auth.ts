import type { FastifyRequest } from 'fastify';
import { AppError, ForbiddenError, UnauthorizedError } from '../../src/errors.js';
import type { SessionsService, SessionUser } from '../../src/users/sessions-service.js';
import type { Authenticator } from '../auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Lets dashboard members (not only admins) call this mutating route, e.g. activating a
     * workflow or answering a poll. Everything else that is not GET/HEAD is admin-only for members.
     */
    memberAllowed?: boolean;
  }
}

/** Header the dashboard echoes the session's CSRF token in, on every mutating request. */
export const CSRF_HEADER = 'x-csrf-token';

export type CookieSettings = { name: string; secure: boolean; ttlSeconds: number };

/** `__Host-` pins the cookie to this host and path `/`, but browsers accept it only when Secure. */
export const cookieSettings = (publicUrl: string, secureOverride: boolean | undefined, ttlSeconds: number): CookieSettings => {
  const secure = secureOverride ?? publicUrl.startsWith('https://');
  return { name: secure ? '__Host-sb_session' : 'sb_session', secure, ttlSeconds };
};

/** The session cookie's value, or null. Tokens are base64url, so no decoding is needed. */
export const readSessionToken = (req: FastifyRequest, cookieName: string): string | null => {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim() || null;
  }
  return null;
};

/** `Set-Cookie` for the session: HttpOnly, SameSite=Lax, Path=/, Secure behind https. */
export const serializeSessionCookie = (c: CookieSettings, value: string): string => {
  const parts = [`${c.name}=${value}`, `Max-Age=${c.ttlSeconds}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (c.secure) parts.push('Secure');
  return parts.join('; ');
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Mutating `/v1` routes a member may call although they are not admins, as `METHOD route-url`
 * (fastify's route pattern, with prefix). Routes can also opt in with `config.memberAllowed`.
 */
export const memberWritableRoutes = new Set<string>([
  'POST /v1/workflows/:id/activations',
]);

/**
 * Role policy shared by every `/v1` route: members read everything their account can see and
 * may call the mutating routes listed above (activate, softphone); other writes need an admin.
 */
export const memberMayCall = (req: FastifyRequest): boolean => {
  if (SAFE_METHODS.has(req.method)) return true;
  if (req.routeOptions.config?.memberAllowed) return true;
  return memberWritableRoutes.has(`${req.method} ${req.routeOptions.url ?? ''}`);
};

/** A websocket handshake from another site's page would carry the cookie: refuse foreign origins. */
const sameOrigin = (req: FastifyRequest, publicUrl: string): boolean => {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    const o = new URL(origin);
    return o.origin === new URL(publicUrl).origin || o.host === req.headers.host;
  } catch {
    return false;
  }
};

export type SessionAuthDeps = {
  sessions: Pick<SessionsService, 'resolve' | 'checkCsrf'>;
  cookie: CookieSettings;
  publicUrl: string;
};

/**
 * Authenticator for the dashboard's session cookie. A request with the cookie must also: carry
 * the session's CSRF token in `X-CSRF-Token` when it mutates; come from our own origin when it
 * is a websocket handshake; and, for members, stay within `memberMayCall`. Requests without the
 * cookie are left to the other authenticators (API keys).
 */
export const sessionAuthenticator = (deps: SessionAuthDeps): Authenticator => async (req) => {
  const token = readSessionToken(req, deps.cookie.name);
  if (!token) return null;
  const s = await deps.sessions.resolve(token);
  if (!s) throw new UnauthorizedError('your session has expired or was signed out: sign in again');
  if (!SAFE_METHODS.has(req.method) && !deps.sessions.checkCsrf(s, headerValue(req, CSRF_HEADER))) {
    throw csrfError();
  }
  if (req.headers.upgrade?.toLowerCase() === 'websocket' && !sameOrigin(req, deps.publicUrl)) {
    throw new ForbiddenError('websocket from another origin');
  }
  if (s.role !== 'admin' && !memberMayCall(req)) {
    throw new ForbiddenError('members may view and activate; this change needs an admin');
  }
  return toAuthContext(s);
};

export const toAuthContext = (s: SessionUser) => ({ accountId: s.accountId, role: s.role, via: 'session' as const, userId: s.userId });

const headerValue = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** 403 `csrf_failed`: a cookie-authenticated write without the session's CSRF token. */
export const csrfError = (): AppError =>
  new AppError('csrf_failed', `missing or wrong ${CSRF_HEADER} header (send the csrfToken from /auth/me)`, { status: 403 });
