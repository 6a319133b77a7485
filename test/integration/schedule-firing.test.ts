import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { createManualClock } from '../../src/clock.js';
import { createScheduleFirer } from '../../src/schedule/schedule-firer.js';
import { createScheduleHook } from '../../src/schedule/schedule-hook.js';
import { listRuns } from '../../src/schedule/schedules-repo.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { scheduledWorkflows } from './schedule-helpers.js';
import { schedulesRepo } from '../../src/schedule/schedules-repo.js';
import { activationBatchRepo } from '../../src/engine/activation-batch-repo.js';

const NY = 'America/New_York';
const weekdays9 = { type: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], time: '09:00', timezone: NY };

describe('schedule firing with a controllable clock', () => {
  let t: TestRuntime;
  let db: Db;
  const clock = createManualClock('2025-03-03T13:00:00Z');
  const hook = createScheduleHook({ schedules: schedulesRepo, clock });
  let wf: ReturnType<typeof scheduledWorkflows>;
  let firer: ReturnType<typeof createScheduleFirer>;
  let accountId: string;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: false, worker: false });
    db = t.rt.infra.db;
    wf = scheduledWorkflows(db, hook);
    firer = createScheduleFirer({ db, schedules: schedulesRepo, activations: activationBatchRepo, clock, graceMinutes: 15 });
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    accountId = (await createTestAccount(t)).account.id;
  });

  const schedule = async (id: string) => (await db.query('SELECT next_run_at, paused FROM workflow_schedules WHERE workflow_id = $1', [id])).rows[0];
  /** What GET …/schedule/runs lists (fired: the activations; others: schedule_runs), oldest first. */
  const runs = async (id: string, account = accountId) =>
    (await listRuns(db, account, id, 500)).reverse().map((r) => ({
      at: r.occurrence.toISOString(), status: r.status, activation: r.activationId !== null, error: r.error,
    }));
  const activations = async (id: string) =>
    (await db.query('SELECT source, idempotency_key, context, workflow_version FROM activations WHERE workflow_id = $1 ORDER BY created_at, idempotency_key', [id])).rows;
  /** Fires until nothing is due (other tests' rows are fired too: each test owns its workflow). */
  const fire = async () => {
    let total = 0;
    for (;;) {
      const r = await firer.fireDue();
      total += r.fired.length;
      if (r.claimed === 0) return total;
    }
  };

  it('fires at the local time once, with the schedule key, and moves to the next one across spring forward', async () => {
    clock.set('2025-03-08T13:59:59Z'); // Sat 08:59:59 EST
    const id = await wf.create(accountId, weekdays9);
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-03-08T14:00:00.000Z');
    await fire();
    expect(await activations(id)).toEqual([]);

    clock.set('2025-03-08T14:00:00.200Z');
    await fire();
    await fire();
    expect(await activations(id)).toEqual([
      { source: 'schedule', idempotency_key: `schedule:${id}:2025-03-08T14:00:00.000Z`, context: { scheduledFor: '2025-03-08T14:00:00.000Z', timezone: NY }, workflow_version: 1 },
    ]);
    // Sunday 09:00 is EDT now: 13:00 UTC.
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-03-09T13:00:00.000Z');
    expect(await runs(id)).toEqual([{ at: '2025-03-08T14:00:00.000Z', status: 'fired', activation: true, error: null }]);
    const outbox = await db.query(`SELECT count(*)::int AS n FROM outbox o JOIN activations a ON a.id::text = o.ref_id WHERE a.workflow_id = $1 AND o.topic = 'activation'`, [id]);
    expect(outbox.rows[0].n).toBe(1);
  });

  it('after downtime: older than the grace window -> missed, within it -> fired once', async () => {
    clock.set('2025-06-02T12:00:00Z'); // Mon 08:00 EDT
    const id = await wf.create(accountId, weekdays9);
    clock.set('2025-06-05T13:10:00Z'); // Thu 09:10: Mon, Tue, Wed missed; Thu is 10 min late
    await fire();
    expect(await runs(id)).toEqual([
      { at: '2025-06-02T13:00:00.000Z', status: 'missed', activation: false, error: null },
      { at: '2025-06-03T13:00:00.000Z', status: 'missed', activation: false, error: null },
      { at: '2025-06-04T13:00:00.000Z', status: 'missed', activation: false, error: null },
      { at: '2025-06-05T13:00:00.000Z', status: 'fired', activation: true, error: null },
    ]);
    expect((await activations(id)).map((a) => a.idempotency_key)).toEqual([`schedule:${id}:2025-06-05T13:00:00.000Z`]);
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-06-06T13:00:00.000Z');

    clock.set('2025-06-06T13:15:00.001Z'); // just over 15 minutes late
    await fire();
    expect((await runs(id)).at(-1)).toEqual({ at: '2025-06-06T13:00:00.000Z', status: 'missed', activation: false, error: null });
    expect(await activations(id)).toHaveLength(1);
  });

  it('pausing skips occurrences (recorded); resuming counts from now and fires nothing for the pause', async () => {
    clock.set('2025-07-01T12:00:00Z');
    const id = await wf.create(accountId, weekdays9);
    await wf.pause(accountId, id);
    expect((await schedule(id)).paused).toBe(true);
    clock.set('2025-07-01T13:00:01Z');
    await fire();
    clock.set('2025-07-02T13:00:01Z'); // not fired yet when resumed: settled as skipped by the resume
    await wf.resume(accountId, id);
    await fire();
    expect(await runs(id)).toEqual([
      { at: '2025-07-01T13:00:00.000Z', status: 'skipped_paused', activation: false, error: null },
      { at: '2025-07-02T13:00:00.000Z', status: 'skipped_paused', activation: false, error: null },
    ]);
    expect(await activations(id)).toEqual([]);
    expect(await schedule(id)).toEqual({ next_run_at: new Date('2025-07-03T13:00:00Z'), paused: false });
  });

  it('an edit takes effect from the next occurrence', async () => {
    clock.set('2025-07-06T12:00:00Z'); // Sun 08:00 EDT
    const id = await wf.create(accountId, { type: 'weekly', days: ['mon'], time: '09:00', timezone: NY });
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-07-07T13:00:00.000Z');
    await wf.edit(accountId, id, { type: 'weekly', days: ['sun'], time: '10:30', timezone: 'Europe/London' });
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-07-13T09:30:00.000Z');
    clock.set('2025-07-13T09:30:00Z');
    await fire();
    expect((await activations(id)).map((a) => [a.idempotency_key, a.workflow_version])).toEqual([[`schedule:${id}:2025-07-13T09:30:00.000Z`, 2]]);
  });

  it('uses the account time zone when the schedule has none, and deleting removes the schedule', async () => {
    await db.query(`UPDATE accounts SET timezone = 'Australia/Sydney' WHERE id = $1`, [accountId]);
    clock.set('2025-04-04T00:00:00Z');
    const id = await wf.create(accountId, { type: 'monthly', weekday: { ordinal: 'first', day: 'sun' }, months: [4], time: '02:30' });
    // 02:30 happens twice in Sydney that night: the first, AEDT (+11).
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-04-05T15:30:00.000Z');
    await wf.remove(accountId, id);
    expect(await schedule(id)).toBeUndefined();
  });

  it('re-firing an occurrence (as after a crash) creates no second activation', async () => {
    clock.set('2025-08-01T12:00:00Z');
    const id = await wf.create(accountId, weekdays9);
    clock.set('2025-08-01T13:00:00.5Z');
    await fire();
    // Put the row back to the fired occurrence: the claim sees it due again.
    await db.query(`UPDATE workflow_schedules SET next_run_at = '2025-08-01T13:00:00Z' WHERE workflow_id = $1`, [id]);
    await fire();
    expect(await activations(id)).toHaveLength(1);
    expect(await runs(id)).toHaveLength(1);
  });

  it('a pass that dies before COMMIT leaves everything to the next pass: not lost, not doubled', async () => {
    clock.set('2025-09-01T12:00:00Z');
    const id = await wf.create(accountId, weekdays9);
    clock.set('2025-09-01T13:00:00.1Z');
    // Another process whose connection drops when it would advance the schedule.
    const crashing = new pg.Pool({ connectionString: t.config.DATABASE_URL, max: 2 });
    crashing.on('connect', (c) => {
      const query = c.query.bind(c) as (...a: unknown[]) => unknown;
      (c as unknown as { query: unknown }).query = (text: unknown, ...rest: unknown[]) =>
        typeof text === 'string' && text.includes('UPDATE workflow_schedules') ? Promise.reject(new Error('connection lost')) : query(text, ...rest);
    });
    try {
      const doomed = createScheduleFirer({ db: crashing, schedules: schedulesRepo, activations: activationBatchRepo, clock, graceMinutes: 15 });
      await expect(doomed.fireDue()).rejects.toThrow('connection lost');
    } finally {
      await crashing.end();
    }
    expect(await activations(id)).toEqual([]);
    expect(await runs(id)).toEqual([]);
    await fire();
    expect(await activations(id)).toHaveLength(1);
    expect((await runs(id)).map((r) => r.status)).toEqual(['fired']);
  });

  it('fires with Redis gone: the activation and its outbox row are committed, the dispatch failure is left to the sweeper', async () => {
    clock.set('2025-11-01T12:00:00Z');
    const id = await wf.create(accountId, weekdays9);
    clock.set('2025-11-01T13:00:00.3Z');
    const handedOff: string[][] = [];
    const redisDown = createScheduleFirer({
      db, schedules: schedulesRepo, activations: activationBatchRepo, clock, graceMinutes: 15,
      dispatcher: { dispatch: async (ids) => { handedOff.push(ids); throw new Error('ECONNREFUSED 127.0.0.1:6379'); } },
    });
    const r = await redisDown.fireDue();
    await redisDown.settle();
    expect(r.fired.map((f) => f.workflowId)).toContain(id);
    const [a] = await activations(id);
    expect(a.idempotency_key).toBe(`schedule:${id}:2025-11-01T13:00:00.000Z`);
    expect(handedOff.flat()).toHaveLength(r.fired.length);
    const outbox = await db.query(`SELECT o.dispatched_at FROM outbox o JOIN activations a ON a.id::text = o.ref_id WHERE a.workflow_id = $1`, [id]);
    expect(outbox.rows).toEqual([{ dispatched_at: null }]);
  });

  it('one schedule that cannot be computed is recorded as failed and parked; the others still fire', async () => {
    clock.set('2025-12-01T12:00:00Z');
    const good = await wf.create(accountId, weekdays9);
    const other = await createTestAccount(t);
    const bad = await wf.create(other.account.id, { type: 'weekly', days: ['mon'], time: '09:00' });
    // A zone name the tz database stopped knowing (written behind the API's back).
    await db.query(`UPDATE accounts SET timezone = 'Mars/Olympus_Mons' WHERE id = $1`, [other.account.id]);
    await db.query(`UPDATE workflow_schedules SET next_run_at = '2025-12-01T14:00:00Z' WHERE workflow_id = $1`, [bad]);
    clock.set('2025-12-01T14:00:01Z'); // 09:00 EST
    await fire();
    expect(await activations(good)).toHaveLength(1);
    expect(await activations(bad)).toEqual([]);
    expect((await runs(bad, other.account.id)).map((r) => [r.status, r.error?.startsWith('cannot compute the schedule')])).toEqual([['failed', true]]);
    expect((await schedule(bad)).next_run_at).toBeNull();
  });

  it('records a failed run (not a loop) when the workflow cannot be activated without placeholder values', async () => {
    clock.set('2025-10-01T12:00:00Z');
    const id = await wf.create(accountId, weekdays9, 'Hello [[name]]');
    clock.set('2025-10-01T13:00:01Z');
    await fire();
    expect(await runs(id)).toEqual([{ at: '2025-10-01T13:00:00.000Z', status: 'failed', activation: false, error: 'missing placeholder values: name' }]);
    expect((await schedule(id)).next_run_at.toISOString()).toBe('2025-10-02T13:00:00.000Z');
  });
});
