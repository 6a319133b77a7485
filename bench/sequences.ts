/**
 * `npm run bench:sequences`: 100,000 contacts enrolled in one sequence and advanced through a
 * delay by the production runner (claim with FOR UPDATE SKIP LOCKED in batches, step machine,
 * bulk write-back), with a manual clock moved one day forward. Records:
 * - throughput of the pass that advances every enrollment through its delay, against a baseline
 *   measured in the same run on the same rows (a bare claim + UPDATE loop: PostgreSQL's floor);
 * - Redis memory (INFO memory `used_memory`) before enrolling, while 100,000 contacts wait, and
 *   after the pass — against the BullMQ alternative measured in the same run (BENCH_BULL_JOBS
 *   delayed jobs, one per waiting contact, extrapolated to N);
 * - PostgreSQL size of the sequence tables and of the database.
 * Targets (issue 8's scale rule: waiting contacts cost PostgreSQL rows, not Redis memory) and
 * checks of what was counted, each printed under `pass`; any one missed exits non-zero:
 * - `redisFlat`: Redis `used_memory` grows by less than a quarter of what the measured BullMQ
 *   alternative would take for N waiting contacts (the Redis is shared with other runs: a margin,
 *   not zero);
 * - `allEnrolled`, `allEnteredDelay`, `allAdvancedOnce`: N enrollments stored, N entered the first
 *   delay, N advanced through it, and afterwards every one of them is active and waiting on the
 *   second delay, each with the same number of history rows (no enrollment skipped or run twice);
 * - `baselineCoveredAll`: the baseline claimed the same N rows (its rate is over the same work).
 * Writes bench/results/sequences.json.
 *
 * Options (env): BENCH_CONTACTS (100000), BENCH_BATCH (rows per claim; 500), BENCH_WORKERS
 * (concurrent runners; 2), BENCH_BULL_JOBS (20000).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { createSecretBox } from '../src/crypto.js';
import { createPool, withTransaction } from '../src/db/db.js';
import { createLogger } from '../src/logger.js';
import { createRedis } from '../src/redis.js';
import { createManualClock } from '../src/clock.js';
import { createSequences } from '../src/sequences/sequences-module.js';
import { sequenceInputSchema } from '../src/sequences/sequence-types.js';
import setupTemplate from '../test/helpers/global-setup.js';
import { createTestDatabase } from '../test/helpers/test-db.js';

const N = Number(process.env.BENCH_CONTACTS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const BULL_JOBS = Number(process.env.BENCH_BULL_JOBS ?? 20_000);
const DAY = 86_400_000;
const here = path.dirname(fileURLToPath(import.meta.url));

const usedMemory = async (redis: ReturnType<typeof createRedis>): Promise<number> => {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
};
const mb = (b: number) => Math.round((b / 1024 / 1024) * 100) / 100;
const secs = (ms: number) => Math.round(ms) / 1000;

await setupTemplate();
const database = await createTestDatabase();
const db = createPool(database.url, 12);
const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `{bench-seq-${randomBytes(3).toString('hex')}}`;
const clock = createManualClock(new Date('2026-01-05T15:00:00Z'));
const logger = createLogger('silent');
const sequences = createSequences({ db, secrets: createSecretBox('bench-secret-key-0123456789abcdefghijkl'), logger, clock, batchSize: BATCH });

const sizes = async () => {
  const r = await db.query(`SELECT pg_total_relation_size('sequence_enrollments') AS enrollments, pg_total_relation_size('sequence_history') AS history,
                                   pg_database_size(current_database()) AS database`);
  return { enrollmentsMB: mb(r.rows[0].enrollments), historyMB: mb(r.rows[0].history), databaseMB: mb(r.rows[0].database) };
};

const drainAll = async () => {
  const started = performance.now();
  const counts = await Promise.all(Array.from({ length: WORKERS }, () => sequences.runner.drain()));
  return { ms: performance.now() - started, processed: counts.reduce((a, b) => a + b, 0) };
};

try {
  const account = (await db.query(`INSERT INTO accounts (name) VALUES ('bench') RETURNING id`)).rows[0].id as string;
  await db.query(
    `INSERT INTO contacts (account_id, name, phone) SELECT $1, 'Contact ' || g, '+1555' || lpad(g::text, 7, '0') FROM generate_series(1, $2) g`,
    [account, N],
  );
  const contactIds = (await db.query('SELECT id FROM contacts WHERE account_id = $1 ORDER BY id', [account])).rows.map((r) => r.id as string);
  const seq = await sequences.sequences.create(account, sequenceInputSchema.parse({
    name: 'Bench drip',
    steps: [{ id: 'wait-1', type: 'delay', delay: { amount: 1, unit: 'days' } }, { id: 'wait-2', type: 'delay', delay: { amount: 7, unit: 'days' } }],
    exits: [{ type: 'field', field: 'status', op: 'eq', value: 'customer' }],
  }));
  await db.query('VACUUM ANALYZE');
  const pgBefore = await sizes();
  const redisBefore = await usedMemory(redis);

  // Enroll everyone (API-sized chunks).
  let t = performance.now();
  for (let i = 0; i < contactIds.length; i += 5000) {
    await sequences.enrollments.enroll(account, seq.id, { contactIds: contactIds.slice(i, i + 5000) });
  }
  const enrollMs = performance.now() - t;

  // First pass: every enrollment enters its 1-day delay.
  const enter = await drainAll();
  const pgWaiting = await sizes();
  const enrolled = Number((await db.query('SELECT count(*) AS n FROM sequence_enrollments WHERE sequence_id = $1', [seq.id])).rows[0].n);
  const redisWaiting = await usedMemory(redis);

  // One day later: every enrollment is due; the pass advances it through the delay to the next one.
  clock.advance(DAY);
  const advance = await drainAll();
  const check = await db.query(`SELECT status, step_id, waiting, count(*)::int AS n FROM sequence_enrollments GROUP BY status, step_id, waiting`);
  // History rows per enrollment: every enrollment has some, and all the same number (none ran twice or was skipped).
  const history = (await db.query(
    `SELECT count(*)::int AS enrollments, min(n)::int AS min, max(n)::int AS max
       FROM (SELECT enrollment_id, count(*) AS n FROM sequence_history GROUP BY enrollment_id) h`,
  )).rows[0] as { enrollments: number; min: number; max: number };
  const redisAfter = await usedMemory(redis);
  const pgAfter = await sizes();

  // Baseline on the same rows: claim due rows with SKIP LOCKED and push them a day, nothing else.
  clock.advance(7 * DAY);
  const now = clock.now();
  t = performance.now();
  const baselineWorker = async () => {
    let n = 0;
    for (;;) {
      const k = await withTransaction(db, async (tx) => {
        const ids = (await tx.query(
          `SELECT id FROM sequence_enrollments WHERE status = 'active' AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, BATCH],
        )).rows.map((r) => r.id);
        if (ids.length) await tx.query(`UPDATE sequence_enrollments SET next_run_at = next_run_at + interval '30 days', updated_at = $2 WHERE id = ANY($1::uuid[])`, [ids, now]);
        return ids.length;
      });
      n += k;
      if (k === 0) return n;
    }
  };
  const baselineCount = (await Promise.all(Array.from({ length: WORKERS }, baselineWorker))).reduce((a, b) => a + b, 0);
  const baselineMs = performance.now() - t;

  // The alternative: one delayed BullMQ job per waiting contact.
  const queue = new Queue('bench-delays', { connection: redis, prefix });
  const bullBefore = await usedMemory(redis);
  for (let i = 0; i < BULL_JOBS; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, BULL_JOBS - i) }, (_, j) => ({
      name: 'advance', data: { enrollmentId: contactIds[(i + j) % contactIds.length] }, opts: { delay: DAY, jobId: `e-${i + j}` },
    })));
  }
  const bullAfter = await usedMemory(redis);
  await queue.obliterate({ force: true });
  await queue.close();
  const bullPerJob = (bullAfter - bullBefore) / BULL_JOBS;

  const result = {
    benchmark: 'sequences',
    command: 'npm run bench:sequences',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(os.totalmem() / 1e9), node: process.version, loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)) },
    settings: { contacts: N, batch: BATCH, workers: WORKERS },
    enroll: { enrolled, seconds: secs(enrollMs), perSecond: Math.round(enrolled / (enrollMs / 1000)) },
    enterDelay: { processed: enter.processed, seconds: secs(enter.ms), perSecond: Math.round(enter.processed / (enter.ms / 1000)) },
    advanceThroughDelay: { processed: advance.processed, seconds: secs(advance.ms), perSecond: Math.round(advance.processed / (advance.ms / 1000)) },
    baselineClaimAndUpdate: { processed: baselineCount, seconds: secs(baselineMs), perSecond: Math.round(baselineCount / (baselineMs / 1000)) },
    ratioToBaseline: Math.round((advance.processed / advance.ms) / (baselineCount / baselineMs) * 100) / 100,
    stateAfter: check.rows,
    historyRowsPerEnrollment: history,
    redis: {
      usedMemoryBeforeMB: mb(redisBefore), usedMemoryWhileWaitingMB: mb(redisWaiting), usedMemoryAfterMB: mb(redisAfter),
      deltaForWaitingContactsMB: mb(redisWaiting - redisBefore),
      bullmqAlternative: { jobs: BULL_JOBS, bytesPerDelayedJob: Math.round(bullPerJob), extrapolatedForContactsMB: mb(bullPerJob * N) },
    },
    postgres: { before: pgBefore, whileWaiting: pgWaiting, after: pgAfter, bytesPerWaitingEnrollment: Math.round(((pgWaiting.enrollmentsMB - pgBefore.enrollmentsMB) * 1024 * 1024) / N) },
  };
  const waitingOnSecond = check.rows.find((r) => r.status === 'active' && r.step_id === 'wait-2' && r.waiting === 'delay')?.n ?? 0;
  const pass = {
    redisFlat: redisWaiting - redisBefore < (bullPerJob * N) / 4,
    allEnrolled: enrolled === N,
    allEnteredDelay: enter.processed === N,
    allAdvancedOnce: advance.processed === N && check.rows.length === 1 && waitingOnSecond === N
      && history.enrollments === N && history.min === history.max,
    baselineCoveredAll: baselineCount === N,
  };
  const output = {
    ...result,
    targets: { redisFlat: 'used_memory growth while N wait < 0.25x the BullMQ alternative for N' },
    pass,
  };
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'sequences.json'), `${JSON.stringify(output, null, 2)}\n`);
  console.log(JSON.stringify(output, null, 2));
  const missed = Object.entries(pass).filter(([, ok]) => !ok).map(([k]) => k);
  if (missed.length > 0) {
    process.stderr.write(`bench:sequences: missed ${missed.join(', ')}\n`);
    process.exitCode = 1;
  }
} finally {
  await db.end();
  await redis.quit();
  await database.drop();
}
