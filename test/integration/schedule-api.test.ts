import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const webhook = { type: 'webhook', url: 'https://example.com/hook', body: '{"text":"weekly check"}' };

describe('schedules through the API', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
  });
  afterAll(async () => t?.close());

  const stored = async (id: string) =>
    (await t.rt.infra.db.query('SELECT spec, timezone, next_run_at, paused FROM workflow_schedules WHERE workflow_id = $1', [id])).rows[0];

  it('previews the next occurrences in local time and UTC; the stored next run is the first', async () => {
    const schedule = { type: 'weekly', days: ['mon', 'fri'], time: '09:00', timezone: 'America/New_York' };
    const wf = await a.api.post('/v1/workflows').send({ name: 'Standup', schedule, actions: [webhook] }).expect(201);
    const res = await a.api.get(`/v1/workflows/${wf.body.id}/schedule/preview?count=12`).expect(200);
    expect(res.body).toMatchObject({ workflowId: wf.body.id, timezone: 'America/New_York', paused: false, spec: { ...schedule, everyWeeks: 1 } });
    expect(res.body.occurrences).toHaveLength(12);
    for (const o of res.body.occurrences) {
      const local = DateTime.fromISO(o.local, { setZone: true });
      expect(local.toFormat('HH:mm')).toBe('09:00');
      expect(['Monday', 'Friday']).toContain(o.weekday);
      expect(new Date(o.utc).getTime()).toBe(local.toMillis());
    }
    expect(res.body.nextRunAt).toBe(res.body.occurrences[0].utc);
    const row = await stored(wf.body.id);
    expect(row).toMatchObject({ timezone: 'America/New_York', paused: false });
    expect(row.next_run_at.toISOString()).toBe(res.body.occurrences[0].utc);

    const dflt = await a.api.get(`/v1/workflows/${wf.body.id}/schedule/preview`).expect(200);
    expect(dflt.body.occurrences).toHaveLength(10);
  });

  it('uses the account zone when the schedule names none', async () => {
    await a.api.patch('/v1/account').send({ timezone: 'Australia/Sydney' }).expect(200);
    const wf = await a.api.post('/v1/workflows').send({ name: 'Month end', schedule: { type: 'monthly', dates: ['last'], time: '17:30' }, actions: [webhook] }).expect(201);
    const res = await a.api.get(`/v1/workflows/${wf.body.id}/schedule/preview?count=3`).expect(200);
    expect(res.body.timezone).toBe('Australia/Sydney');
    for (const o of res.body.occurrences) {
      const local = DateTime.fromISO(o.local, { setZone: true });
      expect(local.toFormat('HH:mm')).toBe('17:30');
      expect(local.day).toBe(local.daysInMonth);
    }
    await a.api.patch('/v1/account').send({ timezone: 'UTC' }).expect(200);
  });

  it("is a 404 for another account's workflow and for unknown ids, a 400 without a schedule or with a bad count", async () => {
    const wf = await a.api.post('/v1/workflows').send({ name: 'Mine', schedule: { type: 'weekly', days: ['tue'], time: '08:00' }, actions: [webhook] }).expect(201);
    const b = await createTestAccount(t);
    const other = await b.api.get(`/v1/workflows/${wf.body.id}/schedule/preview`).expect(404);
    expect(other.body).toMatchObject({ error: 'not_found' });
    await b.api.get(`/v1/workflows/${wf.body.id}/schedule/runs`).expect(404);
    await a.api.get('/v1/workflows/00000000-0000-0000-0000-000000000000/schedule/preview').expect(404);
    await a.api.get('/v1/workflows/not-a-uuid/schedule/preview').expect(404);

    const plain = await a.api.post('/v1/workflows').send({ name: 'No schedule', actions: [webhook] }).expect(201);
    const none = await a.api.get(`/v1/workflows/${plain.body.id}/schedule/preview`).expect(400);
    expect(none.body).toMatchObject({ error: 'no_schedule', details: [{ path: 'schedule' }] });

    for (const count of ['0', '101', 'abc']) {
      const bad = await a.api.get(`/v1/workflows/${wf.body.id}/schedule/preview?count=${count}`).expect(400);
      expect(bad.body.details[0].path).toBe('querystring.count');
    }
  });

  it.each([
    ['no days', { type: 'weekly', days: [], time: '09:00' }, 'schedule.days'],
    ['hour 25', { type: 'weekly', days: ['mon'], time: '25:00' }, 'schedule.time'],
    ['unknown zone', { type: 'weekly', days: ['mon'], time: '09:00', timezone: 'Mars/Olympus_Mons' }, 'schedule.timezone'],
    ['every 3 weeks', { type: 'weekly', days: ['mon'], time: '09:00', everyWeeks: 3, startDate: '2025-01-06' }, 'schedule.everyWeeks'],
    ['empty month list', { type: 'monthly', dates: [1], months: [], time: '09:00' }, 'schedule.months'],
  ])('refuses a schedule with %s: 400 naming the field, nothing stored', async (_n, schedule, path) => {
    const name = `Bad ${path} ${Math.random()}`;
    const res = await a.api.post('/v1/workflows').send({ name, schedule, actions: [webhook] }).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    const list = await t.rt.infra.db.query('SELECT count(*)::int AS n FROM workflows WHERE name = $1', [name]);
    expect(list.rows[0].n).toBe(0);
  });

  it('follows the workflow: edit recomputes, pause and resume flag it, removing the schedule or the workflow drops it', async () => {
    const wf = await a.api.post('/v1/workflows').send({ name: 'Follow', schedule: { type: 'weekly', days: ['wed'], time: '07:15', timezone: 'Europe/London' }, actions: [webhook] }).expect(201);
    const id = wf.body.id;
    const before = await stored(id);
    expect(DateTime.fromJSDate(before.next_run_at, { zone: 'Europe/London' }).toFormat('ccc HH:mm')).toBe('Wed 07:15');

    await a.api.put(`/v1/workflows/${id}`).send({ name: 'Follow', schedule: { type: 'monthly', weekday: { ordinal: 'last', day: 'fri' }, time: '16:45', timezone: 'Asia/Tokyo' }, actions: [webhook] }).expect(200);
    const edited = await stored(id);
    const local = DateTime.fromJSDate(edited.next_run_at, { zone: 'Asia/Tokyo' });
    expect(local.toFormat('ccc HH:mm')).toBe('Fri 16:45');
    expect(local.plus({ weeks: 1 }).month).not.toBe(local.month);
    expect(edited.timezone).toBe('Asia/Tokyo');

    await a.api.post(`/v1/workflows/${id}/pause`).expect(200);
    expect((await stored(id)).paused).toBe(true);
    const paused = await a.api.get(`/v1/workflows/${id}/schedule/preview?count=1`).expect(200);
    expect(paused.body.paused).toBe(true);
    await a.api.post(`/v1/workflows/${id}/resume`).expect(200);
    expect((await stored(id)).paused).toBe(false);

    await a.api.put(`/v1/workflows/${id}`).send({ name: 'Follow', actions: [webhook] }).expect(200);
    expect(await stored(id)).toBeUndefined();
    await a.api.put(`/v1/workflows/${id}`).send({ name: 'Follow', schedule: { type: 'weekly', days: ['sun'], time: '00:00' }, actions: [webhook] }).expect(200);
    expect(await stored(id)).toBeDefined();
    await a.api.delete(`/v1/workflows/${id}`).expect(204);
    expect(await stored(id)).toBeUndefined();
    await a.api.get(`/v1/workflows/${id}/schedule/preview`).expect(404);
  });

  it('lists recorded runs, newest first', async () => {
    const wf = await a.api.post('/v1/workflows').send({ name: 'Runs', schedule: { type: 'weekly', days: ['mon'], time: '09:00' }, actions: [webhook] }).expect(201);
    await t.rt.infra.db.query(
      `INSERT INTO schedule_runs (workflow_id, account_id, occurrence, status) VALUES ($1, $2, '2025-01-06T09:00:00Z', 'missed'), ($1, $2, '2025-01-13T09:00:00Z', 'skipped_paused')`,
      [wf.body.id, a.account.id],
    );
    const res = await a.api.get(`/v1/workflows/${wf.body.id}/schedule/runs`).expect(200);
    expect(res.body.data.map((r: { occurrence: string; status: string }) => [r.occurrence, r.status])).toEqual([
      ['2025-01-13T09:00:00.000Z', 'skipped_paused'],
      ['2025-01-06T09:00:00.000Z', 'missed'],
    ]);
  });
});
