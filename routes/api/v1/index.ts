import type { FastifyPluginAsync } from 'fastify';
import { requireAuth, type Authenticator } from '../../auth.js';
import type { RouteModule } from '../../app.js';

export type ApiV1Opts = { authenticators: Authenticator[]; modules: RouteModule[] };

/** `/v1`: every route below needs an API key (or a dashboard session) and is scoped to its account. */
export const apiV1: FastifyPluginAsync<ApiV1Opts> = async (app, { authenticators, modules }) => {
  app.addHook('onRequest', requireAuth(authenticators));
  for (const m of modules) await app.register(m.plugin, { ...(m.opts ?? {}), prefix: m.prefix });
};
