import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('foundation: health, auth, account scoping', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('reports liveness and readiness of PostgreSQL and Redis', async () => {
    await t.http().get('/healthz').expect(200, { status: 'ok' });
    const res = await t.http().get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: { postgres: true, redis: true } });
  });

  it('refuses requests without a key, with a malformed header, or a made-up key', async () => {
    const none = await t.http().get('/v1/account').expect(401);
    expect(none.body).toMatchObject({ error: 'unauthorized', requestId: expect.any(String) });
    await t.http().get('/v1/account').set('authorization', 'Basic abc').expect(401);
    await t.http().get('/v1/account').set('authorization', 'Bearer sb_abcdefgh_notarealkeynotarealkey00').expect(401);
  });

  it('returns the caller account and stops accepting a revoked key', async () => {
    const a = await createTestAccount(t, 'Acme Rescue');
    const me = await a.api.get('/v1/account').expect(200);
    expect(me.body).toMatchObject({ id: a.account.id, name: 'Acme Rescue', timezone: 'UTC' });

    const created = await a.api.post('/v1/api-keys').send({ name: 'ci' }).expect(201);
    expect(created.body.key).toMatch(/^sb_[A-Za-z0-9]{8}_/);
    const second = a.withKey(created.body.key);
    await second.get('/v1/account').expect(200);

    const listed = await a.api.get('/v1/api-keys').expect(200);
    expect(listed.body.data.map((k: { name: string }) => k.name).sort()).toEqual(['ci', 'default']);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

    await a.api.delete(`/v1/api-keys/${created.body.id}`).expect(200);
    await second.get('/v1/account').expect(401);
  });

  it('treats another account\'s key as a 404, not a leak', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const key = await a.api.post('/v1/api-keys').send({ name: 'x' }).expect(201);
    await b.api.delete(`/v1/api-keys/${key.body.id}`).expect(404);
  });

  it('names the bad field on invalid input', async () => {
    const a = await createTestAccount(t);
    const res = await a.api.patch('/v1/account').send({ timezone: 'Mars/Olympus' }).expect(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'timezone' }] });
    const res2 = await a.api.post('/v1/api-keys').send({ name: '' }).expect(400);
    expect(res2.body.details[0].path).toBe('name');
  });
});
