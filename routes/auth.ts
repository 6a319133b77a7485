import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../src/accounts/accounts-service.js';
import { ForbiddenError, UnauthorizedError } from '../src/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

/** Resolves credentials on a request to an account, or null when it carries none of this kind. */
export type Authenticator = (req: FastifyRequest) => Promise<AuthContext | null>;

export const bearerAuthenticator = (authenticateKey: (key: string) => Promise<AuthContext>): Authenticator => async (req) => {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) throw new UnauthorizedError('Authorization header must be "Bearer <API key>"');
  return authenticateKey(m[1]!);
};

/** preHandler: the first authenticator that recognises the request wins; none is a 401. */
export const requireAuth = (authenticators: Authenticator[]) => async (req: FastifyRequest, _reply: FastifyReply) => {
  for (const a of authenticators) {
    const ctx = await a(req);
    if (ctx) {
      req.auth = ctx;
      return;
    }
  }
  throw new UnauthorizedError();
};

/** The authenticated account: throws if the route forgot `requireAuth`. */
export const auth = (req: FastifyRequest): AuthContext => {
  if (!req.auth) throw new UnauthorizedError();
  return req.auth;
};

export const requireAdmin = async (req: FastifyRequest): Promise<void> => {
  if (auth(req).role !== 'admin') throw new ForbiddenError('this needs an admin');
};
