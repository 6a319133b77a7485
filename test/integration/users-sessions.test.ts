import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sha256Hex } from '../../src/crypto.js';
import { cookieSettings } from '../../routes/dashboard/session-auth.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PASSWORD = 'correct horse battery';

describe('dashboard users and sessions', () => {
  let t: TestRuntime & { databaseUrl: string };
  beforeAll(async () => {
    // The tests stand behind a trusted local proxy, so each sign-in can come from its own client address.
    t = await startTestRuntime({ LOGIN_RATE_LIMIT: '6', TRUST_PROXY: 'loopback' }, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  const login = async (email: string, password = PASSWORD) => {
    // A fresh client address each time: only the rate-limit test shares one.
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const res = await t.http().post('/auth/login').set('x-forwarded-for', ip).send({ email, password });
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const cookie = setCookie[0]?.split(';')[0] ?? '';
    return { res, setCookie: setCookie[0] ?? '', cookie, token: cookie.split('=')[1] ?? '', csrf: res.body.csrfToken as string };
  };

  const withAccount = async () => {
    const a = await createTestAccount(t);
    const email = `admin-${Math.random().toString(36).slice(2, 8)}@example.test`;
    await a.api.post('/v1/users').send({ email, name: 'Ada Admin', password: PASSWORD, role: 'admin' }).expect(201);
    return { ...a, email };
  };

  it('creates users with argon2id hashes, naming the bad field on bad input', async () => {
    const a = await createTestAccount(t);
    const short = await a.api.post('/v1/users').send({ email: 'x@example.test', password: 'short' }).expect(400);
    expect(short.body.details).toEqual([{ path: 'password', message: 'must be at least 10 characters' }]);
    const badEmail = await a.api.post('/v1/users').send({ email: 'nope', password: PASSWORD }).expect(400);
    expect(badEmail.body.details[0].path).toBe('email');

    const created = await a.api.post('/v1/users').send({ email: 'Mia@Example.test', name: 'Mia', password: PASSWORD }).expect(201);
    expect(created.body).toMatchObject({ email: 'Mia@Example.test', name: 'Mia', role: 'member', disabledAt: null });
    expect(JSON.stringify(created.body)).not.toContain('password');
    const row = await t.rt.infra.db.query('SELECT password_hash FROM users WHERE id = $1', [created.body.id]);
    expect(row.rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const dup = await a.api.post('/v1/users').send({ email: 'mia@example.TEST', password: PASSWORD }).expect(400);
    expect(dup.body.details).toEqual([{ path: 'email', message: 'is already in use' }]);
    const listed = await a.api.get('/v1/users').expect(200);
    expect(listed.body.data.map((u: { email: string }) => u.email)).toEqual(['Mia@Example.test']);
  });

  it('signs in with an HttpOnly SameSite=Lax cookie whose token is stored only as a hash', async () => {
    const a = await withAccount();
    const wrong = await login(a.email, 'not the password');
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.body).toMatchObject({ error: 'unauthorized', message: 'wrong e-mail or password' });
    const unknown = await login('nobody@example.test');
    expect(unknown.res.status).toBe(401);
    expect(unknown.res.body.message).toBe(wrong.res.body.message);

    const s = await login(a.email.toUpperCase());
    expect(s.res.status).toBe(200);
    expect(s.res.body).toMatchObject({ user: { email: a.email, name: 'Ada Admin', role: 'admin' }, account: { id: a.account.id } });
    expect(s.setCookie).toMatch(/^sb_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
    const stored = await t.rt.infra.db.query('SELECT id, csrf_token FROM sessions WHERE account_id = $1', [a.account.id]);
    expect(stored.rows).toEqual([{ id: sha256Hex(s.token), csrf_token: s.csrf }]);

    const me = await t.http().get('/auth/me').set('cookie', s.cookie).expect(200);
    expect(me.body).toMatchObject({ user: { role: 'admin' }, csrfToken: s.csrf });
    await t.http().get('/auth/me').expect(401);
    await t.http().get('/auth/me').set('cookie', 'sb_session=forged').expect(401);
  });

  it('lets the cookie call /v1, but every write needs the CSRF header', async () => {
    const a = await withAccount();
    const s = await login(a.email);
    const read = await t.http().get('/v1/account').set('cookie', s.cookie).expect(200);
    expect(read.body.id).toBe(a.account.id);

    const noCsrf = await t.http().patch('/v1/account').set('cookie', s.cookie).send({ name: 'Renamed' }).expect(403);
    expect(noCsrf.body.error).toBe('csrf_failed');
    await t.http().patch('/v1/account').set('cookie', s.cookie).set('x-csrf-token', 'x'.repeat(32)).send({ name: 'Renamed' }).expect(403);
    const ok = await t.http().patch('/v1/account').set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ name: 'Renamed' }).expect(200);
    expect(ok.body.name).toBe('Renamed');
  });

  it('keeps members to reading and activating: configuration routes are 403 for them', async () => {
    const a = await withAccount();
    await a.api.post('/v1/users').send({ email: `m-${a.email}`, password: PASSWORD, role: 'member' }).expect(201);
    const m = await login(`m-${a.email}`);
    expect(m.res.body.user.role).toBe('member');
    await t.http().get('/v1/account').set('cookie', m.cookie).expect(200);
    const patch = await t.http().patch('/v1/account').set('cookie', m.cookie).set('x-csrf-token', m.csrf).send({ name: 'x' }).expect(403);
    expect(patch.body).toMatchObject({ error: 'forbidden', message: 'members may view and activate; this change needs an admin' });
    await t.http().post('/v1/users').set('cookie', m.cookie).set('x-csrf-token', m.csrf).send({ email: 'z@example.test', password: PASSWORD }).expect(403);
    await t.http().get('/v1/users').set('cookie', m.cookie).expect(403);
    const account = await t.rt.services.accounts.getAccount(a.account.id);
    expect(account.name).not.toBe('x');
  });

  it('signs out, and disabling a user ends their sessions and sign-in', async () => {
    const a = await withAccount();
    const s1 = await login(a.email);
    const out = await t.http().post('/auth/logout').set('cookie', s1.cookie).set('x-csrf-token', s1.csrf).expect(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^sb_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax/);
    await t.http().get('/v1/account').set('cookie', s1.cookie).expect(401);

    const member = await a.api.post('/v1/users').send({ email: `d-${a.email}`, password: PASSWORD }).expect(201);
    const s2 = await login(`d-${a.email}`);
    await t.http().get('/v1/account').set('cookie', s2.cookie).expect(200);
    const disabled = await a.api.patch(`/v1/users/${member.body.id}`).send({ disabled: true }).expect(200);
    expect(disabled.body.disabledAt).not.toBeNull();
    const gone = await t.http().get('/v1/account').set('cookie', s2.cookie).expect(401);
    expect(gone.body.message).toMatch(/sign in again/);
    expect((await login(`d-${a.email}`)).res.status).toBe(401);
    await a.api.patch(`/v1/users/${member.body.id}`).send({ disabled: false }).expect(200);
    expect((await login(`d-${a.email}`)).res.status).toBe(200);
  });

  it('refuses an expired session and an admin disabling themselves', async () => {
    const a = await withAccount();
    const s = await login(a.email);
    const me = await t.http().get('/auth/me').set('cookie', s.cookie).expect(200);
    const self = await t.http().patch(`/v1/users/${me.body.user.id}`).set('cookie', s.cookie).set('x-csrf-token', s.csrf).send({ disabled: true }).expect(400);
    expect(self.body.details).toEqual([{ path: 'disabled', message: 'you cannot disable yourself' }]);
    await t.rt.infra.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [sha256Hex(s.token)]);
    await t.http().get('/v1/account').set('cookie', s.cookie).expect(401);
  });

  it('another account\'s user is a 404', async () => {
    const a = await withAccount();
    const b = await createTestAccount(t);
    const u = await a.api.post('/v1/users').send({ email: `o-${a.email}`, password: PASSWORD }).expect(201);
    await b.api.patch(`/v1/users/${u.body.id}`).send({ disabled: true }).expect(404);
    await b.api.get(`/v1/users/${u.body.id}`).expect(404);
  });

  it('rate-limits sign-in attempts per client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await t.http().post('/auth/login').set('x-forwarded-for', '203.0.113.9').send({ email: 'brute@example.test', password: `guess-${i}-xxxxx` });
      statuses.push(r.status);
      if (r.status === 429) expect(r.body).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/too many sign-in attempts/) });
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
  });

  it('marks the cookie Secure with the __Host- prefix behind https', () => {
    expect(cookieSettings('https://sb.example.com', undefined, 60)).toEqual({ name: '__Host-sb_session', secure: true, ttlSeconds: 60 });
    expect(cookieSettings('http://localhost:3000', undefined, 60).secure).toBe(false);
    expect(cookieSettings('http://localhost:3000', true, 60)).toMatchObject({ name: '__Host-sb_session', secure: true });
  });

  it('opens the live feed websocket with the cookie from our own origin only', async () => {
    const a = await withAccount();
    const s = await login(a.email);
    const group = (await a.api.post('/v1/groups').send({ name: 'G' }).expect(201)).body;
    const wf = (await a.api.post('/v1/workflows').send({ name: 'W', actions: [{ type: 'notification', groupIds: [group.id], message: 'm', channels: ['sms'] }] }).expect(201)).body;
    const act = (await a.api.post(`/v1/workflows/${wf.id}/activations`).send({}).expect(201)).body;
    const address = await t.rt.listen();
    const open = (origin: string) => new Promise<number | 'open'>((resolve, reject) => {
      const ws = new WebSocket(`${address.replace('http', 'ws')}/v1/activations/${act.id}/stream`, { headers: { cookie: s.cookie, origin } });
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', reject);
    });
    await expect(open('http://evil.example')).resolves.toBe(403);
    await expect(open(t.config.PUBLIC_URL)).resolves.toBe('open');
  });

  it('`switchboard users create` makes an admin whose printed password signs in', async () => {
    const a = await createTestAccount(t);
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli.ts', 'users', 'create', '--account', a.account.id, '--email', 'first@admin.test', '--name', 'First'], {
      env: { ...process.env, DATABASE_URL: t.databaseUrl, SECRET_KEY: t.config.SECRET_KEY, LOG_LEVEL: 'silent' },
    });
    expect(stdout).toMatch(/^created admin first@admin\.test \([0-9a-f-]{36}\)\npassword \(shown once\): \S{20}\n/);
    const password = /password \(shown once\): (\S+)/.exec(stdout)![1]!;
    const s = await login('first@admin.test', password);
    expect(s.res.body).toMatchObject({ user: { role: 'admin', name: 'First' }, account: { id: a.account.id } });
  });
});
