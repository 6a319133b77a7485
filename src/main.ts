/**
 * Composition root: builds the runtime by calling the steps in src/init/ in order, each taking
 * what the previous ones built and returning a typed bundle (as GoAlert's app/init*.go):
 * infrastructure, stores, engine and events, channels, features, telephony, then the web app and
 * the workers of the roles asked for. Only this file and src/init/ (and the CLI) import routes/
 * and adapters/. A new feature adds itself to the step that owns what it needs.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Clock } from './clock.js';
import { initChannels } from './init/init-channels.js';
import { initEngine } from './init/init-engine.js';
import { initFeatures } from './init/init-features.js';
import { initInfra, type Infra } from './init/init-infra.js';
import { initStores } from './init/init-stores.js';
import { initTelephony } from './init/init-telephony.js';
import { initWeb } from './init/init-web.js';
import { initWorkers } from './init/init-workers.js';
import type { Services } from './init/services.js';
import { createLogger, type Logger } from './logger.js';

export type { Infra, Services };
export type Roles = { web: boolean; worker: boolean };

/** Builds every service from the infrastructure, step by step; no I/O happens here. */
export const buildServices = (infra: Infra): Services => {
  const stores = initStores(infra);
  const core = initEngine(infra, stores);
  const channels = initChannels(infra, stores, core);
  const features = initFeatures(infra, stores, core);
  const telephony = initTelephony(infra, stores, core, channels, features);
  return { ...stores, ...core, ...channels, ...features, ...telephony };
};

/**
 * Closes a fastify app gracefully: in-flight requests finish, then their keep-alive connections
 * are closed as soon as they are idle. Without the sweep, a connection whose request was still
 * running when closing began stays open for the whole keep-alive timeout (72 s), and so does the
 * process on SIGTERM (seen with the carrier's status callbacks arriving during a stop).
 */
const closeGracefully = async (app: FastifyInstance): Promise<void> => {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
};

export type Runtime = {
  infra: Infra;
  services: Services;
  app: FastifyInstance | null;
  listen(): Promise<string>;
  /** `work` with METRICS=true: serves `/metrics` on METRICS_PORT (web roles serve it on PORT). */
  listenMetrics(): Promise<string | null>;
  /** Graceful: stop taking requests and jobs, finish in-flight ones, close connections. */
  stop(): Promise<void>;
};

export const createRuntime = async (
  config: Config, roles: Roles, logger: Logger = createLogger(config.LOG_LEVEL), extras: { clock?: Clock } = {},
): Promise<Runtime> => {
  const infra = initInfra(config, logger, extras);
  const services = buildServices(infra);
  const { app, metricsApp } = await initWeb(infra, services, roles);
  const workers = roles.worker ? await initWorkers(infra, services) : [];

  let stopped = false;
  return {
    infra,
    services,
    app,
    async listen() {
      if (!app) throw new Error('this runtime has no web role');
      return app.listen({ host: config.HOST, port: config.PORT });
    },
    async listenMetrics() {
      return metricsApp ? metricsApp.listen({ host: config.HOST, port: config.METRICS_PORT }) : null;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Workers first: they stop sending (paced rows are given back), finish and record their
      // in-flight sends while the web side still takes the carrier's callbacks for them. Closing
      // the web side first let `all` keep sending into callbacks nobody received.
      await Promise.allSettled(workers.map((w) => w.close()));
      if (app) await closeGracefully(app);
      if (metricsApp) await closeGracefully(metricsApp);
      await services.telephony.calls.flush(); // call history rows still queued behind answered webhooks
      await infra.metrics?.close();
      await Promise.allSettled([infra.db.end(), infra.redis.quit()]);
    },
  };
};
