/**
 * Schedule firing queues one planner job per batch of activations (`{ activationIds }`, job id
 * written on each outbox row). Each activation of a batch is planned once; one that fails is
 * queued again alone without holding up the others; a batch job Redis lost is re-dispatched by
 * the outbox sweeper activation by activation, while a batch job still waiting is left alone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../../src/engine/outbox-relay.js';
import { engineRepo } from '../../src/engine/engine-repo.js';
import { outboxRepo } from '../../src/engine/outbox-repo.js';
import { createPlanJobProcessor } from '../../src/engine/plan-job.js';
import { withTransaction, type Db } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import type { PlanJob } from '../../src/engine/queues.js';
import { createManualClock } from '../../src/clock.js';
import { createScheduleFirer } from '../../src/schedule/schedule-firer.js';
import { createScheduleHook } from '../../src/schedule/schedule-hook.js';
import type { WorkflowDefinition } from '../../src/workflows/workflow-types.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { schedulesRepo } from '../../src/schedule/schedules-repo.js';
import { activationBatchRepo } from '../../src/engine/activation-batch-repo.js';

const logger = createLogger('silent');
// Far in the future, so the runtime's own firing loop (real clock) never sees these as due.
const clock = createManualClock('2091-01-07T12:00:00Z');
const hook = createScheduleHook({ schedules: schedulesRepo, clock });
const daily9 = { type: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], time: '09:00', timezone: 'UTC' };

/** `n` scheduled workflows whose action (a text to an empty group) plans zero deliveries. */
const createWorkflows = async (db: Db, accountId: string, n: number): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const def = {
      name: `batch-${i}`, description: '', schedule: daily9,
      actions: [{ id: 'n1', type: 'notification', groupIds: [randomUUID()], includeOffDuty: false, message: 'Daily check', channels: ['sms'] }],
    } as unknown as WorkflowDefinition;
    ids.push(await withTransaction(db, async (tx) => {
      const w = await tx.query('INSERT INTO workflows (account_id, name) VALUES ($1, $2) RETURNING id', [accountId, `${def.name}-${randomUUID()}`]);
      const id: string = w.rows[0].id;
      await tx.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3)', [id, accountId, def]);
      await hook(tx, { accountId, workflowId: id, version: 1, definition: def, status: 'active', deleted: false });
      return id;
    }));
  }
  return ids;
};

/** Fires the occurrence at 2091-01-08 09:00 UTC of every schedule; returns activation ids. */
const fireAll = async (firer: ReturnType<typeof createScheduleFirer>): Promise<string[]> => {
  clock.set('2091-01-08T09:00:00.100Z');
  const ids: string[] = [];
  for (;;) {
    const r = await firer.fireDue();
    ids.push(...r.fired.map((f) => f.activationId));
    if (r.claimed === 0) break;
  }
  await firer.settle();
  clock.set('2091-01-07T12:00:00Z');
  return ids;
};

const outboxOf = async (db: Db, activationIds: string[]) =>
  (await db.query(
    `SELECT ref_id, job_id, dispatched_at, completed_at, attempts FROM outbox WHERE topic = 'activation' AND ref_id = ANY($1::text[]) ORDER BY ref_id`,
    [activationIds],
  )).rows;

describe('planner batch jobs with the workers running', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: false, worker: true });
  });
  afterAll(async () => t?.close());

  it('queues one job per batch, named on each outbox row, and plans every activation once', async () => {
    const db = t.rt.infra.db;
    const { account } = await createTestAccount(t);
    await createWorkflows(db, account.id, 5);
    const engine = t.rt.services.engine;
    const firer = createScheduleFirer({ db, schedules: schedulesRepo, activations: activationBatchRepo, clock, graceMinutes: 15, dispatcher: engine.dispatcher, planBatchSize: 2 });
    const ids = await fireAll(firer);
    expect(ids).toHaveLength(5);

    await eventually(async () => {
      const res = await db.query(`SELECT count(*)::int AS n FROM activations WHERE id = ANY($1::uuid[]) AND status = 'completed' AND planned_at IS NOT NULL`, [ids]);
      return res.rows[0].n === 5;
    }, 'all 5 activations planned and completed');

    const outbox = await outboxOf(db, ids);
    expect(outbox).toHaveLength(5);
    const jobIds = [...new Set(outbox.map((o) => o.job_id as string))];
    expect(jobIds).toHaveLength(3); // 2 + 2 + 1
    for (const o of outbox) {
      expect(o.job_id).toMatch(/^plan-[0-9a-f-]{36}$/);
      expect(o.completed_at).not.toBeNull();
    }
    const q = engine.queues.activations;
    const planned: string[] = [];
    for (const jobId of jobIds) {
      // The job finishes just after its last activation is marked completed.
      await eventually(async () => (await q.getJobState(jobId)) === 'completed', `job ${jobId} completed`);
      const job = await q.getJob(jobId);
      expect(job!.returnvalue).toEqual({ planned: job!.data.activationIds!.length, requeued: 0 });
      planned.push(...job!.data.activationIds!);
    }
    expect(planned.sort()).toEqual([...ids].sort());
    // Nothing was queued a second time on its own.
    for (const id of ids) expect(await q.getJob(id)).toBeUndefined();
  });
});

