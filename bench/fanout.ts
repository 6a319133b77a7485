/**
 * `npm run bench:fanout`: one activation to 10,000 contacts by SMS, through the planner, the
 * delivery workers and the `twilio` adapter (official SDK) against the local carrier emulator
 * (own process, dev/carrier/standalone.ts), run by a `switchboard work` child process from the
 * compiled build (dist/, built first if stale) as in production. Reports end-to-end time (activate() -> the activation is dispatched, every text
 * accepted by the carrier), sends/s, the worker process's peak RSS (VmHWM), and raw BullMQ no-op
 * throughput (one job per item, same Redis, concurrency 50) and the adapter alone (the same
 * texts straight through the twilio provider to the emulator, no engine: the median of three
 * rounds after a warm-up), all in the same run. PostgreSQL's own counters over the fan-out (WAL,
 * row versions and HOT updates per table, index blocks per index, and statements when
 * pg_stat_statements is preloaded) per 1,000 texts: bench/pg-costs.ts.
 *
 * Targets: sends/s >= 0.8x the adapter alone and >= 0.25x raw BullMQ (both measured in the same
 * run), <= 3 s end to end, < 300 MB RSS, every recipient exactly once at the carrier.
 * Writes bench/results/fanout.json. Options (env): BENCH_CONTACTS (10000), BENCH_WORKERS (worker
 * processes, 1), BENCH_PROFILE_DIR (V8 CPU profiles of the worker and carrier processes).
 */
import { Queue, Worker } from 'bullmq';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTwilioProvider } from '../adapters/telephony/twilio-provider.js';
import { compiledCli, ensureBuild } from './build.js';
import { cpuWindow, matchingCpuMs, processCpuMs } from './proc-cpu.js';
import { pgCosts } from './pg-costs.js';
import { report, runBench } from './report.js';
import { addTwilioLine } from '../test/helpers/carrier-fixtures.js';
import { addCrowd, addWorkflow } from '../test/helpers/engine-fixtures.js';
import setupTemplate from '../test/helpers/global-setup.js';
import { startTestRuntime } from '../test/helpers/runtime.js';

const N = Number(process.env.BENCH_CONTACTS ?? 10_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
/** The raw BullMQ baseline's concurrency: fixed (its own best range), whatever the engine is tuned to. */
const RAW_CONCURRENCY = 50;
const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC_URL = 'http://switchboard.bench';
/** BENCH_PROFILE_DIR: write V8 CPU profiles of the worker and carrier processes there. */
const profile = () => (process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []);
/** BENCH_WORKER_NODE_ARGS: extra node flags for the worker processes (space-separated, e.g. an `--import` probe). */
const workerNodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** The emulator in a child process; resolves with its REST and control URLs. */
const startCarrier = async (accountSid: string, authToken: string) => {
  const child = spawn(process.execPath, [...profile(), '--import', 'tsx', path.join(here, '..', 'dev', 'carrier', 'standalone.ts'), accountSid, authToken, PUBLIC_URL], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`carrier exited (${code})`)));
  });
  const urls = JSON.parse(line) as { api: string; control: string };
  return {
    ...urls,
    count: async (prefix: string) => (await (await fetch(`${urls.control}/count?prefix=${encodeURIComponent(prefix)}`)).json()) as { messages: number; recipients: number; maxPerRecipient: number },
    pid: child.pid!,
    stop: () => child.kill('SIGTERM'),
  };
};

/** Raw BullMQ: N no-op jobs added with addBulk, processed at `concurrency`. */
const rawBullmq = async (redisUrl: string, prefix: string, concurrency: number): Promise<{ jobsPerSec: number; ms: number }> => {
  const { Redis } = await import('ioredis');
  const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('bench-noop', { connection: conn, prefix });
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const worker = new Worker('bench-noop', async () => undefined, { connection: conn.duplicate({ maxRetriesPerRequest: null }), prefix, concurrency });
  worker.on('completed', () => {
    if (++done === N) finish();
  });
  await worker.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { jobId: `noop-${i + k}`, removeOnComplete: true } })));
  }
  await all;
  const ms = performance.now() - t0;
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await conn.quit();
  return { jobsPerSec: Math.round((N / ms) * 1000), ms: Math.round(ms) };
};

/** `switchboard work` from the compiled build in its own process (as in production); resolves once its workers run. */
const startWorker = async (env: Record<string, string>) => {
  const child = spawn(process.execPath, [...profile(), ...workerNodeArgs, compiledCli, 'work'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, LOG_LEVEL: 'info' },
  });
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      if (l.includes('switchboard workers running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
  return {
    /** Peak resident set size of the worker process so far (Linux VmHWM), in MB. */
    peakRssMb: () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024),
    pid: child.pid!,
    stop: () => child.kill('SIGTERM'),
  };
};

