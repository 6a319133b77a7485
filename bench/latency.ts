/**
 * `npm run bench:latency`: activation latency, from a code keyed on a call to the first text
 * seen at the carrier. A `switchboard serve` and a `switchboard work` process of the real CLI
 * run on a fresh database; the carrier emulator runs in its own process (dev/carrier/standalone.ts)
 * and stamps each `Messages.json` request when it takes it (same machine clock). For each call
 * the bench plays the carrier: the call's first webhook, then the signed code step
 * (`POST /webhooks/twilio/voice/code` with the digits) over HTTP; the latency runs from just
 * before the code step to the carrier's stamp of that activation's first text (texts are tied
 * to their call through the delivery id in their status callback URL and the activation's
 * idempotency key `twilio:<CallSid>`).
 *
 * Phases, all in the same run:
 * 1. baseline: a bare send through the same adapter (official `twilio` SDK, `TWILIO_API_URL`);
 * 2. idle: activations one after another (each figure is one caller's wait, no queue);
 * 3. under a broadcast: a 10,000-recipient fan-out activation from another line, and meanwhile
 *    callers keying the code at 50 calls/s (open loop: a new call every 20 ms whatever the
 *    answers). Only calls keyed before the fan-out's last text reached the carrier count.
 *
 * Each phase also counts every process's CPU (web, worker, emulator, the PostgreSQL backends of its
 * database, Redis, this bench): per keyed call, cores busy during the broadcast, and what the calls
 * alone ask of the machine at CALL_RATE (`callsAloneCores`): the machine's 2 cores are shared by all.
 *
 * Target: phase 3 p99 < 100 ms. Checks: every code step answered, every call's texts reached the
 * carrier once per recipient, the fan-out reached each of its recipients exactly once, and enough
 * calls fell inside the fan-out to give a p99. A missed target or check exits non-zero.
 * Writes bench/results/latency.json. Options (env): BENCH_ACTIVATIONS (300, idle phase),
 * BENCH_RECIPIENTS (3), BENCH_FANOUT (10000), BENCH_CALL_RATE (50 calls/s), BENCH_CALLS_FILE (a JSON
 * file: each call of phase 3 with when it was keyed and its stages, to see when the slow ones were).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTwilioProvider } from '../adapters/telephony/twilio-provider.js';
import { startCarrier, startCluster, apiClient, expectOk, postWebhook, sleep, type Carrier } from '../chaos/cluster.js';
import { addCrowd, addLine, addSmsWorkflow, createAccount } from '../chaos/fixtures.js';
import setupTemplate from '../test/helpers/global-setup.js';
import { createTestDatabase } from '../test/helpers/test-db.js';
import { report, runBench } from './report.js';
import { cpuWindow, matchingCpuMs, processCpuMs } from './proc-cpu.js';

const N = Number(process.env.BENCH_ACTIVATIONS ?? 300);
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 3);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 10_000);
const CALL_RATE = Number(process.env.BENCH_CALL_RATE ?? 50);
const WARMUP = 10;
const TARGET_P99_MS = 100;
/** Calls keyed inside the fan-out needed for a p99 worth the name. */
const MIN_CALLS_UNDER_LOAD = 100;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const RESPONDERS = '+1415800000'; // phoneOf(8_000_000, i), i < 10
const CROWD = '+14152'; // phoneOf(2_000_000, i)

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const r1 = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
/** Percentiles over every call; a missing one (no text at the carrier, no stamp) counts as infinitely late (printed null). */
const summary = (xs: number[]) => ({
  n: xs.length, missing: xs.filter((x) => !Number.isFinite(x)).length, p50Ms: r1(pct(xs, 50)), p90Ms: r1(pct(xs, 90)), p99Ms: r1(pct(xs, 99)),
  maxMs: r1(Math.max(...xs)), meanMs: r1(xs.reduce((a, b) => a + b, 0) / xs.length),
});

/** `answer`: the code step's failure (HTTP status and the start of the body), when it failed. */
type Keyed = { callSid: string; t0: number; ok: boolean; answer?: string };

/** One caller: the greeting webhook, then the code step; `t0` just before the code step. */
const keyCode = async (web: string, creds: { accountSid: string; authToken: string }, phone: string, i: number): Promise<Keyed> => {
  const callSid = `CA${(0xb000_0000 + i).toString(16).padStart(32, '0')}`;
  const params = { CallSid: callSid, AccountSid: creds.accountSid, From: `+1312555${String(i % 10_000).padStart(4, '0')}`, To: phone, CallStatus: 'in-progress', Direction: 'inbound' };
  const answer = await postWebhook(web, '/webhooks/twilio/voice', { ...params, CallStatus: 'ringing' }, creds.authToken);
  if (answer.status !== 200 || !answer.body.includes('<Gather')) return { callSid, t0: Date.now(), ok: false, answer: `greeting ${answer.status} ${answer.body.slice(0, 120)}` };
  const t0 = Date.now();
  const code = await postWebhook(web, '/webhooks/twilio/voice/code?attempt=1', { ...params, Digits: '7377' }, creds.authToken);
  const ok = code.status === 200 && code.body.includes('activated');
  return { callSid, t0, ok, ...(ok ? {} : { answer: `code ${code.status} ${code.body.slice(0, 120)}` }) };
};

