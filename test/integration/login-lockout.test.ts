import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../routes/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PASSWORD = 'correct horse battery';
const GENERIC = { error: 'unauthorized', message: 'wrong e-mail or password' };

const newUser = async (t: TestRuntime) => {
  const a = await createTestAccount(t);
  const email = `lock-${Math.random().toString(36).slice(2, 8)}@example.test`;
  await a.api.post('/v1/users').send({ email, name: 'Lou', password: PASSWORD, role: 'admin' }).expect(201);
  return email;
};

describe('sign-in limits without TRUST_PROXY (the default)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({ LOGIN_RATE_LIMIT: '4', LOGIN_LOCKOUT_MAX_FAILURES: '50' }, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('ignores a spoofed X-Forwarded-For: rotating it does not buy more guesses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await t.http().post('/auth/login').set('x-forwarded-for', `198.51.100.${i + 1}`)
        .send({ email: `victim-${i}@example.test`, password: `guess-${i}-xxxxxx` });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 429, 429]);
  });
});

describe('per-e-mail lockout behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({
      TRUST_PROXY: '127.0.0.1', LOGIN_RATE_LIMIT: '100', LOGIN_LOCKOUT_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_WINDOW_SECONDS: '600', LOGIN_LOCKOUT_SECONDS: '2',
    }, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  const login = (email: string, password: string, ip: string) =>
    t.http().post('/auth/login').set('x-forwarded-for', ip).send({ email, password });

  it('locks one e-mail after repeated failures from rotating addresses, then lets the owner in once it expires', async () => {
    const email = await newUser(t);
    for (let i = 0; i < 3; i++) {
      const r = await login(email, `guess-${i}-xxxxxx`, `203.0.113.${i + 1}`);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject(GENERIC);
    }
    // Locked: even the right password, from yet another address, in another letter case, is refused.
    for (let i = 0; i < 3; i++) {
      const r = await login(i === 1 ? email.toUpperCase() : email, PASSWORD, `192.0.2.${i + 10}`);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject(GENERIC);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    // The lockout is per e-mail: another user signs in meanwhile.
    const other = await newUser(t);
    expect((await login(other, PASSWORD, '203.0.113.1')).status).toBe(200);

    const ok = await eventually(async () => {
      const r = await login(email, PASSWORD, '198.51.100.77');
      return r.status === 200 ? r : null;
    }, 'the lockout to expire', 10_000);
    expect(ok.body.user.email).toBe(email);
    // A success clears the count: two more misses do not lock the account again.
    expect((await login(email, 'nope-nope-nope', '198.51.100.78')).status).toBe(401);
    expect((await login(email, 'nope-nope-nope', '198.51.100.79')).status).toBe(401);
    expect((await login(email, PASSWORD, '198.51.100.80')).status).toBe(200);
  });

  it('answers a locked unknown e-mail exactly like a locked known one', async () => {
    const unknown = `nobody-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const bodies: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await login(unknown, `guess-${i}-xxxxxx`, `203.0.113.${i + 40}`);
      expect(r.status).toBe(401);
      bodies.push({ error: r.body.error, message: r.body.message });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toEqual(GENERIC);
  });

  it('holds across processes: a second web process sharing Redis sees the lock', async () => {
    const email = await newUser(t);
    const t2 = await startTestRuntime({
      TRUST_PROXY: '127.0.0.1', LOGIN_RATE_LIMIT: '100', LOGIN_LOCKOUT_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_WINDOW_SECONDS: '600', LOGIN_LOCKOUT_SECONDS: '60', REDIS_PREFIX: t.config.REDIS_PREFIX,
    }, { web: true, worker: false }, { databaseUrl: t.config.DATABASE_URL });
    try {
      await login(email, 'wrong-wrong-1', '203.0.113.90').expect(401);
      await t2.http().post('/auth/login').set('x-forwarded-for', '203.0.113.91').send({ email, password: 'wrong-wrong-2' }).expect(401);
      await login(email, 'wrong-wrong-3', '203.0.113.92').expect(401);
      await t2.http().post('/auth/login').set('x-forwarded-for', '203.0.113.93').send({ email, password: PASSWORD }).expect(401);
    } finally {
      await t2.close();
    }
  });
});

describe('TRUST_PROXY setting', () => {
  const base = { DATABASE_URL: 'postgres://x@localhost/x', REDIS_URL: 'redis://localhost', SECRET_KEY: 'x'.repeat(32) };
  it('is off by default and takes a hop count or addresses / CIDRs', () => {
    expect(loadConfig(base).TRUST_PROXY).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: '0' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1,loopback' }).TRUST_PROXY)
      .toEqual(['10.0.0.1', '10.1.0.0/16', '::1', 'loopback']);
  });
  it('decides which address the app sees as the client', async () => {
    const ipOf = async (trustProxy: false | number | string[]) => {
      const app = await buildApp({
        logLevel: 'silent', publicUrl: 'http://sb.test', readiness: async () => ({}), trustProxy,
        modules: [{ plugin: async (a) => { a.get('/ip', async (req) => ({ ip: req.ip })); } }],
      });
      const res = await app.inject({ url: '/ip', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '1.1.1.1, 9.9.9.9' } });
      await app.close();
      return res.json().ip as string;
    };
    expect(await ipOf(false)).toBe('10.0.0.2');
    expect(await ipOf(1)).toBe('9.9.9.9');
    expect(await ipOf(2)).toBe('1.1.1.1');
    expect(await ipOf(['10.0.0.0/8'])).toBe('9.9.9.9');
    expect(await ipOf(['192.168.0.1'])).toBe('10.0.0.2');
  });
  it('refuses anything else with a clear message', () => {
    for (const bad of ['true', '10.0.0.300', '10.0.0.0/33', 'proxy.example.com', '-1', '::1/129']) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY: .*hop count/);
    }
  });
});
