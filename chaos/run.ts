/**
 * `npm run chaos [-- a b c d]`: fault injection against 2 web + 2 worker processes of the real
 * CLI, on a PostgreSQL and a Redis of its own (./.data/chaos, ports 54339 / 63809, loopback only)
 * and the carrier emulator. Each scenario starts from an empty database, prints
 * lost / duplicated / errors, and writes chaos/results/<scenario>.json (gitignored: a run never
 * changes committed files; docs/RELIABILITY.md holds the recorded results); the run exits non-zero
 * if any count is above zero. Options (env): CHAOS_RECIPIENTS (10000), CHAOS_BUDGET_S (300 per
 * scenario).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, startCarrier, startCluster } from './cluster.js';
import type { ScenarioResult } from './fixtures.js';
import type { ScenarioContext } from './scenarios/context.js';
import { duplicateWebhooks } from './scenarios/duplicate-webhooks.js';
import { killWorker } from './scenarios/kill-worker.js';
import { postgresDown } from './scenarios/postgres-down.js';
import { redisRestart } from './scenarios/redis-restart.js';
import { resetDatabase, startChaosStack } from './stack.js';

type Scenario = (ctx: ScenarioContext, o: { root: string; databaseUrl: string; redisUrl: string; twilioApiUrl: string }) => Promise<ScenarioResult>;
const SCENARIOS: Record<string, [string, Scenario]> = {
  a: ['kill -9 of a worker mid fan-out', killWorker],
  b: ['Redis restarted without persistence mid fan-out', redisRestart],
  c: ['PostgreSQL stopped during inbound calls', postgresDown],
  d: ['every webhook twice and out of order', duplicateWebhooks],
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wanted = process.argv.slice(2).filter((a) => a in SCENARIOS);
const selected = wanted.length ? wanted : Object.keys(SCENARIOS);
const recipients = Number(process.env.CHAOS_RECIPIENTS ?? 10_000);
const budgetMs = Number(process.env.CHAOS_BUDGET_S ?? 300) * 1000;

const main = async () => {
  const stack = startChaosStack(root);
  const results: ScenarioResult[] = [];
  mkdirSync(path.join(root, 'chaos', 'results'), { recursive: true });
  try {
    for (const id of selected) {
      const [title, run] = SCENARIOS[id]!;
      const log = (msg: string) => process.stdout.write(`[chaos ${id}] ${msg}\n`);
      log(`${title}: starting (empty database, 2 web + 2 worker processes)`);
      stack.startPostgres();
      stack.startRedis();
      resetDatabase();
      const carrier = await startCarrier(root);
      const o = { root, databaseUrl: stack.databaseUrl, redisUrl: stack.redisUrl, twilioApiUrl: carrier.api };
      cli(o, ['migrate']);
      const cluster = await startCluster({ ...o, webs: 2, workers: 2 });
      let result: ScenarioResult;
      try {
        result = await run({ root, stack, cluster, carrier, recipients, deadline: Date.now() + budgetMs, log }, o);
      } catch (err) {
        result = { scenario: id, title, command: `npm run chaos -- ${id}`, lost: 0, duplicated: 0, errors: 1, seconds: 0, details: {}, notes: [String(err instanceof Error ? err.stack : err)] };
      } finally {
        await cluster.stop();
        carrier.stop();
      }
      results.push(result);
      const at = { ...result, at: new Date().toISOString(), machine: { cpus: os.cpus().length, memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version } };
      writeFileSync(path.join(root, 'chaos', 'results', `${id}.json`), `${JSON.stringify(at, null, 2)}\n`);
      log(`lost=${result.lost} duplicated=${result.duplicated} errors=${result.errors} (${result.seconds} s)${result.notes.length ? `\n  ${result.notes.join('\n  ')}` : ''}`);
    }
  } finally {
    stack.stop();
  }
  process.stdout.write('\nscenario  lost  duplicated  errors  seconds  title\n');
  for (const r of results) process.stdout.write(`${r.scenario.padEnd(8)}  ${String(r.lost).padStart(4)}  ${String(r.duplicated).padStart(10)}  ${String(r.errors).padStart(6)}  ${String(r.seconds).padStart(7)}  ${r.title}\n`);
  return results.every((r) => r.lost === 0 && r.duplicated === 0 && r.errors === 0);
};

main().then((ok) => process.exit(ok ? 0 : 1), (err: unknown) => {
  process.stderr.write(`chaos failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
