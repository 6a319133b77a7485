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
 * Checks that every UPDATE changed its row (the figures are of work done). Writes
 * bench/results/machine.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import setupTemplate from '../test/helpers/global-setup.js';
import { createTestDatabase } from '../test/helpers/test-db.js';
import { processCpuMs } from './proc-cpu.js';

const ROUNDS = 3_000;
const ROWS = 1_000;
const here = path.dirname(fileURLToPath(import.meta.url));

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
    const result = {
      benchmark: 'machine',
      command: 'npm run bench:machine',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version, loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)) },
      jsLoopMs: Math.round(loops[1]!),
      postgres: { select1, updateWithCommit: update, statements: ROUNDS },
      pass: { everyUpdateChangedItsRow: changed === ROUNDS + 1 && total === ROUNDS + 1 },
    };
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results', 'machine.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!result.pass.everyUpdateChangedItsRow) throw new Error(`missed: everyUpdateChangedItsRow (${changed}, ${total})`);
  } finally {
    await client.end();
    await database.drop().catch(() => undefined);
  }
};

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:machine failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
