/**
 * Dynamic Number Insertion API and its public endpoint: pool validation (400 naming the field,
 * nothing written), tenancy (another account's pool is a 404, its lines read as unknown), the
 * public key (unknown or rotated: a bare 404), visitor ids bound to their account, CORS origins,
 * the per-address-and-key rate limit, and which session a call to a pool number belongs to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('DNI: number pools API and the public number endpoint', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  let b: Awaited<ReturnType<typeof createTestAccount>>;
  let lineA: LineFixture;
  let lineA2: LineFixture;
  let lineA3: LineFixture;
  let plainA: LineFixture;
  let lineB: LineFixture;
  let poolA: string;
  let keyA: string;
  let keyB: string;
  const tracking = { mode: 'tracking', settings: { tracking: { forwardTo: '+14155552671' } } };

  beforeAll(async () => {
    t = await startTestRuntime({ DNI_RATE_LIMIT: '12' }, { web: true, worker: false });
    [a, b] = [await createTestAccount(t), await createTestAccount(t)];
    lineA = await addTwilioLine(t, a.account.id, tracking);
    lineA2 = await addTwilioLine(t, a.account.id, tracking);
    lineA3 = await addTwilioLine(t, a.account.id, tracking);
    plainA = await addTwilioLine(t, a.account.id);
    lineB = await addTwilioLine(t, b.account.id, tracking);
    keyA = (await a.api.get('/v1/dni').expect(200)).body.key;
    keyB = (await b.api.get('/v1/dni').expect(200)).body.key;
  });
  afterAll(async () => t?.close());

  const paths = (res: { body: { details: Array<{ path: string }> } }) => res.body.details.map((d) => d.path);
  const pools = async () => (await a.api.get('/v1/tracking-pools').expect(200)).body.data as Array<{ id: string; source: string }>;
  const ask = (q: Record<string, string>, origin?: string) => {
    const r = t.http().get(`/dni/number?${new URLSearchParams(q)}`);
    return origin ? r.set('origin', origin) : r;
  };

  it.each([
    [{ lineIds: ['LINE'] }, 'source', null],
    [{ source: 'google', lineIds: [] }, 'lineIds', null],
    [{ source: 'google', lineIds: ['nope'] }, 'lineIds.0', null],
    [{ source: 'google', lineIds: ['00000000-0000-4000-8000-000000000000'] }, 'lineIds.0', 'no such line in this account'],
    [{ source: 'google', lineIds: ['LINE', 'FOREIGN'] }, 'lineIds.1', 'no such line in this account'],
    [{ source: 'google', lineIds: ['PLAIN'] }, 'lineIds.0', 'is not a tracking line (mode "tracking")'],
    [{ source: 'google', lineIds: ['LINE'], match: { clickIds: ['ttclid'] } }, 'match.clickIds.0', null],
    [{ source: 'google', lineIds: ['LINE'], match: { referrerHosts: ['https://google.com/'] } }, 'match.referrerHosts.0', null],
    [{ source: 'google', lineIds: ['LINE'], colour: 'red' }, '', null],
  ])('refuses a bad pool with a 400 naming the field, and writes nothing (%#)', async (raw, path, message) => {
    const ids: Record<string, string> = { LINE: lineA.id, FOREIGN: lineB.id, PLAIN: plainA.id };
    const body = JSON.parse(JSON.stringify(raw).replace(/"(LINE|FOREIGN|PLAIN)"/g, (_m, k: string) => `"${ids[k]}"`));
    const res = await a.api.post('/v1/tracking-pools').send(body).expect(400);
    expect(res.body.error).toBe('validation_failed');
    if (path) expect(paths(res)).toContain(path);
    if (message) expect(res.body.details).toContainEqual({ path, message });
    expect(await pools()).toEqual([]);
  });

  it('stores a pool (utm_source defaults to the source); a line in another pool, a second default or a taken source are refused', async () => {
    const made = (await a.api.post('/v1/tracking-pools').send({ source: 'Google', lineIds: [lineA.id] }).expect(201)).body;
    poolA = made.id;
    expect(made).toMatchObject({ source: 'Google', default: false, match: { utmSources: ['google'], clickIds: [], referrerHosts: [] }, lines: [{ id: lineA.id, phoneNumber: lineA.phone }] });
    const again = await a.api.post('/v1/tracking-pools').send({ source: 'bing', lineIds: [lineA2.id, lineA.id] }).expect(400);
    expect(again.body.details).toEqual([{ path: 'lineIds.1', message: 'is already in another pool' }]);
    await a.api.post('/v1/tracking-pools').send({ source: 'organic', default: true, lineIds: [lineA2.id] }).expect(201);
    expect((await a.api.post('/v1/tracking-pools').send({ source: 'direct', default: true, lineIds: [lineA3.id] }).expect(409)).body.message)
      .toBe('default: the account already has a default pool');
    expect((await a.api.post('/v1/tracking-pools').send({ source: 'GOOGLE', lineIds: [lineA3.id] }).expect(409)).body.message)
      .toBe('source: a pool for this source already exists');
    expect((await pools()).map((p) => p.source)).toEqual(['Google', 'organic']);
  });

  it('another account\'s pool is a 404 on read, replace and delete, and never listed', async () => {
    await b.api.get(`/v1/tracking-pools/${poolA}`).expect(404);
    await b.api.put(`/v1/tracking-pools/${poolA}`).send({ source: 'mine', lineIds: [lineB.id] }).expect(404);
    await b.api.delete(`/v1/tracking-pools/${poolA}`).expect(404);
    expect((await b.api.get('/v1/tracking-pools').expect(200)).body.data).toEqual([]);
    expect((await a.api.get(`/v1/tracking-pools/${poolA}`).expect(200)).body.source).toBe('Google');
  });

  it('refuses bad settings with a 400 naming the field', async () => {
    expect(paths(await a.api.put('/v1/dni').send({ allowedOrigins: ['https://www.example.com/contact'] }).expect(400))).toEqual(['allowedOrigins.0']);
    expect(paths(await a.api.put('/v1/dni').send({ sessionMinutes: 2 }).expect(400))).toEqual(['sessionMinutes']);
    const ok = (await a.api.put('/v1/dni').send({ allowedOrigins: ['https://www.bayside.example'], sessionMinutes: 30 }).expect(200)).body;
    expect(ok).toEqual({ key: keyA, snippet: `<script src="http://switchboard.test/dni.js?key=${keyA}" async></script>`, allowedOrigins: ['https://www.bayside.example'], sessionMinutes: 30 });
  });

  it('an unknown key is a bare 404: no number, no CORS header, no detail', async () => {
    const res = await ask({ key: 'dni_unknown', utm_source: 'google' }, 'https://www.bayside.example').expect(404);
    expect(res.body).toEqual({ error: 'not_found', message: 'not found', details: null, requestId: expect.any(String) });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers only the allowed site (CORS), with the number of the visitor\'s pool', async () => {
    const res = await ask({ key: keyA, utm_source: 'google' }, 'https://www.bayside.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://www.bayside.example');
    expect(res.body).toEqual({ number: lineA.phone, display: `(${lineA.phone.slice(2, 5)}) ${lineA.phone.slice(5, 8)}-${lineA.phone.slice(8)}`, visitor: expect.any(String), expiresAt: expect.any(String) });
    const other = await ask({ key: keyA, utm_source: 'google' }, 'https://evil.example').expect(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.stringify(other.body)).not.toContain(lineA.phone);
  });

  it('a visitor id of another account is ignored: each key only ever shows its own account\'s numbers', async () => {
    await b.api.post('/v1/tracking-pools').send({ source: 'organic', default: true, lineIds: [lineB.id] }).expect(201);
    const fromB = (await ask({ key: keyB }).expect(200)).body;
    expect(fromB.number).toBe(lineB.phone);
    const withB = (await ask({ key: keyA, visitor: fromB.visitor }).expect(200)).body;
    expect(withB.number).not.toBe(lineB.phone);
    expect(withB.visitor).not.toBe(fromB.visitor); // a fresh id, minted for account A
    const forged = (await ask({ key: keyB, visitor: `${fromB.visitor.split('.')[0]}.forged` }).expect(200)).body;
    expect(forged.visitor).not.toContain(fromB.visitor.split('.')[0]);
  });

  it('a call to a pool number belongs to the most recent session assigned it, within that session\'s window only', async () => {
    const before = new Date(); // after the CORS test's session was assigned, before these two
    const first = (await ask({ key: keyA, utm_source: 'google', utm_campaign: 'one' }).expect(200)).body;
    const second = (await ask({ key: keyA, utm_source: 'google', utm_campaign: 'two' }).expect(200)).body;
    expect([first.number, second.number]).toEqual([lineA.phone, lineA.phone]); // one number in the pool: reused
    const { dniNumbers } = t.rt.services.tracking;
    const now = await dniNumbers.attribute(a.account.id, lineA.id, new Date());
    expect(now).toMatchObject({ source: 'Google', visitor: { visitorId: second.visitor.split('.')[0], utmCampaign: 'two', reused: true } });
    expect(await dniNumbers.attribute(a.account.id, lineA.id, new Date(Date.now() + 31 * 60_000))).toBeNull();
    const earlier = await dniNumbers.attribute(a.account.id, lineA.id, before); // the session of the CORS test, assigned before both
    expect(earlier).not.toBeNull();
    expect(await dniNumbers.attribute(a.account.id, lineA.id, new Date(Date.now() - 3_600_000))).toBeNull(); // before any session
    expect(earlier?.visitor.visitorId).not.toBe(first.visitor.split('.')[0]);
    expect(earlier?.visitor.visitorId).not.toBe(second.visitor.split('.')[0]);
  });

  it('refuses an oversized visit field with a 400 naming it', async () => {
    expect(paths(await ask({ key: keyA, utm_source: 'x'.repeat(201) }).expect(400))).toEqual(['utm_source']);
  });

  it('rate limits each key per client address (429 after DNI_RATE_LIMIT a minute); a rotated key is a 404', async () => {
    const fresh = (await b.api.post('/v1/dni/key').expect(200)).body.key;
    expect(fresh).not.toBe(keyB);
    await ask({ key: keyB }).expect(404);
    for (let i = 0; i < 12; i++) await ask({ key: fresh }).expect(200);
    const limited = await ask({ key: fresh }).expect(429);
    expect(limited.body).toMatchObject({ error: 'rate_limited' });
    expect(JSON.stringify(limited.body)).not.toContain(lineB.phone);
    await ask({ key: keyA }).expect(200); // another key from the same address has its own budget
  });
});
