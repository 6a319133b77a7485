import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import {
  jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { loggerOptions } from '../src/logger.js';
import { registerErrorHandler } from './error-handler.js';
import { registerTextGuard } from './text-guard.js';

/** A feature's routes and the options (its narrowed services) it is registered with. */
export type RouteModule = { plugin: FastifyPluginAsync<any>; opts?: Record<string, unknown>; prefix?: string };

export type AppDeps = {
  logLevel: string;
  publicUrl: string;
  /** Checks PostgreSQL and Redis; `GET /readyz` is 503 when either fails. */
  readiness: () => Promise<Record<string, boolean>>;
  modules: RouteModule[];
  /** Passed to fastify; a bounded body keeps one request from eating the process. */
  bodyLimit?: number;
  /** Called once per answered request with its route pattern (metrics); unmatched URLs are not reported. */
  observeRequest?: (o: { method: string; route: string; statusCode: number; seconds: number }) => void;
  /**
   * TRUST_PROXY: which proxies' X-Forwarded-For sets `req.ip` (hop count or proxy addresses).
   * Default off: the socket's address, so a client cannot choose its own and dodge per-address limits.
   */
  trustProxy?: false | number | string[];
};

/** Builds the HTTP app: no state between requests, so any number of these may run. */
export const buildApp = async (deps: AppDeps): Promise<FastifyInstance> => {
  const hops = deps.trustProxy;
  // A hop count as fastify would treat it (its types only admit a function): trust the n nearest hops.
  const trustProxy = typeof hops === 'number' ? (_addr: string, hop: number) => hop < hops : (hops ?? false);
  const app = Fastify({
    logger: deps.logLevel === 'silent' ? false : loggerOptions(deps.logLevel),
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && /^[\w-]{1,64}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID()),
    trustProxy,
    bodyLimit: deps.bodyLimit ?? 5 * 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  registerTextGuard(app);
  const observe = deps.observeRequest;
  if (observe) {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url;
      if (route) observe({ method: req.method, route, statusCode: reply.statusCode, seconds: reply.elapsedTime / 1000 });
    });
  }
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Switchboard API', version: '1.0.0', description: 'Voice and SMS workflow gateway. Authenticate with `Authorization: Bearer <API key>`.' },
      servers: [{ url: deps.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Emits schemas registered with an id (z.globalRegistry) as components, so their $refs resolve.
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });

  for (const m of deps.modules) await app.register(m.plugin, { ...(m.opts ?? {}), prefix: m.prefix });
  return app;
};
