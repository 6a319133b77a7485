/**
 * Sequences test harness: a full runtime on its own database and Redis prefix whose clock is a
 * manual one (so days pass in milliseconds), with the sequence loop off (SEQUENCE_POLL_MS=0):
 * tests move the clock and call `tick()` to run whatever is due. Helpers add contacts and lines.
 */
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime, type Roles, type Runtime } from '../../src/main.js';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { planQueued } from '../helpers/plan-ready.js';
import { createTestDatabase } from '../helpers/test-db.js';

export type SequenceEnv = {
  rt: Runtime;
  config: Config;
  clock: ManualClock;
  http(): supertest.Agent;
  /** Runs every enrollment due at the clock's time. */
  tick(): Promise<number>;
  /** Moves the clock forward and runs what became due. */
  advance(ms: number): Promise<number>;
  close(): Promise<void>;
};

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const startSequenceEnv = async (
  overrides: Partial<Record<keyof Config, string>> = {},
  roles: Roles = { web: true, worker: false },
  start = new Date('2026-01-05T15:00:00Z'), // Monday 10:00 in New York
): Promise<SequenceEnv> => {
  const db = await createTestDatabase();
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '8',
    REDIS_PREFIX: `{sbt-${randomBytes(4).toString('hex')}}`,
    SECRET_KEY: 'test-secret-key-0123456789abcdefghijklmnop',
    PUBLIC_URL: 'http://switchboard.test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    SEQUENCE_POLL_MS: '0',
    ...overrides,
  });
  const clock = createManualClock(start);
  const rt = await createRuntime(config, roles, createLogger(config.LOG_LEVEL), { clock });
  if (rt.app) await rt.app.ready();
  // The planner's part is played here too (without engine workers, or before theirs got to it; planning twice
  // adds nothing): a send step's delivery row exists once `tick` returns, as it did when steps wrote it themselves.
  const tick = async () => {
    const n = await rt.services.sequences.runner.drain();
    await planQueued(rt);
    return n;
  };
  return {
    rt, config, clock,
    http: () => supertest.agent(rt.app!.server),
    tick,
    async advance(ms) {
      clock.advance(ms);
      return tick();
    },
    async close() {
      await rt.stop();
      await db.drop();
    },
  };
};

/** A new account; `api` sends its key. */
export const newAccount = async (env: SequenceEnv, opts: { timezone?: string; settings?: Record<string, unknown> } = {}) => {
  const { account, key } = await env.rt.services.accounts.createAccount({ name: `acct-${randomBytes(3).toString('hex')}`, timezone: opts.timezone });
  if (opts.settings) await env.rt.infra.db.query('UPDATE accounts SET settings = $2 WHERE id = $1', [account.id, JSON.stringify(opts.settings)]);
  const auth = (r: supertest.Test) => r.set('authorization', `Bearer ${key}`);
  return {
    id: account.id,
    api: {
      get: (u: string) => auth(env.http().get(u)),
      post: (u: string) => auth(env.http().post(u)),
      put: (u: string) => auth(env.http().put(u)),
      patch: (u: string) => auth(env.http().patch(u)),
      delete: (u: string) => auth(env.http().delete(u)),
    },
  };
};

let seq = 0;
// Exchange 200–999 so every number is valid whatever the pid (0xx/1xx exchanges are not).
export const phone = () => `+1415${2_000_000 + ((process.pid * 100 + ++seq) % 8_000_000)}`;

export const addContact = async (env: SequenceEnv, accountId: string, c: { name: string; phone?: string | null; email?: string | null; timezone?: string | null; customFields?: object }) => {
  const r = await env.rt.infra.db.query(
    'INSERT INTO contacts (account_id, name, phone, email, timezone, custom_fields) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [accountId, c.name, c.phone === undefined ? phone() : c.phone, c.email ?? null, c.timezone ?? null, JSON.stringify(c.customFields ?? {})],
  );
  return r.rows[0].id as string;
};

export const addSimLine = async (env: SequenceEnv, accountId: string) => {
  const number = phone();
  const r = await env.rt.infra.db.query(
    `INSERT INTO lines (account_id, phone_number, name, provider) VALUES ($1, $2, 'Main line', 'simulator') RETURNING id`,
    [accountId, number],
  );
  return { id: r.rows[0].id as string, phone: number };
};

/** The deliveries sequences created for a contact, oldest first. */
export const sentTo = async (env: SequenceEnv, contactId: string) =>
  (await env.rt.infra.db.query(
    `SELECT d.channel, d.status, d.address, d.payload, d.skip_reason, d.meta->>'stepId' AS step FROM deliveries d
      WHERE d.contact_id = $1 AND d.meta ? 'enrollmentId' ORDER BY d.created_at, d.id`,
    [contactId],
  )).rows as Array<{ channel: string; status: string; address: string | null; payload: Record<string, unknown>; skip_reason: string | null; step: string }>;
