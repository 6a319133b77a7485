/**
 * `npm run bench:webhooks`: signed inbound voice webhooks (`POST /webhooks/twilio/voice`)
 * through the full gateway path — signature check with the line's carrier token, line lookup,
 * the call's `calls` row (written behind the answer, batched), greeting TwiML — against a bare fastify route doing only the
 * same signature check and a fixed TwiML reply, in the same run, on the same machine.
 *
 * Load comes from separate processes: max throughput with autocannon (closed loop:
 * bench/webhooks-load.ts), the offered rate with an open-loop constant-rate generator
 * (bench/webhooks-rate.ts: one request every 1/rate s, latency from each request's scheduled
 * time). Every full-path request is a new call (its own CallSid, never replayed), so each one
 * stores a row; the run checks that the `calls` table holds exactly that many.
 *
 * Targets: full path >= 0.5x the bare route's throughput; p99 < 10 ms at 2,000 req/s. Throughput
 * counts 2xx answers only; a phase with any non-2xx answer, error or timeout does not count as
 * met, and neither does a run where an answered call has no stored row. The count of non-2xx
 * answers of every phase (warm-ups too) is printed; a missed target or check exits non-zero.
 * Writes bench/results/webhooks.json. Options (env): BENCH_DURATION (s, 6), BENCH_CONNECTIONS (16),
 * BENCH_RATE (2000), BENCH_RATE_CONNECTIONS (32), BENCH_BODIES (120000 signed calls),
 * BENCH_PROFILE_DIR (V8 CPU profiles of this process — where both servers run — during the full-path phases and the bare route's max phase).
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import twilio from 'twilio';
import { greeting } from '../ivr/activation-line.js';
import { addTwilioLine, callSid } from '../test/helpers/carrier-fixtures.js';
import setupTemplate from '../test/helpers/global-setup.js';
import { startTestRuntime } from '../test/helpers/runtime.js';
import { processCpuMs } from './proc-cpu.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const RATE_CONNECTIONS = Number(process.env.BENCH_RATE_CONNECTIONS ?? 32);
const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

type Latency = { p50: number; p90: number; p99: number; max: number };
type Load = { reqPerSec: number; total: number; ok2xx: number; used: number; latency: Latency; non2xx: number; errors: number; timeouts: number; loadCpuMs: number; extra?: Record<string, unknown> };
type AutocannonOut = { ok2xx: number; ok2xxPerSec: number; requests: { average: number; total: number }; latency: Latency; non2xx: number; errors: number; timeouts: number; total: number; used: number; cpuMs: number };
type RateOut = { cpuMs: number; ok2xx: number; ok2xxRate: number; achievedRate: number; total: number; latency: Latency & { p999: number }; sendLag: Latency; non2xx: number; errors: number; timeouts: number; scheduled: number; durationSeconds: number };

/**
 * The running CPU total (ms) of processes matching `needle`, sampled by a child process
 * (bench/cpu-sampler.ts) so that its /proc scans do not stall the gateway's event loop here.
 */
const cpuSampler = async (needle: string) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'cpu-sampler.ts'), needle], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  await lines.next(); // ready
  return {
    read: async (): Promise<number> => { child.stdin!.write('\n'); return Number((await lines.next()).value); },
    close: () => child.stdin!.end(),
  };
};

/** CPU (ms) each phase cost: this process (both servers live here) and the PostgreSQL backends of the bench database. */
let cpuProbes: Record<string, () => Promise<number> | number> = {};
let countStatements = () => 0;
const readProbes = async () => Object.fromEntries(await Promise.all(Object.entries(cpuProbes).map(async ([k, f]) => [k, await f()] as const)));
const withCpu = async (l: () => Promise<Load>): Promise<Load & { cpuUsPerRequest: Record<string, number>; requestsPerStatement: number }> => {
  const start = await readProbes();
  const stmts = countStatements();
  const r = await l();
  const end = await readProbes();
  const cpuMs = Object.fromEntries(Object.entries(end).map(([k, v]) => [k, Math.max(0, v - start[k]!)]));
  // CPU per request served (µs): comparable across phases and machines
  return {
    ...r,
    cpuUsPerRequest: Object.fromEntries(Object.entries({ ...cpuMs, loadGenerator: r.loadCpuMs }).map(([k, v]) => [k, Math.round((v * 1000) / Math.max(1, r.total))])),
    requestsPerStatement: Number((r.total / Math.max(1, countStatements() - stmts)).toFixed(1)),
  };
};
const node = (script: string, args: object) => run(process.execPath, ['--import', 'tsx', path.join(here, script), JSON.stringify(args)], { maxBuffer: 16 * 1024 * 1024 }).then((o) => JSON.parse(o.stdout));