/** Waits until the carrier holds `n` texts to numbers starting with `prefix`. */
const waitForTexts = async (carrier: Carrier, prefix: string, n: number, timeoutMs: number, pollMs = 5) => {
  const t0 = Date.now();
  for (;;) {
    const got = (await carrier.count(false, prefix)).messages;
    if (got >= n || Date.now() - t0 > timeoutMs) return got;
    await sleep(pollMs);
  }
};

/**
 * Per call, from what the carrier counted: its texts' stamps (first = latency end) and whether
 * each of its recipients got exactly one text.
 */
const attribute = async (db: pg.Pool, carrier: Carrier, keyed: Keyed[]) => {
  const texts = (await carrier.messages()).filter((m) => m.to.startsWith(RESPONDERS));
  const rows = (await db.query(
    `SELECT d.id, a.id AS activation_id, a.idempotency_key AS key, (EXTRACT(EPOCH FROM a.created_at) * 1000)::float8 AS created,
            (EXTRACT(EPOCH FROM a.planned_at) * 1000)::float8 AS planned,
            (EXTRACT(EPOCH FROM d.claimed_at) * 1000)::float8 AS claimed
       FROM deliveries d JOIN activations a ON a.id = d.activation_id WHERE a.idempotency_key = ANY($1)`,
    [keyed.map((k) => `twilio:${k.callSid}`)],
  )).rows as Array<{ id: string; activation_id: string; key: string; created: number; planned: number | null; claimed: number | null }>;
  const stamps = new Map(rows.map((r) => [r.key.slice('twilio:'.length), r]));
  // The call's first claim: when a delivery worker took its first text.
  const claims = new Map<string, number>();
  for (const r of rows) {
    const call = r.key.slice('twilio:'.length);
    if (r.claimed !== null) claims.set(call, Math.min(claims.get(call) ?? Infinity, r.claimed));
  }
  const callOf = new Map(rows.map((r) => [r.id, r.key.slice('twilio:'.length)]));
  const byCall = new Map<string, Array<{ to: string; at: number }>>();
  for (const m of texts) {
    const delivery = /delivery=([0-9a-f-]+)/.exec(m.statusCallback ?? '')?.[1];
    const call = delivery ? callOf.get(delivery) : undefined;
    if (!call) continue;
    byCall.set(call, [...(byCall.get(call) ?? []), { to: m.to, at: m.at }]);
  }
  return keyed.map((k) => {
    const got = byCall.get(k.callSid) ?? [];
    return {
      ...k,
      first: got.length ? Math.min(...got.map((x) => x.at)) - k.t0 : Infinity,
      last: got.length ? Math.max(...got.map((x) => x.at)) - k.t0 : Infinity,
      once: got.length === RECIPIENTS && new Set(got.map((x) => x.to)).size === RECIPIENTS,
      // Where the time went (PostgreSQL's clock, same machine): activation committed, planned, first text claimed.
      created: (stamps.get(k.callSid)?.created ?? Infinity) - k.t0,
      planned: (stamps.get(k.callSid)?.planned ?? Infinity) - k.t0,
      claimed: (claims.get(k.callSid) ?? Infinity) - k.t0,
      activationId: stamps.get(k.callSid)?.activation_id ?? null,
    };
  });
};

