/**
 * Step 7 (web role): the fastify app — authenticators (API key first, then the dashboard's
 * session cookie), readiness checks and every route module. A `work` process with metrics gets
 * the small metrics app instead (served on METRICS_PORT).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../routes/app.js';
import { bearerAuthenticator, type Authenticator } from '../../routes/auth.js';
import { dashboardAuthenticator } from '../../routes/dashboard/index.js';
import { buildMetricsApp } from '../../routes/metrics-routes.js';
import { ping } from '../db/db.js';
import type { Infra } from './init-infra.js';
import { metricsModules, topModules } from './init-routes.js';
import type { Services } from './services.js';

/** PostgreSQL and Redis answer (Redis within 1 s): `/readyz`. */
const readinessOf = (infra: Infra) => async () => {
  const [pgOk, redisOk] = await Promise.all([
    ping(infra.db),
    Promise.race([infra.redis.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]),
  ]);
  return { postgres: pgOk, redis: redisOk };
};

export const initWeb = async (infra: Infra, s: Services, roles: { web: boolean }) => {
  const { config, metrics } = infra;
  // Tried in this order: a request with an Authorization header is decided by its API key, never by a cookie.
  const authenticators: Authenticator[] = [bearerAuthenticator(s.accounts.authenticateKey), dashboardAuthenticator(config, s.sessions)];
  const app: FastifyInstance | null = roles.web
    ? await buildApp({
      logLevel: config.LOG_LEVEL, publicUrl: config.PUBLIC_URL, trustProxy: config.TRUST_PROXY, readiness: readinessOf(infra),
      observeRequest: metrics?.observeRequest, modules: [...metricsModules(infra), ...topModules(s, infra, authenticators)],
    })
    : null;
  const metricsApp: FastifyInstance | null = metrics && !roles.web
    ? await buildMetricsApp({ logLevel: config.LOG_LEVEL, token: config.METRICS_TOKEN!, render: metrics.render })
    : null;
  return { app, metricsApp };
};