/** Closed loop at full speed (autocannon): max throughput. */
const maxLoad = (url: string, bodiesFile: string, opts: { duration: number; connections: number; start: number }) => withCpu(() =>
  node('webhooks-load.ts', { url, bodiesFile, ...opts }).then((l: AutocannonOut): Load => ({
    reqPerSec: l.ok2xxPerSec, total: l.total, ok2xx: l.ok2xx, used: l.used, latency: l.latency, non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts, loadCpuMs: l.cpuMs,
  })),
);

/** Open loop at a constant offered rate (bench/webhooks-rate.ts): latency at that rate. */
const rateLoad = (url: string, bodiesFile: string, opts: { duration: number; connections: number; rate: number; start: number }) => withCpu(() =>
  node('webhooks-rate.ts', { url, bodiesFile, ...opts }).then((l: RateOut): Load => ({
    reqPerSec: l.ok2xxRate, total: l.total, ok2xx: l.ok2xx, used: l.scheduled, latency: l.latency, non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts, loadCpuMs: l.cpuMs,
    extra: { offeredRate: opts.rate, p999Ms: l.latency.p999, sendLagMs: l.sendLag, durationSeconds: l.durationSeconds },
  })),
);

/** BENCH_PROFILE_DIR: a V8 CPU profile of this process (where the gateway runs) around `fn`. */
const profiled = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `webhooks-${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
};

const summary = (l: Load & { cpuUsPerRequest?: Record<string, number>; requestsPerStatement?: number }) => ({
  reqPerSec: l.reqPerSec, total: l.total, ok2xx: l.ok2xx, p50Ms: l.latency.p50, p90Ms: l.latency.p90, p99Ms: l.latency.p99, maxMs: l.latency.max,
  non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts, ...(l.extra ?? {}), cpuUsPerRequest: l.cpuUsPerRequest, requestsPerStatement: l.requestsPerStatement,
});

const main = async () => {
  await setupTemplate();
  const t = await startTestRuntime({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '20' }, { web: true, worker: false });
  const gateway = await t.rt.listen();
  const dbName = new URL(t.databaseUrl).pathname.slice(1);
  // Statements the gateway sends (pool.query, counted here): requests per statement = the group insert's batch size.
  let statements = 0;
  const db = t.rt.infra.db as unknown as { query: (...a: unknown[]) => unknown };
  const query = db.query.bind(db);
  db.query = (...a: unknown[]) => { statements++; return query(...a); };
  const pgCpu = await cpuSampler(` ${dbName} `);
  // Garbage collection pauses of this process (part of `server`): the heap both servers share.
  let gcMs = 0;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; }).observe({ entryTypes: ['gc'] });
  cpuProbes = { server: () => processCpuMs(process.pid), serverGc: () => gcMs, postgres: pgCpu.read };
  countStatements = () => statements;
  const accountId = (await t.rt.services.accounts.createAccount({ name: 'bench' })).account.id;
  const line = await addTwilioLine(t, accountId, { greeting: 'Welcome to Acme Rescue. Please enter your four character code.' });

  // The bare route: same body parser, same signature check, a fixed TwiML reply.
  const bare = Fastify({ logger: false });
  await bare.register(formbody, { bodyLimit: 64 * 1024 });
  const fixed = greeting({ greeting: 'Welcome to Acme Rescue. Please enter your four character code.', urls: { code: (n) => `${t.config.PUBLIC_URL}/webhooks/twilio/voice/code?attempt=${n}`, recording: () => '' } });
  bare.addHook('preValidation', async (req, reply) => {
    const ok = twilio.validateRequest(line.authToken, String(req.headers['x-twilio-signature'] ?? ''), t.config.PUBLIC_URL + req.url, req.body as Record<string, string>);
    if (!ok) return reply.status(403).send({ error: 'forbidden' });
  });
  bare.post('/webhooks/twilio/voice', async (_req, reply) => reply.type('text/xml; charset=utf-8').send(fixed));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

  // One signed body per call (CallSid), the way Twilio signs it. Full-path phases take fresh
  // ones (cursor below): every request is a new call whose row is stored, none a replay that
  // ON CONFLICT skips. The bare route stores nothing and reuses them.
  const url = `${t.config.PUBLIC_URL}/webhooks/twilio/voice`;
  const BODIES = Number(process.env.BENCH_BODIES ?? 120_000);
  // Written to a file for the load processes and not kept here: 120,000 bodies in this process's
  // heap would make every major GC of the gateway (which runs here) slower.
  const bodiesFile = path.join(os.tmpdir(), `sb-bench-webhooks-${process.pid}.json`);
  const first = ((): { body: string; signature: string } => {
    const bodies = Array.from({ length: BODIES }, (_, i) => {
      const params = { CallSid: callSid(1_000_000 + i), AccountSid: line.accountSid, From: `+1312555${String(i % 10_000).padStart(4, '0')}`, To: line.phone, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' };
      return { body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(line.authToken, url, params) };
    });
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    return bodies[0]!;
  })();

  // Sanity: the full path answers the greeting TwiML.
  const probe = await fetch(`${gateway}/webhooks/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': first.signature }, body: first.body });
  if (probe.status !== 200 || !(await probe.text()).includes('<Gather')) throw new Error(`full path probe failed: HTTP ${probe.status}`);

  // How busy PostgreSQL is on this machine right now: SELECT 1 from 16 concurrent clients.
  const pgStart = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < 125; i++) await t.rt.infra.db.query('SELECT 1'); }));
  const pgSelect1PerSec = Math.round(2000 / ((performance.now() - pgStart) / 1000));

  const target = (base: string) => `${base}/webhooks/twilio/voice`;
  let cursor = 1; // body 0 was the probe
  let fullAnswered = 1; // 2xx answers of the full path (each one promises its row is stored)
  const full = async <L extends Load>(l: (start: number) => Promise<L>) => {
    const r = await l(cursor);
    cursor += r.used;
    fullAnswered += r.ok2xx;
    return r;
  };
  const bareWarm = await maxLoad(target(bareUrl), bodiesFile, { duration: 2, connections: CONNECTIONS, start: 0 });
  const fullWarm = await full((start) => maxLoad(target(gateway), bodiesFile, { duration: 2, connections: CONNECTIONS, start }));
  const bareMax = await profiled('bare-max', () => maxLoad(target(bareUrl), bodiesFile, { duration: DURATION, connections: CONNECTIONS, start: 0 }));
  const fullMax = await profiled('full-max', () => full((start) => maxLoad(target(gateway), bodiesFile, { duration: DURATION, connections: CONNECTIONS, start })));
  const bareAtRate = await rateLoad(target(bareUrl), bodiesFile, { duration: DURATION, connections: RATE_CONNECTIONS, rate: RATE, start: 0 });
  const fullAtRate = await profiled('full-rate', () => full((start) => rateLoad(target(gateway), bodiesFile, { duration: DURATION, connections: RATE_CONNECTIONS, rate: RATE, start })));
  if (cursor > BODIES) throw new Error(`full path sent ${cursor} calls but only ${BODIES} distinct bodies exist: raise BENCH_BODIES`);

  await t.rt.services.telephony.calls.flush(); // rows are written behind the answer: the last few ms of them
  const calls = Number((await t.rt.infra.db.query('SELECT count(*) AS n FROM calls')).rows[0].n);
  const ratio = fullMax.reqPerSec / bareMax.reqPerSec;
  // Every answer of every phase must be a 2xx, with no error and no timeout: a phase that was
  // refused (403), failed (5xx) or dropped did not do the work its figure would claim.
  const phases = { bareWarmUp: bareWarm, fullWarmUp: fullWarm, bareMax, fullMax, bareAtRate, fullAtRate };
  const unanswered = Object.fromEntries(Object.entries(phases).map(([k, l]) => [k, { non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts }]));
  const clean = (l: Load) => l.non2xx === 0 && l.errors === 0 && l.timeouts === 0;
  const non2xxTotal = Object.values(phases).reduce((n, l) => n + l.non2xx, 0);
  const result = {
    benchmark: 'webhooks',
    command: 'npm run bench:webhooks',
    at: new Date().toISOString(),
    environment: { pgSelect1PerSec, loadAverage: os.loadavg().map((x) => Number(x.toFixed(1))) },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { durationSeconds: DURATION, connections: CONNECTIONS, rate: RATE, rateConnections: RATE_CONNECTIONS, load: { max: 'autocannon, closed loop', atRate: 'bench/webhooks-rate.ts, open loop, latency from scheduled send time' } },
    max: { bare: summary(bareMax), full: summary(fullMax), fullOverBare: Number(ratio.toFixed(2)) },
    atRate: { bare: summary(bareAtRate), full: summary(fullAtRate) },
    // every full-path request is a distinct call; each one answered 2xx must have its row (+ the probe)
    callsStored: { rows: calls, fullPathAnswered2xx: fullAnswered, fullPathBodiesUsed: cursor, allStored: calls >= fullAnswered },
    non2xxErrorsTimeouts: unanswered,
    targets: {
      throughputRatio: { target: 0.5, met: ratio >= 0.5 && clean(bareMax) && clean(fullMax) },
      p99AtRate: { targetMs: 10, met: fullAtRate.latency.p99 < 10 && fullAtRate.reqPerSec >= RATE * 0.95 && clean(fullAtRate) },
    },
    checks: { every2xx: Object.values(phases).every(clean), allStored: calls >= fullAnswered },
  };
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'webhooks.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await bare.close();
  pgCpu.close();
  rmSync(bodiesFile, { force: true });
  await t.close();
  process.stdout.write(`non-2xx answers: ${non2xxTotal} (${Object.entries(unanswered).map(([k, v]) => `${k} ${v.non2xx}`).join(', ')})\n`);
  const missed = [...Object.entries(result.targets).filter(([, v]) => !v.met), ...Object.entries(result.checks).filter(([, ok]) => !ok)].map(([k]) => k);
  if (missed.length > 0) throw new Error(`bench:webhooks missed: ${missed.join(', ')}`);
};

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
