import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AccountsService } from '../../src/accounts/accounts-service.js';
import { UnauthorizedError } from '../../src/errors.js';
import type { LoginLockout } from '../../src/users/login-lockout.js';
import type { SessionsService } from '../../src/users/sessions-service.js';
import { PASSWORD_MAX } from '../../src/users/users-service.js';
import { CSRF_HEADER, csrfError, readSessionToken, serializeSessionCookie as serialize, type CookieSettings } from './session-auth.js';

export type AuthRoutesOpts = {
  /** Password check behind the per-e-mail lockout (docs/DASHBOARD.md "Sessions"). */
  logins: Pick<LoginLockout, 'verifyLogin'>;
  sessions: Pick<SessionsService, 'create' | 'resolve' | 'destroy' | 'checkCsrf'>;
  accounts: Pick<AccountsService, 'getAccount'>;
  cookie: CookieSettings;
  /** Shared by every web process, so the sign-in limit holds across them. */
  redis: Redis;
  redisPrefix: string;
  loginRateLimit: number;
};

const userOut = z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.enum(['admin', 'member']) });
const sessionOut = z.object({
  user: userOut,
  account: z.object({ id: z.string(), name: z.string(), timezone: z.string() }),
  csrfToken: z.string(),
  expiresAt: z.date(),
});

/**
 * Dashboard sign-in: `POST /auth/login` sets the session cookie (HttpOnly, SameSite=Lax, Secure
 * behind https) and returns the CSRF token; `GET /auth/me` tells the page who is signed in;
 * `POST /auth/logout` ends the session. API keys never go through here.
 */
export const authRoutes: FastifyPluginAsyncZod<AuthRoutesOpts> = async (app, o) => {
  await app.register(rateLimit, {
    global: false,
    redis: o.redis,
    nameSpace: `${o.redisPrefix}:login-rl:`,
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429, error: 'rate_limited', message: `too many sign-in attempts: try again in ${ctx.after}`, details: null,
    }),
  });

  const setCookie = (reply: { header(n: string, v: string): unknown }, token: string) =>
    reply.header('set-cookie', serialize(o.cookie, token));

  app.post('/auth/login', {
    config: { rateLimit: { max: o.loginRateLimit, timeWindow: 60_000 } },
    schema: {
      operationId: 'signIn', summary: 'Sign in to the dashboard (sets the session cookie)',
      tags: ['dashboard'],
      body: z.object({ email: z.string().trim().min(1, 'enter your e-mail').max(320), password: z.string().min(1, 'enter your password').max(PASSWORD_MAX) }).strict(),
      response: { 200: sessionOut },
    },
  }, async (req, reply) => {
    const user = await o.logins.verifyLogin(req.body.email, req.body.password);
    const session = await o.sessions.create(user);
    const account = await o.accounts.getAccount(user.accountId);
    req.log.info({ userId: user.id, accountId: user.accountId }, 'dashboard sign-in');
    setCookie(reply, session.token);
    reply.header('cache-control', 'no-store');
    return {
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
      account: { id: account.id, name: account.name, timezone: account.timezone },
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    };
  });

  app.get('/auth/me', { schema: { operationId: 'getSession', summary: 'Who is signed in', tags: ['dashboard'], response: { 200: sessionOut } } }, async (req, reply) => {
    const token = readSessionToken(req, o.cookie.name);
    const s = token ? await o.sessions.resolve(token) : null;
    if (!token || !s) throw new UnauthorizedError('not signed in');
    if (s.renewed) setCookie(reply, token);
    reply.header('cache-control', 'no-store');
    const account = await o.accounts.getAccount(s.accountId);
    return {
      user: { id: s.userId, email: s.email, name: s.name, role: s.role },
      account: { id: account.id, name: account.name, timezone: account.timezone },
      csrfToken: s.csrfToken,
      expiresAt: s.expiresAt,
    };
  });

  app.post('/auth/logout', { schema: { operationId: 'signOut', summary: 'Sign out of the dashboard', tags: ['dashboard'], response: { 204: z.null() } } }, async (req, reply) => {
    const token = readSessionToken(req, o.cookie.name);
    const s = token ? await o.sessions.resolve(token) : null;
    if (s && !o.sessions.checkCsrf(s, req.headers[CSRF_HEADER] as string | undefined)) throw csrfError();
    if (token) await o.sessions.destroy(token);
    reply.header('set-cookie', serialize({ ...o.cookie, ttlSeconds: 0 }, ''));
    return reply.status(204).send(null);
  });
};