/**
 * The adapter's own floor: the same number of texts straight through the twilio provider (SDK)
 * to the same emulator, as many in flight as the engine allows (DELIVERY_MAX_IN_FLIGHT), no engine.
 */
const adapterOnly = async (apiUrl: string, creds: { accountSid: string; authToken: string }, inFlight: number, n: number): Promise<number> => {
  const provider = createTwilioProvider({ apiUrl });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) {
      const i = next++;
      await provider.sendSms(creds, { from: '+15550000001', to: `+1416${String(2_000_000 + i).padStart(7, '0')}`, body: 'Severe weather at Depot 4: shelter in place.', statusCallbackUrl: `${PUBLIC_URL}/webhooks/twilio/status?delivery=x` });
    }
  }));
  return Math.round((n / (performance.now() - t0)) * 1000);
};

/**
 * The adapter's floor as the median of ADAPTER_ROUNDS rounds of N texts, after a warm-up (one
 * round of 1.5 s swung from 4,000 to 6,500 texts/s between runs on the same quiet machine).
 */
const ADAPTER_ROUNDS = 3;
const adapterFloor = async (apiUrl: string, creds: { accountSid: string; authToken: string }, inFlight: number) => {
  await adapterOnly(apiUrl, creds, inFlight, Math.min(N, 1000));
  const rounds: number[] = [];
  for (let i = 0; i < ADAPTER_ROUNDS; i++) rounds.push(await adapterOnly(apiUrl, creds, inFlight, N));
  return { median: [...rounds].sort((a, b) => a - b)[Math.floor(ADAPTER_ROUNDS / 2)]!, rounds };
};

