import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { systemClock } from '../../src/clock.js';
import { createScheduleFirer, type FireResult } from '../../src/schedule/schedule-firer.js';
import { startScheduleLoop } from '../../src/schedule/schedule-loop.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { seedDueSchedules } from './schedule-helpers.js';
import { schedulesRepo } from '../../src/schedule/schedules-repo.js';
import { activationBatchRepo } from '../../src/engine/activation-batch-repo.js';

const here = path.dirname(fileURLToPath(import.meta.url));

type Child = { proc: ChildProcess; lines: string[]; next(): Promise<string> };
const startChild = (databaseUrl: string): Child => {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'schedule-race-child.ts'), databaseUrl, '50'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let waiting: ((l: string) => void) | null = null;
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (waiting) {
        const w = waiting;
        waiting = null;
        w(line);
      } else lines.push(line);
    }
  });
  return {
    proc,
    lines,
    next: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((r) => (waiting = r))),
  };
};

describe('schedules across processes', () => {
  let t: TestRuntime & { databaseUrl: string };
  let db: Db;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: false, worker: false });
    db = t.rt.infra.db;
  });
  afterAll(async () => t?.close());

  it('two worker processes racing for 1,000 due schedules fire each exactly once', async () => {
    const { account } = await createTestAccount(t);
    const due = new Date(Date.now() - 60_000);
    await seedDueSchedules(db, account.id, 1000, due);

    const children = [startChild(t.databaseUrl), startChild(t.databaseUrl)];
    try {
      expect(await Promise.all(children.map((c) => c.next()))).toEqual(['ready', 'ready']);
      for (const c of children) c.proc.stdin!.write('go\n');
      const results = (await Promise.all(children.map((c) => c.next()))).map((l) => JSON.parse(l) as { fired: number });

      const acts = await db.query(
        `SELECT count(*)::int AS n, count(DISTINCT workflow_id)::int AS workflows, count(DISTINCT idempotency_key)::int AS keys
           FROM activations WHERE account_id = $1 AND source = 'schedule'`,
        [account.id],
      );
      expect(acts.rows[0]).toEqual({ n: 1000, workflows: 1000, keys: 1000 });
      // A fired occurrence is recorded by its activation alone: nothing missed, skipped or failed.
      const runs = await db.query(`SELECT count(*)::int AS n FROM schedule_runs WHERE account_id = $1`, [account.id]);
      expect(runs.rows[0].n).toBe(0);
      const outbox = await db.query(`SELECT count(*)::int AS n FROM outbox o JOIN activations a ON a.id::text = o.ref_id WHERE a.account_id = $1`, [account.id]);
      expect(outbox.rows[0].n).toBe(1000);
      // Both processes really took part, and between them created exactly 1,000.
      expect(results[0]!.fired + results[1]!.fired).toBe(1000);
      expect(results[0]!.fired).toBeGreaterThan(0);
      expect(results[1]!.fired).toBeGreaterThan(0);
      const late = await db.query(`SELECT count(*)::int AS n FROM workflow_schedules WHERE account_id = $1 AND next_run_at <= now()`, [account.id]);
      expect(late.rows[0].n).toBe(0);
    } finally {
      for (const c of children) c.proc.kill('SIGKILL');
    }
  }, 60_000);

  it('the worker loop wakes at the occurrence by itself and fires it within a second', async () => {
    const { account } = await createTestAccount(t);
    const dueAt = new Date(Date.now() + 700);
    await seedDueSchedules(db, account.id, 3, dueAt);
    const passes: FireResult[] = [];
    const loop = startScheduleLoop({
      db,
      schedules: schedulesRepo,
      clock: systemClock,
      firer: createScheduleFirer({ db, schedules: schedulesRepo, activations: activationBatchRepo, clock: systemClock, graceMinutes: 15 }),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
      onPass: (r) => passes.push(r),
    });
    try {
      await expect.poll(async () => (await db.query(`SELECT count(*)::int AS n FROM activations WHERE account_id = $1`, [account.id])).rows[0].n, { timeout: 5000, interval: 50 }).toBe(3);
    } finally {
      await loop.close();
    }
    const mine = passes.flatMap((p) => p.fired.filter((f) => f.occurrence.getTime() === dueAt.getTime()).map(() => p.committedAt.getTime() - dueAt.getTime()));
    expect(mine).toHaveLength(3);
    expect(Math.max(...mine)).toBeLessThan(1000);
    expect(Math.min(...mine)).toBeGreaterThanOrEqual(0);
  });
});
