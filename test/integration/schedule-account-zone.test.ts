import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const webhook = { type: 'webhook', url: 'https://example.com/hook', body: '{"text":"daily check"}' };
const daily = { type: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], time: '09:00' };

/** Issue 19: changing the account's zone left next_run_at at the old zone's time. */
describe('account time zone change and the schedules that follow it', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
  });
  afterAll(async () => t?.close());

  const q = (sql: string, args: unknown[] = []) => t.rt.infra.db.query(sql, args);
  const stored = async (id: string) =>
    (await q('SELECT timezone, next_run_at, paused FROM workflow_schedules WHERE workflow_id = $1', [id])).rows[0] as { timezone: string; next_run_at: Date; paused: boolean };
  const localTime = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat('HH:mm');
  const scheduled = async (name: string, schedule: Record<string, unknown>) =>
    (await a.api.post('/v1/workflows').send({ name, schedule, actions: [webhook] }).expect(201)).body.id as string;

  it('recomputes next_run_at of every schedule without a zone of its own, in the same request', async () => {
    await a.api.patch('/v1/account').send({ timezone: 'America/New_York' }).expect(200);
    const follows = await scheduled('Follows the account', daily);
    const paused = await scheduled('Paused, follows the account', daily);
    await a.api.post(`/v1/workflows/${paused}/pause`).expect(200);
    const own = await scheduled('London standup', { ...daily, timezone: 'Europe/London' });
    expect(localTime((await stored(follows)).next_run_at, 'America/New_York')).toBe('09:00');
    const ownBefore = await stored(own);

    const res = await a.api.patch('/v1/account').send({ timezone: 'Asia/Tokyo' }).expect(200);
    expect(res.body.timezone).toBe('Asia/Tokyo');

    for (const id of [follows, paused]) {
      const row = await stored(id);
      expect(row.timezone).toBe('Asia/Tokyo');
      expect(localTime(row.next_run_at, 'Asia/Tokyo')).toBe('09:00');
      // The next 09:00 in Tokyo from now: within the coming day, and what the preview shows first.
      const ms = row.next_run_at.getTime() - Date.now();
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(24 * 3600_000);
      const preview = (await a.api.get(`/v1/workflows/${id}/schedule/preview?count=1`).expect(200)).body;
      expect(preview).toMatchObject({ timezone: 'Asia/Tokyo', nextRunAt: preview.occurrences[0].utc });
      expect(row.next_run_at.toISOString()).toBe(preview.occurrences[0].utc);
    }
    expect((await stored(paused)).paused).toBe(true);
    // A schedule with its own zone is left exactly as it was.
    expect(await stored(own)).toEqual(ownBefore);

    // Setting the same zone again changes nothing.
    const again = await stored(follows);
    await a.api.patch('/v1/account').send({ timezone: 'Asia/Tokyo', name: 'Renamed' }).expect(200);
    expect(await stored(follows)).toEqual(again);
  });

  it('a failure part-way leaves the account zone and every schedule as they were', async () => {
    const b = await createTestAccount(t);
    await b.api.patch('/v1/account').send({ timezone: 'Europe/Paris' }).expect(200);
    const ids: string[] = [];
    for (const name of ['first', 'second', 'third']) {
      ids.push((await b.api.post('/v1/workflows').send({ name, schedule: daily, actions: [webhook] }).expect(201)).body.id);
    }
    const before = await Promise.all(ids.map(stored));
    // The second schedule's write fails (as a lost connection or a constraint would).
    await q(`CREATE FUNCTION fail_zone_test() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.workflow_id = '${ids[1]}'::uuid THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await q('CREATE TRIGGER fail_zone_test BEFORE UPDATE ON workflow_schedules FOR EACH ROW EXECUTE FUNCTION fail_zone_test()');
    try {
      const res = await b.api.patch('/v1/account').send({ timezone: 'Pacific/Auckland', name: 'Kiwi' });
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ error: 'internal_error' });
      expect(JSON.stringify(res.body)).not.toContain('injected');
    } finally {
      await q('DROP TRIGGER fail_zone_test ON workflow_schedules');
      await q('DROP FUNCTION fail_zone_test()');
    }
    const account = (await b.api.get('/v1/account').expect(200)).body;
    expect(account).toMatchObject({ timezone: 'Europe/Paris', name: expect.not.stringMatching('Kiwi') });
    expect(await Promise.all(ids.map(stored))).toEqual(before);

    // With the failure gone the same change goes through whole.
    await b.api.patch('/v1/account').send({ timezone: 'Pacific/Auckland' }).expect(200);
    for (const id of ids) {
      const row = await stored(id);
      expect(row.timezone).toBe('Pacific/Auckland');
      expect(localTime(row.next_run_at, 'Pacific/Auckland')).toBe('09:00');
    }
  });

  it('refuses a zone that is not an IANA zone, naming the field, and changes nothing', async () => {
    const before = (await a.api.get('/v1/account').expect(200)).body.timezone;
    const res = await a.api.patch('/v1/account').send({ timezone: 'Mars/Olympus' }).expect(400);
    expect(res.body.details).toEqual([expect.objectContaining({ path: 'timezone' })]);
    expect((await a.api.get('/v1/account').expect(200)).body.timezone).toBe(before);
  });
});
