/**
 * `npm run bench:latency`: activation latency, from a code keyed on a call to the first text
 * seen at the carrier. A `switchboard serve` and a `switchboard work` process of the real CLI
 * run on a fresh database; for each activation the bench plays the carrier: the call's first
 * webhook, then the signed code step (`POST /webhooks/twilio/voice/code` with the digits) over
 * HTTP, and times until the emulator (in this process, clock shared) records the first
 * `Messages.json` request of that activation. Activations run one after another, so each
 * figure is one caller's wait, not a queue under load.
 *
 * Baseline in the same run: the emulator round trip of a bare send through the same adapter
 * (official `twilio` SDK, `TWILIO_API_URL`), also one at a time.
 * Writes bench/results/latency.json. Options (env): BENCH_ACTIVATIONS (300), BENCH_RECIPIENTS (3).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTwilioProvider } from '../adapters/telephony/twilio-provider.js';
import { startCluster, apiClient, cli, expectOk, postWebhook, sleep } from '../chaos/cluster.js';
import { addCrowd, addLine, addSmsWorkflow, createAccount } from '../chaos/fixtures.js';
import { startCarrierEmulator } from '../dev/carrier/emulator.js';
import setupTemplate from '../test/helpers/global-setup.js';
import { createTestDatabase } from '../test/helpers/test-db.js';

const N = Number(process.env.BENCH_ACTIVATIONS ?? 300);
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 3);
const WARMUP = 10;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const summary = (xs: number[]) => ({
  n: xs.length, p50Ms: Math.round(pct(xs, 50) * 10) / 10, p90Ms: Math.round(pct(xs, 90) * 10) / 10, p99Ms: Math.round(pct(xs, 99) * 10) / 10,
  maxMs: Math.round(Math.max(...xs) * 10) / 10, meanMs: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10,
});

const main = async () => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) throw new Error('run through `npm run bench:latency` (it starts the local PostgreSQL and Redis)');
  await setupTemplate();
  const db = await createTestDatabase();
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  // Status callbacks go nowhere measurable: a stub, far in the future (not part of the path timed).
  const stub = http.createServer((req, res) => req.resume().on('end', () => res.end('<Response/>')));
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
  const carrier = await startCarrierEmulator({ ...creds, gatewayUrl: `http://127.0.0.1:${(stub.address() as { port: number }).port}`, callbackDelayMs: 3_600_000 });
  const o = {
    root, databaseUrl: db.url, redisUrl: process.env.REDIS_URL, twilioApiUrl: carrier.url,
    env: { REDIS_PREFIX: `{bench-latency-${randomBytes(3).toString('hex')}}`, LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '10' },
  };
  const cluster = await startCluster({ ...o, webs: 1, workers: 1, basePort: 3301, logDir: path.join(root, '.data', 'bench-logs') });
  try {
    const api = apiClient(cluster.webUrls, createAccount(o, 'bench-latency'));
    const line = await addLine(api, creds, '+14155550900');
    const group = await addCrowd(api, 'Responders', RECIPIENTS, 8_000_000);
    await addSmsWorkflow(api, { name: 'Gate alarm', groupId: group, message: 'Gate alarm at the north entrance.', lineId: line.id, code: 'RESQ' });
    const web = cluster.webUrls[0]!;

    // Baseline: the same adapter and SDK, one send at a time to the same emulator.
    const provider = createTwilioProvider({ apiUrl: carrier.url });
    const base: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const t0 = performance.now();
      await provider.sendSms(creds, { from: line.phone, to: '+14155550999', body: 'baseline' });
      if (i >= WARMUP) base.push(performance.now() - t0);
    }

    const lat: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const params = { CallSid: `CA${(0xb000_0000 + i).toString(16).padStart(32, '0')}`, AccountSid: creds.accountSid, From: `+1312555${String(i % 10_000).padStart(4, '0')}`, To: line.phone, CallStatus: 'in-progress', Direction: 'inbound' };
      const answer = await postWebhook(web, '/webhooks/twilio/voice', { ...params, CallStatus: 'ringing' }, creds.authToken);
      if (answer.status !== 200 || !answer.body.includes('<Gather')) throw new Error(`call ${i}: greeting failed: ${answer.status} ${answer.body.slice(0, 200)}`);
      const before = carrier.messages.length;
      const t0 = Date.now();
      const t0p = performance.now();
      const code = await postWebhook(web, '/webhooks/twilio/voice/code?attempt=1', { ...params, Digits: '7377' }, creds.authToken);
      if (code.status !== 200 || !code.body.includes('activated')) throw new Error(`call ${i}: code step failed: ${code.status} ${code.body.slice(0, 200)}`);
      while (carrier.messages.length < before + RECIPIENTS) {
        if (performance.now() - t0p > 30_000) throw new Error(`call ${i}: texts did not reach the carrier in 30 s`);
        await sleep(2);
      }
      const first = Math.min(...carrier.messages.slice(before).map((m) => m.dateCreated.getTime()));
      const all0 = Math.max(...carrier.messages.slice(before).map((m) => m.dateCreated.getTime()));
      if (i >= WARMUP) {
        lat.push(first - t0);
        all.push(all0 - t0);
      }
    }
    const result = {
      benchmark: 'latency',
      command: 'npm run bench:latency',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvg1mAtEnd: Number(os.loadavg()[0]!.toFixed(2)) },
      settings: { activations: N, warmup: WARMUP, recipientsPerActivation: RECIPIENTS, processes: '1 serve + 1 work (real CLI)' },
      codeKeyedToFirstSend: summary(lat),
      codeKeyedToLastSend: summary(all),
      baselineBareSdkSend: summary(base),
      overBaselineP50Ms: Math.round((pct(lat, 50) - pct(base, 50)) * 10) / 10,
      textsAtCarrier: carrier.messages.filter((m) => m.to !== '+14155550999').length,
    };
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results', 'latency.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await cluster.stop();
    stub.close();
    await db.drop().catch(() => undefined);
  }
};

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:latency failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
