/**
 * `npm run bench:fanout`: one activation to 10,000 contacts by SMS, through the planner, the
 * delivery workers and the `twilio` adapter (official SDK) against the local carrier emulator
 * (own process, bench/fanout-carrier.ts). Reports end-to-end time (activate() returns -> the
 * activation is completed, every text accepted by the carrier), sends/s, the engine process's
 * peak RSS, and raw BullMQ no-op throughput (one job per item, same Redis, same concurrency)
 * measured in the same run.
 *
 * Targets: sends/s >= 0.25x raw BullMQ, <= 3 s end to end, < 300 MB RSS.
 * Writes bench/results/fanout.json. Options (env): BENCH_CONTACTS (10000).
 */
import { Queue, Worker } from 'bullmq';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { addTwilioLine } from '../test/helpers/carrier-fixtures.js';
import { addCrowd, addWorkflow } from '../test/helpers/engine-fixtures.js';
import setupTemplate from '../test/helpers/global-setup.js';
import { startTestRuntime } from '../test/helpers/runtime.js';

const N = Number(process.env.BENCH_CONTACTS ?? 10_000);
const here = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC_URL = 'http://switchboard.bench';

/** The emulator in a child process; resolves with its REST and control URLs. */
const startCarrier = async (accountSid: string, authToken: string) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fanout-carrier.ts'), accountSid, authToken, PUBLIC_URL], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`carrier exited (${code})`)));
  });
  const urls = JSON.parse(line) as { api: string; control: string };
  return {
    ...urls,
    count: async () => (await (await fetch(`${urls.control}/count`)).json()) as { messages: number; recipients: number; maxPerRecipient: number },
    stop: () => child.kill('SIGTERM'),
  };
};

/** Raw BullMQ: N no-op jobs added with addBulk, processed at the same concurrency. */
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

const main = async () => {
  await setupTemplate();
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  const carrier = await startCarrier(creds.accountSid, creds.authToken);
  const t = await startTestRuntime({ LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '20', PUBLIC_URL, TWILIO_API_URL: carrier.api }, { web: false, worker: true });
  try {
    const { account } = await t.rt.services.accounts.createAccount({ name: 'bench' });
    const line = await addTwilioLine(t, account.id, creds);
    const group = await addCrowd(t, account.id, N, (i) => `+1415${String(2_000_000 + i).padStart(7, '0')}`);
    const wf = await addWorkflow(t, account.id, {
      name: 'Fan-out', codeLineId: line.id,
      actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Severe weather at [[site]]: shelter in place.', channels: ['sms'] }],
    });

    const raw = await rawBullmq(t.config.REDIS_URL, `${t.config.REDIS_PREFIX.slice(0, -1)}-raw}`, t.config.WORKER_CONCURRENCY);

    const db = t.rt.infra.db;
    const t0 = performance.now();
    const { activation } = await t.rt.services.activations.activate({
      accountId: account.id, workflowId: wf, source: 'api', idempotencyKey: `bench:${Date.now()}`, placeholders: { site: 'Depot 4' },
    });
    for (;;) {
      const s = await db.query('SELECT status, planned_at, created_at FROM activations WHERE id = $1', [activation.id]);
      if (s.rows[0].status === 'completed' || s.rows[0].status === 'failed') break;
      if (performance.now() - t0 > 120_000) throw new Error('fan-out did not complete in 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const e2eMs = performance.now() - t0;
    const timing = await db.query(
      `SELECT EXTRACT(EPOCH FROM planned_at - created_at) * 1000 AS plan_ms FROM activations WHERE id = $1`, [activation.id],
    );
    const at = await carrier.count();
    const sendsPerSec = Math.round((N / e2eMs) * 1000);
    const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const result = {
      benchmark: 'fanout',
      command: 'npm run bench:fanout',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
      config: { contacts: N, workerConcurrency: t.config.WORKER_CONCURRENCY, deliveryBatchSize: t.config.DELIVERY_BATCH_SIZE, dbPool: t.config.DATABASE_POOL_SIZE },
      endToEndMs: Math.round(e2eMs),
      planningMs: Math.round(Number(timing.rows[0].plan_ms)),
      sendsPerSec,
      rawBullmqNoopJobsPerSec: raw.jobsPerSec,
      ratioToRawBullmq: Number((sendsPerSec / raw.jobsPerSec).toFixed(2)),
      peakRssMb: rssMb,
      carrier: at,
      targets: { ratioToRawBullmq: '>= 0.25', endToEndMs: '<= 3000', peakRssMb: '< 300' },
      pass: { ratio: sendsPerSec / raw.jobsPerSec >= 0.25, endToEnd: e2eMs <= 3000, rss: rssMb < 300, exactlyOnce: at.recipients === N && at.maxPerRecipient === 1 },
    };
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results', 'fanout.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await t.close();
    carrier.stop();
  }
};

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:fanout failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
