/**
 * `npm run bench:webhooks`: signed inbound voice webhooks (`POST /webhooks/twilio/voice`)
 * through the full gateway path — signature check with the line's carrier token from
 * PostgreSQL, line lookup, caller lookup, call row, greeting TwiML — against a bare fastify
 * route doing only the same signature check and a fixed TwiML reply, in the same run, on the
 * same machine. Load comes from a separate process (bench/webhooks-load.ts, autocannon).
 *
 * Targets: full path >= 0.5x the bare route's throughput; p99 < 10 ms at 2,000 req/s.
 * Writes bench/results/webhooks.json. Options (env): BENCH_DURATION (s, 6), BENCH_CONNECTIONS (16),
 * BENCH_RATE (2000).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { cpuWindow, matchingCpuMs, processCpuMs, type CpuProbe } from './proc-cpu.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

type Load = { requests: { average: number; total: number }; latency: { p50: number; p90: number; p99: number; max: number; average: number }; non2xx: number; errors: number; timeouts: number; total: number };

/** CPU (ms) each phase cost: this process (both servers live here) and the PostgreSQL backends of the bench database. */
let cpuProbes: CpuProbe = {};
const load = async (url: string, bodiesFile: string, opts: { duration: number; connections: number; rate?: number }): Promise<Load & { cpuUsPerRequest: Record<string, number> }> => {
  const cpu = cpuWindow(cpuProbes);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(here, 'webhooks-load.ts'), JSON.stringify({ url, bodiesFile, ...opts })], { maxBuffer: 16 * 1024 * 1024 });
  const cpuMs = cpu.end();
  const l = JSON.parse(stdout) as Load;
  // CPU per request served (µs): comparable across phases and machines
  return { ...l, cpuUsPerRequest: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, Math.round((v * 1000) / Math.max(1, l.total))])) };
};

const summary = (l: Load & { cpuUsPerRequest?: Record<string, number> }) => ({
  reqPerSec: Math.round(l.requests.average), total: l.total, p50Ms: l.latency.p50, p90Ms: l.latency.p90, p99Ms: l.latency.p99, maxMs: l.latency.max,
  non2xx: l.non2xx, errors: l.errors, timeouts: l.timeouts, cpuUsPerRequest: l.cpuUsPerRequest,
});

const main = async () => {
  await setupTemplate();
  const t = await startTestRuntime({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '20' }, { web: true, worker: false });
  const gateway = await t.rt.listen();
  const dbName = new URL(t.databaseUrl).pathname.slice(1);
  cpuProbes = { server: () => processCpuMs(process.pid), postgres: matchingCpuMs(` ${dbName} `) };
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

  // Distinct calls (CallSid) signed the way Twilio does, cycled by the load generator.
  const url = `${t.config.PUBLIC_URL}/webhooks/twilio/voice`;
  const bodies = Array.from({ length: 5000 }, (_, i) => {
    const params = { CallSid: callSid(1_000_000 + i), AccountSid: line.accountSid, From: `+1312555${String(i % 10_000).padStart(4, '0')}`, To: line.phone, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' };
    return { body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(line.authToken, url, params) };
  });
  const bodiesFile = path.join(os.tmpdir(), `sb-bench-webhooks-${process.pid}.json`);
  writeFileSync(bodiesFile, JSON.stringify(bodies));

  // Sanity: the full path answers the greeting TwiML.
  const probe = await fetch(`${gateway}/webhooks/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': bodies[0]!.signature }, body: bodies[0]!.body });
  if (probe.status !== 200 || !(await probe.text()).includes('<Gather')) throw new Error(`full path probe failed: HTTP ${probe.status}`);

  // How busy PostgreSQL is on this machine right now: SELECT 1 from 16 concurrent clients.
  const pgStart = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < 125; i++) await t.rt.infra.db.query('SELECT 1'); }));
  const pgSelect1PerSec = Math.round(2000 / ((performance.now() - pgStart) / 1000));

  const target = (base: string) => `${base}/webhooks/twilio/voice`;
  await load(target(bareUrl), bodiesFile, { duration: 2, connections: CONNECTIONS });
  await load(target(gateway), bodiesFile, { duration: 2, connections: CONNECTIONS });
  const bareMax = await load(target(bareUrl), bodiesFile, { duration: DURATION, connections: CONNECTIONS });
  const fullMax = await load(target(gateway), bodiesFile, { duration: DURATION, connections: CONNECTIONS });
  const bareAtRate = await load(target(bareUrl), bodiesFile, { duration: DURATION, connections: 32, rate: RATE });
  const fullAtRate = await load(target(gateway), bodiesFile, { duration: DURATION, connections: 32, rate: RATE });

  const calls = Number((await t.rt.infra.db.query('SELECT count(*) AS n FROM calls')).rows[0].n);
  const ratio = fullMax.requests.average / bareMax.requests.average;
  const result = {
    benchmark: 'webhooks',
    command: 'npm run bench:webhooks',
    at: new Date().toISOString(),
    environment: { pgSelect1PerSec, loadAverage: os.loadavg().map((x) => Number(x.toFixed(1))) },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { durationSeconds: DURATION, connections: CONNECTIONS, rate: RATE },
    max: { bare: summary(bareMax), full: summary(fullMax), fullOverBare: Number(ratio.toFixed(2)) },
    atRate: { bare: summary(bareAtRate), full: summary(fullAtRate) },
    distinctCallsStored: calls,
    targets: { throughputRatio: { target: 0.5, met: ratio >= 0.5 }, p99AtRate: { targetMs: 10, met: fullAtRate.latency.p99 < 10 && fullAtRate.requests.average >= RATE * 0.95 } },
  };
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results', 'webhooks.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await bare.close();
  await t.close();
};

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
