import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../src/config.js';
import { createRuntime, type Roles, type Runtime } from '../../src/main.js';
import { createTestDatabase } from './test-db.js';

export type TestRuntime = {
  rt: Runtime;
  config: Config;
  /** supertest against the running HTTP server (web role only). */
  http(): supertest.Agent;
  close(): Promise<void>;
};

/**
 * A full Switchboard runtime on its own database and its own Redis key prefix, so test files
 * can run in parallel against the same PostgreSQL and Redis servers.
 */
export const startTestRuntime = async (
  overrides: Partial<Record<keyof Config, string>> = {},
  roles: Roles = { web: true, worker: true },
  shared?: { databaseUrl: string },
): Promise<TestRuntime & { databaseUrl: string }> => {
  const db = shared ? null : await createTestDatabase();
  const databaseUrl = shared?.databaseUrl ?? db!.url;
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '8',
    REDIS_PREFIX: `{sbt-${randomBytes(4).toString('hex')}}`,
    SECRET_KEY: 'test-secret-key-0123456789abcdefghijklmnop',
    PUBLIC_URL: 'http://switchboard.test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    ...overrides,
  });
  const rt = await createRuntime(config, roles);
  if (rt.app) await rt.app.ready();
  return {
    rt,
    config,
    databaseUrl,
    http: () => supertest.agent(rt.app!.server),
    async close() {
      await rt.stop();
      await db?.drop();
    },
  };
};

/** A new account with an API key; `api()` sends it as a bearer token. */
export const createTestAccount = async (t: TestRuntime, name = `acct-${randomBytes(3).toString('hex')}`) => {
  const { account, key } = await t.rt.services.accounts.createAccount({ name, ownerEmails: ['owner@example.test'] });
  const withKey = (k: string) => ({
    get: (url: string) => t.http().get(url).set('authorization', `Bearer ${k}`),
    post: (url: string) => t.http().post(url).set('authorization', `Bearer ${k}`),
    put: (url: string) => t.http().put(url).set('authorization', `Bearer ${k}`),
    patch: (url: string) => t.http().patch(url).set('authorization', `Bearer ${k}`),
    delete: (url: string) => t.http().delete(url).set('authorization', `Bearer ${k}`),
  });
  return { account, key, api: withKey(key), withKey };
};
