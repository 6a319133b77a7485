import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** Expired dashboard sessions are deleted by the worker role (SESSION_PURGE_INTERVAL_MINUTES). */
describe('expired session purge', () => {
  let web: TestRuntime & { databaseUrl: string };
  const workers: TestRuntime[] = [];
  beforeAll(async () => {
    web = await startTestRuntime({ SESSION_PURGE_INTERVAL_MINUTES: '0' }, { web: true, worker: false });
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await web?.close();
  });

  const sessionsOf = async (accountId: string) =>
    (await web.rt.infra.db.query('SELECT user_id, expires_at < now() AS expired FROM sessions WHERE account_id = $1 ORDER BY expires_at', [accountId])).rows;

  const userWithSessions = async () => {
    const a = await createTestAccount(web);
    const u = await a.api.post('/v1/users').send({ email: `p-${Math.random().toString(36).slice(2, 8)}@example.test`, password: 'correct horse battery' }).expect(201);
    for (let i = 0; i < 3; i++) await web.rt.services.sessions.create({ id: u.body.id, accountId: a.account.id });
    // Two of the three expired a minute ago.
    await web.rt.infra.db.query(
      `UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id IN (SELECT id FROM sessions WHERE account_id = $1 LIMIT 2)`,
      [a.account.id],
    );
    return a.account.id;
  };

  it('two worker processes purge expired sessions on their own and keep live ones', async () => {
    const accountId = await userWithSessions();
    expect((await sessionsOf(accountId)).map((s) => s.expired)).toEqual([true, true, false]);
    // 0.005 minutes = 300 ms; both workers run the loop on the same database.
    workers.push(...await Promise.all([0, 1].map(() => startTestRuntime({ SESSION_PURGE_INTERVAL_MINUTES: '0.005' }, { web: false, worker: true }, { databaseUrl: web.databaseUrl }))));
    await eventually(async () => (await sessionsOf(accountId)).length === 1, 'expired sessions purged');
    expect((await sessionsOf(accountId)).map((s) => s.expired)).toEqual([false]);
    for (const w of workers.splice(0)) await w.close();
  });

  it('purges once when called from many places at the same moment', async () => {
    const accountId = await userWithSessions();
    const counts = await Promise.all(Array.from({ length: 5 }, () => web.rt.services.sessions.purgeExpired()));
    // No error, no deadlock: each expired session deleted by exactly one caller (the others got 0).
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect((await sessionsOf(accountId)).map((s) => s.expired)).toEqual([false]);
  });
});