const main = async () => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) throw new Error('run through `npm run bench:latency` (it starts the local PostgreSQL and Redis)');
  await setupTemplate();
  const database = await createTestDatabase();
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  const carrier = await startCarrier(root);
  const creds = { accountSid: carrier.accountSid, authToken: carrier.authToken };
  const prefix = `{bench-latency-${randomBytes(3).toString('hex')}}`;
  const o = {
    root, databaseUrl: database.url, redisUrl: process.env.REDIS_URL, twilioApiUrl: carrier.api,
    env: { REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '10' },
  };
  const cluster = await startCluster({ ...o, webs: 1, workers: 1, basePort: 3301, logDir: path.join(root, '.data', 'bench-logs') });
  try {
    const api = apiClient(cluster.webUrls, createAccount(o, 'bench-latency'));
    const line = await addLine(api, creds, '+14155550900');
    const broadcastLine = await addLine(api, creds, '+14155550901');
    const group = await addCrowd(api, 'Responders', RECIPIENTS, 8_000_000);
    const crowd = await addCrowd(api, 'Everyone', FANOUT, 2_000_000);
    await addSmsWorkflow(api, { name: 'Gate alarm', groupId: group, message: 'Gate alarm at the north entrance.', lineId: line.id, code: 'RESQ' });
    // Its own line (the workflow's code line sends): a broadcast line, not the emergency one.
    const broadcast = await addSmsWorkflow(api, { name: 'Broadcast', groupId: crowd, message: 'Severe weather: shelter in place.', lineId: broadcastLine.id, code: 'BCST' });
    const web = cluster.webUrls[0]!;
    // CPU of every process on the path (this machine's 2 cores are shared by all of them): how
    // much one keyed call costs, and how busy the machine was while the broadcast ran.
    const pgCpu = matchingCpuMs(` ${new URL(database.url).pathname.slice(1)} `);
    const redisCpu = matchingCpuMs('redis-server');
    const probes = {
      web: () => processCpuMs(cluster.webs[0]!.child.pid!), worker: () => processCpuMs(cluster.workers[0]!.child.pid!),
      carrier: () => processCpuMs(carrier.pid), postgres: pgCpu, redis: redisCpu, bench: () => processCpuMs(process.pid),
    };
    const cpuOf = (window: ReturnType<typeof cpuWindow>, ms: number, calls: number) => {
      const byProcess = window.end();
      const total = Object.values(byProcess).reduce((a, b) => a + b, 0);
      return { byProcessMs: byProcess, totalMs: total, coresBusy: Number((total / ms).toFixed(2)), perCallMs: Number((total / calls).toFixed(1)) };
    };

    // 1. Baseline: the same adapter and SDK, one send at a time to the same emulator.
    const provider = createTwilioProvider({ apiUrl: carrier.api });
    const base: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const t0 = performance.now();
      await provider.sendSms(creds, { from: line.phone, to: '+14155550999', body: 'baseline' });
      if (i >= WARMUP) base.push(performance.now() - t0);
    }

    // 2. Idle: one caller at a time, each waits for its texts before the next call.
    const idle: Keyed[] = [];
    const idleCpu = cpuWindow(probes);
    const idleT0 = performance.now();
    for (let i = 0; i < N + WARMUP; i++) {
      const k = await keyCode(web, creds, line.phone, i);
      if (!k.ok) throw new Error(`idle call ${i}: the code step was not answered`);
      if ((await waitForTexts(carrier, RESPONDERS, (i + 1) * RECIPIENTS, 30_000)) < (i + 1) * RECIPIENTS) throw new Error(`idle call ${i}: texts did not reach the carrier in 30 s`);
      if (i >= WARMUP) idle.push(k);
    }
    // Per call: the whole machine's CPU (web, worker, carrier, PostgreSQL, Redis, this bench) over one call at a time.
    const idleCost = cpuOf(idleCpu, performance.now() - idleT0, N + WARMUP);
    const idleCalls = await attribute(db, carrier, idle);

    // 3. Callers at CALL_RATE while the broadcast fans out.
    const fanT0 = Date.now();
    const loadCpu = cpuWindow(probes);
    expectOk('broadcast', await api('POST', `/v1/workflows/${broadcast}/activations`, {}));
    const calls: Array<Promise<Keyed>> = [];
    let fanDone = false;
    const waitFan = waitForTexts(carrier, CROWD, FANOUT, 300_000, 20).finally(() => { fanDone = true; });
    const callT0 = performance.now();
    for (let i = 0; !fanDone; i++) {
      calls.push(keyCode(web, creds, line.phone, 100_000 + i));
      const due = callT0 + ((i + 1) * 1000) / CALL_RATE;
      await sleep(Math.max(0, due - performance.now()));
    }
    const fanAtCarrier = await waitFan;
    const loadCost = cpuOf(loadCpu, Date.now() - fanT0, calls.length);
    pgCpu.stop();
    redisCpu.stop();
    const keyed = await Promise.all(calls);
    await waitForTexts(carrier, RESPONDERS, (N + WARMUP + keyed.filter((k) => k.ok).length) * RECIPIENTS, 120_000);
    const all = await carrier.messages();
    const perCrowd = new Map<string, number>();
    let fanLast = 0;
    for (const m of all) {
      if (!m.to.startsWith(CROWD)) continue;
      perCrowd.set(m.to, (perCrowd.get(m.to) ?? 0) + 1);
      fanLast = Math.max(fanLast, m.at);
    }
    const loaded = (await attribute(db, carrier, keyed)).filter((k) => k.t0 <= fanLast);
    // BENCH_CALLS_FILE: every call of the broadcast phase (when keyed, each stage) for a time profile of the tail.
    if (process.env.BENCH_CALLS_FILE) writeFileSync(process.env.BENCH_CALLS_FILE, JSON.stringify({ fanoutStartedAt: fanT0, fanoutLastTextAt: fanLast, calls: loaded }));
    const answered = [...idle, ...keyed].every((k) => k.ok);

    const idleFirst = idleCalls.map((c) => c.first);
    const loadFirst = loaded.map((c) => c.first);
    const fanMs = fanLast - fanT0;
    const result = {
      benchmark: 'latency',
      command: 'npm run bench:latency',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvg1mAtEnd: Number(os.loadavg()[0]!.toFixed(2)) },
      settings: { idleActivations: N, warmup: WARMUP, recipientsPerActivation: RECIPIENTS, fanout: FANOUT, callsPerSecond: CALL_RATE, processes: '1 serve + 1 work (real CLI), carrier emulator in its own process' },
      baselineBareSdkSend: summary(base),
      idle: { codeKeyedToFirstText: summary(idleFirst), codeKeyedToLastText: summary(idleCalls.map((c) => c.last)), cpu: idleCost },
      underFanout: {
        callsKeyed: keyed.length, callsKeyedDuringFanout: loaded.length,
        codeKeyedToFirstText: summary(loadFirst), codeKeyedToLastText: summary(loaded.map((c) => c.last)),
        codeStepsNotAnswered: keyed.filter((k) => !k.ok).length,
        // For diagnosis only (the target counts every call): the calls whose code step was answered.
        answeredCallsCodeKeyedToFirstText: summary(loaded.filter((c) => c.ok).map((c) => c.first)),
        stages: { codeKeyedToActivationStored: summary(loaded.map((c) => c.created)), codeKeyedToPlanned: summary(loaded.map((c) => c.planned)), codeKeyedToFirstClaim: summary(loaded.map((c) => c.claimed)) },
        failedAnswers: [...new Set(keyed.filter((k) => !k.ok).map((k) => k.answer))].slice(0, 3),
        fanoutMs: fanMs, fanoutTextsAtCarrier: fanAtCarrier, fanoutSendsPerSec: Math.round((fanAtCarrier / fanMs) * 1000),
        // perCallMs here is the phase's whole CPU (broadcast included) over the calls keyed in it.
        cpu: loadCost,
        // What the calls alone ask of the machine at this rate (cores): the idle phase's CPU per
        // call x calls/s, of Switchboard's own processes (web, worker, PostgreSQL, Redis) and of
        // every process (with the emulator and this bench, which poll the carrier per call there).
        callsAloneCores: {
          switchboard: Number((((idleCost.byProcessMs.web! + idleCost.byProcessMs.worker! + idleCost.byProcessMs.postgres! + idleCost.byProcessMs.redis!) / (N + WARMUP)) * CALL_RATE / 1000).toFixed(2)),
          all: Number(((idleCost.totalMs / (N + WARMUP)) * CALL_RATE / 1000).toFixed(2)),
        },
      },
      p99UnderFanoutOverIdle: r1(pct(loadFirst, 99) / pct(idleFirst, 99)),
      p50UnderFanoutOverIdle: r1(pct(loadFirst, 50) / pct(idleFirst, 50)),
      carrier: { fanoutRecipients: perCrowd.size, fanoutMaxPerRecipient: Math.max(0, ...perCrowd.values()) },
      targets: { p99UnderFanoutMs: `< ${TARGET_P99_MS}` },
      pass: {
        p99UnderFanout: loadFirst.length > 0 && pct(loadFirst, 99) < TARGET_P99_MS,
        everyCodeStepAnswered: answered,
        everyCallTextedOnce: idleCalls.every((c) => c.once) && loaded.every((c) => c.once),
        fanoutExactlyOnce: perCrowd.size === FANOUT && Math.max(0, ...perCrowd.values()) === 1,
        enoughCallsDuringFanout: loaded.length >= Math.min(MIN_CALLS_UNDER_LOAD, Math.floor((FANOUT / 10_000) * MIN_CALLS_UNDER_LOAD)),
      },
    };
    report('latency', result);
  } finally {
    await cluster.stop();
    carrier.stop();
    await db.end();
    await database.drop().catch(() => undefined);
    // The run's queues and jobs (tens of thousands of keys) go with its database. BENCH_CALLS_FILE
    // keeps them for a look at the planner jobs' own timestamps.
    if (!process.env.BENCH_CALLS_FILE) await dropRedisKeys(process.env.REDIS_URL!, prefix).catch(() => undefined);
  }
};

/** Deletes every key of `prefix` (SCAN + UNLINK, a thousand at a time). */
const dropRedisKeys = async (url: string, prefix: string) => {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
};

runBench('latency', main);