describe('planner batch jobs: failures and Redis loss', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: false, worker: false });
  });
  afterAll(async () => t?.close());

  it('one activation failing does not block, fail or re-plan the others: it alone is queued again', async () => {
    const q = t.rt.services.engine.queues.activations;
    const [a, bad, c] = [randomUUID(), randomUUID(), randomUUID()] as const;
    const calls: string[] = [];
    const run = createPlanJobProcessor({
      queue: q, logger,
      planner: {
        plan: async (id) => {
          calls.push(id);
          if (id === bad) throw new Error('connection reset');
          return { deliveries: 1, recipients: 1 };
        },
      },
    });
    expect(await run({ activationIds: [a, bad, c] })).toEqual({ planned: 2, requeued: 1 });
    expect(calls).toEqual([a, bad, c]);
    const again = await q.getJob(bad);
    expect(again!.data).toEqual({ activationId: bad });
    expect(await again!.getState()).toBe('waiting');
    expect(await q.getJob(a)).toBeUndefined();
    expect(await q.getJob(c)).toBeUndefined();

    // The activation queued alone goes through the single-job path (errors make BullMQ retry it).
    await expect(run({ activationId: bad })).rejects.toThrow('connection reset');
    expect(await run({ activationId: a })).toEqual({ deliveries: 1, recipients: 1 });
  });

  it('sweeper: leaves a waiting batch job alone; re-dispatches each activation alone when Redis lost it', async () => {
    const db = t.rt.infra.db;
    const q = t.rt.services.engine.queues.activations;
    await q.obliterate({ force: true }); // the previous test's job
    const { account } = await createTestAccount(t);
    await createWorkflows(db, account.id, 3);
    const firer = createScheduleFirer({ db, schedules: schedulesRepo, activations: activationBatchRepo, clock, graceMinutes: 15, dispatcher: t.rt.services.engine.dispatcher, planBatchSize: 2 });
    const ids = await fireAll(firer);
    expect(ids).toHaveLength(3);
    const relay = createOutboxRelay({ db, outbox: outboxRepo, engine: engineRepo, queue: q, settings: { redispatchAfterMs: 60_000 }, logger });
    const before = await outboxOf(db, ids);
    expect(before.every((o) => o.job_id && o.dispatched_at === null)).toBe(true);

    // Not planned 2 s after commit: the sweeper finds the batch jobs still waiting in Redis.
    await db.query(`UPDATE outbox SET created_at = now() - interval '10 seconds' WHERE ref_id = ANY($1::text[])`, [ids]);
    expect(await relay.sweep()).toBe(0);
    const seen = await outboxOf(db, ids);
    expect(seen.map((o) => [o.job_id, o.attempts])).toEqual(before.map((o) => [o.job_id, 0]));
    expect(seen.every((o) => o.dispatched_at !== null)).toBe(true);
    expect(await q.count()).toBe(2);

    // Redis loses everything (restart without persistence, failover).
    await q.obliterate({ force: true });
    await db.query(`UPDATE outbox SET dispatched_at = now() - interval '2 minutes' WHERE ref_id = ANY($1::text[])`, [ids]);
    expect(await relay.sweep()).toBe(3);
    for (const id of ids) {
      const job = await q.getJob(id);
      expect(job!.data).toEqual({ activationId: id });
      expect(await job!.getState()).toBe('waiting');
    }
    const after = await outboxOf(db, ids);
    expect(after.map((o) => [o.job_id, o.attempts])).toEqual(ids.map(() => [null, 1]));
    // Queued again now: the next sweep leaves them alone.
    await db.query(`UPDATE outbox SET dispatched_at = now() - interval '2 minutes' WHERE ref_id = ANY($1::text[])`, [ids]);
    expect(await relay.sweep()).toBe(0);
  });

  it('sweeper: a batch job never queued (process died between commit and Redis) is re-dispatched', async () => {
    const db = t.rt.infra.db;
    const q = t.rt.services.engine.queues.activations;
    await q.obliterate({ force: true });
    const { account } = await createTestAccount(t);
    await createWorkflows(db, account.id, 2);
    const handedOff: PlanJob[] = [];
    const firer = createScheduleFirer({
      db, schedules: schedulesRepo, activations: activationBatchRepo, clock, graceMinutes: 15, planBatchSize: 10,
      dispatcher: {
        dispatch: async () => { throw new Error('not used for batches'); },
        dispatchBatches: async (batches) => {
          handedOff.push(...batches.map((b) => ({ activationIds: b.activationIds })));
          throw new Error('ECONNREFUSED 127.0.0.1:6379');
        },
      },
    });
    const ids = await fireAll(firer);
    expect(handedOff.flatMap((j) => j.activationIds!).sort()).toEqual([...ids].sort());
    const relay = createOutboxRelay({ db, outbox: outboxRepo, engine: engineRepo, queue: q, settings: { redispatchAfterMs: 60_000 }, logger });
    expect(await relay.sweep()).toBe(0); // younger than 2 s: the fast path may still be on its way
    await db.query(`UPDATE outbox SET created_at = now() - interval '10 seconds' WHERE ref_id = ANY($1::text[])`, [ids]);
    expect(await relay.sweep()).toBe(2);
    expect((await Promise.all(ids.map((id) => q.getJob(id)))).map((j) => j?.data)).toEqual(ids.map((id) => ({ activationId: id })));
  });
});
