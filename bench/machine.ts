/**
 * `npm run bench:machine`: how fast this machine is today, in the units the other benchmarks
 * depend on, so their figures can be read against it (a VM here has run 2x slower for hours
 * with nothing else running). No target: a probe. Measured on a throwaway database of the local
 * PostgreSQL:
 * - `jsLoopMs`: a fixed JavaScript loop (3e8 iterations), median of 3;
 * - a PostgreSQL round trip: `SELECT 1`, and a one-row UPDATE with its commit (synchronous, as
 *   the engine's claims and outcomes are), each 3,000 times on one connection: the backend's
 *   own CPU per statement (Linux /proc, what the statement costs PostgreSQL) and the wall time
 *   per statement seen by this client.
 * - `leastExactlyOnceCpuMsPer10000Texts`: the least PostgreSQL work any engine that sends each text
 *   exactly once must do per 10,000 texts, on a bare table (primary key only, no history or event
 *   rows, no other index): each row written (1,000 per statement), claimed before its send and
 *   given its carrier id after it (100 per statement, as the delivery worker batches them). The
 *   backend's CPU for all of it: what `bench:fanout`'s PostgreSQL figure can at best come down to.
 * Checks that every UPDATE changed its row and every probe row ended claimed and finished (the
 * figures are of work done). Writes bench/results/machine.json.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import setupTemplate from '../test/helpers/global-setup.js';
import { createTestDatabase } from '../test/helpers/test-db.js';
import { report, runBench } from './report.js';
import { processCpuMs } from './proc-cpu.js';

const ROUNDS = 3_000;
const ROWS = 1_000;
const TEXTS = 10_000;

const jsLoopMs = (): number => {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 3e8; i++) x ^= i * 7;
  if (x === 0.5) throw new Error('unreachable'); // keeps the loop from being optimised away
  return performance.now() - t0;
};

const main = async () => {
  if (!process.env.DATABASE_URL) throw new Error('run through `npm run bench:machine` (it starts the local PostgreSQL)');
  const loops = [jsLoopMs(), jsLoopMs(), jsLoopMs()].sort((a, b) => a - b);
  await setupTemplate();
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await client.query('CREATE TABLE probe (id int PRIMARY KEY, n int NOT NULL)');
    await client.query('INSERT INTO probe SELECT g, 0 FROM generate_series(1, $1::int) g', [ROWS]);
    const perStatement = async (run: (i: number) => Promise<unknown>) => {
      await run(0); // connection and plan warm
      const cpu0 = processCpuMs(pid);
      const t0 = performance.now();
      for (let i = 0; i < ROUNDS; i++) await run(i);
      return {
        backendCpuUs: Math.round(((processCpuMs(pid) - cpu0) * 1000) / ROUNDS),
        wallUs: Math.round(((performance.now() - t0) * 1000) / ROUNDS),
      };
    };
    const select1 = await perStatement(() => client.query('SELECT 1'));
    let changed = 0;
    const update = await perStatement(async (i) => {
      changed += (await client.query('UPDATE probe SET n = n + 1 WHERE id = $1', [(i % ROWS) + 1])).rowCount ?? 0;
    });
    const total = Number((await client.query('SELECT sum(n)::int AS n FROM probe')).rows[0].n);

    // The least exactly-once bookkeeping: write, claim, finish each of 10,000 rows.
    await client.query(`CREATE TABLE probe_sends (id uuid PRIMARY KEY, status text NOT NULL, claim_token uuid, provider_id text, body text NOT NULL)`);
    const ids = Array.from({ length: TEXTS }, () => randomUUID());
    const cpu0 = processCpuMs(pid);
    for (let i = 0; i < TEXTS; i += 1000) {
      await client.query(`INSERT INTO probe_sends (id, status, body) SELECT id, 'pending', 'Severe weather: shelter in place.' FROM unnest($1::uuid[]) AS id`, [ids.slice(i, i + 1000)]);
    }
    let claimed = 0;
    let finished = 0;
    for (let i = 0; i < TEXTS; i += 100) {
      const batch = ids.slice(i, i + 100);
      const token = randomUUID();
      claimed += (await client.query(`UPDATE probe_sends SET status = 'sending', claim_token = $2 WHERE id = ANY($1::uuid[]) AND status = 'pending'`, [batch, token])).rowCount ?? 0;
      finished += (await client.query(
        `UPDATE probe_sends p SET status = 'queued', provider_id = v.sid FROM unnest($1::uuid[], $2::text[]) AS v(id, sid) WHERE p.id = v.id AND p.claim_token = $3`,
        [batch, batch.map((id) => `SM${id.replace(/-/g, '')}`), token],
      )).rowCount ?? 0;
    }
    const leastCpuMs = processCpuMs(pid) - cpu0;
    const done = Number((await client.query(`SELECT count(*)::int AS n FROM probe_sends WHERE status = 'queued' AND provider_id IS NOT NULL`)).rows[0].n);
    const result = {
      benchmark: 'machine',
      command: 'npm run bench:machine',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version, loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)) },
      jsLoopMs: Math.round(loops[1]!),
      postgres: { select1, updateWithCommit: update, statements: ROUNDS, leastExactlyOnceCpuMsPer10000Texts: Math.round((leastCpuMs * 10_000) / TEXTS) },
      pass: { everyUpdateChangedItsRow: changed === ROUNDS + 1 && total === ROUNDS + 1, everyTextClaimedAndFinishedOnce: claimed === TEXTS && finished === TEXTS && done === TEXTS },
    };
    report('machine', result);
  } finally {
    await client.end();
    await database.drop().catch(() => undefined);
  }
};

runBench('machine', main);
