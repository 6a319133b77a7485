import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/test-db.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { runCli } from '../helpers/run-cli.js';

const TABLES = ['accounts', 'api_keys', 'users', 'lines', 'groups', 'group_members', 'contacts', 'workflows', 'workflow_versions'];

describe('quick start: `switchboard demo` seeding', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let t: TestRuntime;
  const env = () => ({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL!, SECRET_KEY: 'test-secret-key-0123456789abcdefghijklmnop', PUBLIC_URL: 'http://sb.example:3000' });
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const tbl of TABLES) out[tbl] = (await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM ${tbl}`)).rows[0].n;
    return out;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestRuntime({}, { web: true, worker: false }, { databaseUrl: db.url });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('seeds once, prints the API key and password only the first time, and a second run changes nothing', async () => {
    const first = await runCli(['demo'], env());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const key = /API key \(shown once, keep it\): (sb_\S+)/.exec(first.stdout)?.[1];
    const password = /demo@switchboard\.local \/ (\S+)/.exec(first.stdout)?.[1];
    expect(key).toBeDefined();
    expect(password).toBeDefined();
    expect(first.stdout).toContain('http://sb.example:3000/v1');
    expect(first.stdout).toContain('http://sb.example:3000/docs');
    expect(first.stdout).toContain('Dashboard: http://sb.example:3000/');
    const after1 = await counts();
    expect(after1).toMatchObject({ accounts: 1, api_keys: 1, users: 1, lines: 1, groups: 2, contacts: 4, workflows: 2, workflow_versions: 2 });

    const second = await runCli(['demo'], env());
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Demo account exists/);
    expect(second.stdout).not.toMatch(/sb_[A-Za-z0-9]{8}_/);
    expect(second.stdout).not.toContain(password!);
    expect(second.stdout).toMatch(/switchboard accounts keys create --account [0-9a-f-]{36}/);
    expect(await counts()).toEqual(after1);

    // The printed key works, and the demo data is what the README promises.
    const api = (url: string) => t.http().get(url).set('authorization', `Bearer ${key}`);
    const wfs = (await api('/v1/workflows').expect(200)).body.data;
    expect(wfs.map((w: { name: string }) => w.name)).toEqual(['Rescue callout', 'Site alert']);
    expect(wfs[0]).toMatchObject({ codeActivation: { code: 'RESQ' }, placeholders: [] });
    expect(wfs[1].placeholders).toEqual(['site', 'details']);
    expect((await api('/v1/lines').expect(200)).body.data[0]).toMatchObject({ phoneNumber: '+15555550100', provider: 'simulator' });
    const user = await t.rt.services.users.verifyLogin('demo@switchboard.local', password!);
    expect(user.role).toBe('admin');
    const hash = (await t.rt.infra.db.query('SELECT password_hash FROM users')).rows[0].password_hash;
    expect(hash).toMatch(/^\$argon2id\$/);

    // A new key for the account, from the CLI.
    const accountId = /Demo account created: (\S+)/.exec(first.stdout)![1]!;
    const made = await runCli(['accounts', 'keys', 'create', '--account', accountId], env());
    expect(made.code).toBe(0);
    const key2 = /\(shown once\): (sb_\S+)/.exec(made.stdout)![1]!;
    await t.http().get('/v1/account').set('authorization', `Bearer ${key2}`).expect(200);
  }, 60_000);
});