const main = async () => {
  ensureBuild();
  await setupTemplate();
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  const carrier = await startCarrier(creds.accountSid, creds.authToken);
  const t = await startTestRuntime({ LOG_LEVEL: 'silent', PUBLIC_URL, TWILIO_API_URL: carrier.api }, { web: false, worker: false });
  const c = t.config;
  const workerEnv = {
    NODE_ENV: 'production', DATABASE_URL: t.databaseUrl, DATABASE_POOL_SIZE: '20', REDIS_URL: c.REDIS_URL, REDIS_PREFIX: c.REDIS_PREFIX,
    SECRET_KEY: c.SECRET_KEY, PUBLIC_URL, TWILIO_API_URL: carrier.api,
    WORKER_CONCURRENCY: String(c.WORKER_CONCURRENCY), DELIVERY_BATCH_SIZE: String(c.DELIVERY_BATCH_SIZE), DELIVERY_MAX_IN_FLIGHT: String(c.DELIVERY_MAX_IN_FLIGHT),
  };
  const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(workerEnv)));
  const worker = { peakRssMb: () => Math.max(...workers.map((w) => w.peakRssMb())), stop: () => workers.forEach((w) => w.stop()) };
  const dbName = new URL(t.databaseUrl).pathname.slice(1);
  try {
    const { account } = await t.rt.services.accounts.createAccount({ name: 'bench' });
    const line = await addTwilioLine(t, account.id, creds);
    const group = await addCrowd(t, account.id, N, (i) => `+1415${String(2_000_000 + i).padStart(7, '0')}`);
    const wf = await addWorkflow(t, account.id, {
      name: 'Fan-out', codeLineId: line.id,
      actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Severe weather at [[site]]: shelter in place.', channels: ['sms'] }],
    });

    const raw = await rawBullmq(c.REDIS_URL, `${c.REDIS_PREFIX.slice(0, -1)}-raw}`, RAW_CONCURRENCY);
    const adapterCpu = cpuWindow({ client: () => processCpuMs(process.pid), carrier: () => processCpuMs(carrier.pid) });
    const adapter = await adapterFloor(carrier.api, creds, c.DELIVERY_MAX_IN_FLIGHT);
    const adapterPerSec = adapter.median;
    // Per round of N texts (the warm-up round's share is small and left in).
    const adapterCpuMs = Object.fromEntries(Object.entries(adapterCpu.end()).map(([k, v]) => [k, Math.round(v / ADAPTER_ROUNDS)]));
    const idleRssMb = worker.peakRssMb();

    const db = t.rt.infra.db;
    const cpu = cpuWindow({
      worker: () => workers.reduce((n, w) => n + processCpuMs(w.pid), 0),
      carrier: () => processCpuMs(carrier.pid),
      postgres: matchingCpuMs(` ${dbName} `),
      redis: matchingCpuMs('redis-server'),
      bench: () => processCpuMs(process.pid),
    });
    const pgWindow = await pgCosts(db);
    const t0 = performance.now();
    const { activation } = await t.rt.services.activations.activate({
      accountId: account.id, workflowId: wf, source: 'api', idempotencyKey: `bench:${Date.now()}`, placeholders: { site: 'Depot 4' },
    });
    for (;;) {
      const s = await db.query('SELECT status FROM activations WHERE id = $1', [activation.id]);
      // `dispatched`: every text handed to the carrier (its delivered callbacks are held back here).
      if (s.rows[0].status === 'failed') throw new Error('the fan-out activation failed');
      if (['dispatched', 'completed'].includes(s.rows[0].status)) break;
      if (performance.now() - t0 > 300_000) throw new Error('fan-out did not complete in 300 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const e2eMs = performance.now() - t0;
    const cpuMs = cpu.end();
    const timing = await db.query(
      `SELECT EXTRACT(EPOCH FROM planned_at - created_at) * 1000 AS plan_ms FROM activations WHERE id = $1`, [activation.id],
    );
    const at = await carrier.count('+1415');
    // Each text: its delivery row written, claimed and given its outcome (two updates).
    const postgres = await pgWindow.end(at.messages, 1000, { table: 'deliveries', ins: N, upd: 2 * N });
    // From what the carrier counted, not the target N: texts that never arrived do not count.
    const sendsPerSec = Math.round((at.messages / e2eMs) * 1000);
    const rssMb = worker.peakRssMb();
    // What the machine allowed: the CPU this run counted, spread over every core with no idle
    // moment, against the adapter's own time. Above this no scheduling of the same work can go;
    // only doing less work per text can (the adapter's own CPU is in both).
    const cores = os.cpus().length;
    const engineCpuMs = Object.values(cpuMs).reduce((a, b) => a + b, 0);
    const adapterMs = (N / adapterPerSec) * 1000;
    const cpuCeiling = {
      engineCpuMs, adapterCpuMs: adapterCpuMs.client! + adapterCpuMs.carrier!, cores,
      coresBusyDuringFanout: Number((engineCpuMs / e2eMs).toFixed(2)),
      coresBusyAdapterOnly: Number(((adapterCpuMs.client! + adapterCpuMs.carrier!) / adapterMs).toFixed(2)),
      bestRatioWithEveryCoreBusy: Number((adapterMs / (engineCpuMs / cores)).toFixed(2)),
    };
    const result = {
      benchmark: 'fanout',
      command: 'npm run bench:fanout',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version, loadAverage1m: Number(os.loadavg()[0]!.toFixed(1)) },
      config: { contacts: N, workerProcesses: WORKERS, workerConcurrency: c.WORKER_CONCURRENCY, deliveryBatchSize: c.DELIVERY_BATCH_SIZE, maxInFlight: c.DELIVERY_MAX_IN_FLIGHT, dbPool: 20 },
      endToEndMs: Math.round(e2eMs),
      planningMs: Math.round(Number(timing.rows[0].plan_ms)),
      sendsPerSec,
      rawBullmqNoopJobsPerSec: raw.jobsPerSec,
      rawBullmqConcurrency: RAW_CONCURRENCY,
      ratioToRawBullmq: Number((sendsPerSec / raw.jobsPerSec).toFixed(2)),
      adapterOnlySendsPerSec: adapterPerSec,
      adapterOnlyRounds: adapter.rounds,
      ratioToAdapterOnly: Number((sendsPerSec / adapterPerSec).toFixed(2)),
      adapterOnlyCpuMs: adapterCpuMs,
      workerPeakRssMb: rssMb,
      workerIdleRssMb: idleRssMb,
      cpuMsDuringFanout: cpuMs,
      cpuCeiling,
      /** PostgreSQL's own counters over the fan-out, per 1,000 texts (statements only when pg_stat_statements is preloaded). */
      postgresPer1000Texts: postgres,
      carrier: at,
      targets: { ratioToAdapterOnly: '>= 0.8', ratioToRawBullmq: '>= 0.25', endToEndMs: '<= 3000', workerPeakRssMb: '< 300' },
      pass: { ratioToAdapterOnly: sendsPerSec / adapterPerSec >= 0.8, ratio: sendsPerSec / raw.jobsPerSec >= 0.25, endToEnd: e2eMs <= 3000, rss: rssMb < 300, exactlyOnce: at.recipients === N && at.maxPerRecipient === 1 },
    };
    report('fanout', result);
  } finally {
    worker.stop();
    await t.close();
    carrier.stop();
  }
};

runBench('fanout', main);
