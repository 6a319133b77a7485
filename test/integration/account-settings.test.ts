/**
 * `PATCH /v1/account` merges `settings` key by key: two dashboard sections saved at once (quiet
 * hours, e-mail tracking) both keep what they sent, instead of the last save overwriting the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('account settings', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('keeps the keys of two PATCHes that each send a different setting', async () => {
    const a = await createTestAccount(t);
    await a.api.patch('/v1/account').send({ settings: { quietHours: { start: '21:00', end: '08:00' } } }).expect(200);
    const second = await a.api.patch('/v1/account').send({ settings: { emailTracking: { opens: true, clicks: false } } }).expect(200);
    const both = { quietHours: { start: '21:00', end: '08:00' }, emailTracking: { opens: true, clicks: false } };
    expect(second.body.settings).toEqual(both);
    expect((await a.api.get('/v1/account').expect(200)).body.settings).toEqual(both);
  });

  it('keeps both when the two sections are saved at the same moment', async () => {
    const a = await createTestAccount(t);
    for (let i = 0; i < 5; i++) {
      await Promise.all([
        a.api.patch('/v1/account').send({ settings: { quietHours: { start: `1${i}:00`, end: '08:00' } } }).expect(200),
        a.api.patch('/v1/account').send({ settings: { emailTracking: { opens: i % 2 === 0, clicks: true } } }).expect(200),
      ]);
      expect((await a.api.get('/v1/account').expect(200)).body.settings).toEqual({
        quietHours: { start: `1${i}:00`, end: '08:00' }, emailTracking: { opens: i % 2 === 0, clicks: true },
      });
    }
  });

  it('removes a key sent as null, replaces a key sent again, and leaves settings alone when none are sent', async () => {
    const a = await createTestAccount(t);
    await a.api.patch('/v1/account').send({ settings: { finalStatuses: ['won'], quietHours: { start: '21:00', end: '08:00' } } }).expect(200);
    await a.api.patch('/v1/account').send({ settings: { finalStatuses: ['won', 'lost'] } }).expect(200);
    await a.api.patch('/v1/account').send({ settings: { quietHours: null } }).expect(200);
    const renamed = await a.api.patch('/v1/account').send({ name: 'Renamed' }).expect(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', settings: { finalStatuses: ['won', 'lost'] } });
    expect(Object.keys(renamed.body.settings)).toEqual(['finalStatuses']);
  });
});
