import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { loggerOptions } from '../src/logger.js';

export type MetricsRoutesOpts = {
  /** METRICS_TOKEN: the only credential accepted, as `Authorization: Bearer <token>`. */
  token: string;
  /** The exposition text (Prometheus text format) and its content type. */
  render: () => Promise<{ contentType: string; body: string }>;
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` for Prometheus. Anything but the configured bearer token is a 401 (compared in
 * constant time; the presented value is never logged or echoed). Hidden from the OpenAPI document.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOpts> = async (app, opts) => {
  const expected = digest(opts.token);
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (req, reply) => {
    const h = req.headers.authorization ?? '';
    const given = h.startsWith('Bearer ') ? h.slice(7).trim() : '';
    if (!given || !timingSafeEqual(digest(given), expected)) {
      return reply.status(401).header('www-authenticate', 'Bearer realm="metrics"').send({ error: 'unauthorized', message: 'a valid metrics token is required' });
    }
    const out = await opts.render();
    return reply.header('content-type', out.contentType).header('cache-control', 'no-store').send(out.body);
  });
};

/**
 * The listener of a process without the web role (`switchboard work`): only `/metrics` and
 * `/healthz`, on METRICS_PORT, so every worker process can be scraped for its own counters.
 */
export const buildMetricsApp = async (deps: MetricsRoutesOpts & { logLevel: string }): Promise<FastifyInstance> => {
  const app = Fastify({ logger: deps.logLevel === 'silent' ? false : loggerOptions(deps.logLevel), forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(metricsRoutes, { token: deps.token, render: deps.render });
  return app;
};
