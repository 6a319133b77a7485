/**
 * `npm run bench:send-latency`: how long a rule send waits between its feature's COMMIT and the
 * carrier's `Messages.json` request. One runtime with engine workers (web + worker, as
 * `switchboard all`), the carrier emulator in this process (clock shared), one send at a time:
 * a transaction writes the send as the rule action runner does (src/rules/rule-delivery-sender.ts),
 * commits, hands it to the engine's fast path, and the bench times until the emulator records
 * the text. Since the one send path (src/engine/ready-plans.ts) the fast path is the outbox
 * relay (planner job, then delivery job); before, it was the delivery queue directly: with
 * `src/engine/direct-sends.ts` present (an older tree) the bench measures that path instead.
 * Prints and writes bench/results/send-latency.json. Options (env): BENCH_SENDS (200).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { withTransaction } from '../src/db/db.js';
import { readyPlansRepo } from '../src/engine/ready-plans-repo.js';
import { createRuleDeliverySender } from '../src/rules/rule-delivery-sender.js';
import { startRuntimeWithCarrier } from '../test/helpers/carrier.js';
import { addTwilioLine, uniqueNumber } from '../test/helpers/carrier-fixtures.js';
import { addPeople } from '../test/helpers/engine-fixtures.js';
import setupTemplate from '../test/helpers/global-setup.js';

const N = Number(process.env.BENCH_SENDS ?? 200);
const WARMUP = 10;
const here = path.dirname(fileURLToPath(import.meta.url));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

const main = async () => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) throw new Error('run through `npm run bench:send-latency` (it starts the local PostgreSQL and Redis)');
  await setupTemplate();
  const env = await startRuntimeWithCarrier({ LOG_LEVEL: 'warn' }, { web: true, worker: true });
  const { t, carrier, creds } = env;
  // An older tree (direct sends): the delivery ids go straight to the delivery queue.
  const direct = existsSync(path.join(here, '../src/engine/direct-sends.ts'));
  type Dispatch = { dispatch(ids: string[]): Promise<void>; close?(): Promise<void> };
  const deliveryQueue: Dispatch | null = direct
    ? (await import(path.join(here, '../src/engine/direct-sends.js') as string)).createDeliveryDispatch(
      () => t.rt.infra.redis, t.config.REDIS_PREFIX, t.config.DELIVERY_BATCH_SIZE, 'rule')
    : null;
  try {
    const { account } = await t.rt.services.accounts.createAccount({ name: 'bench-send-latency' });
    const line = await addTwilioLine(t, account.id, creds);
    const sender = createRuleDeliverySender({ readyPlans: readyPlansRepo });
    const waits: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const phone = uniqueNumber();
      const [contactId] = await addPeople(t, account.id, [{ name: `P${i}`, phone }]);
      const sent = await withTransaction(t.rt.infra.db, (tx) => sender.send(tx, {
        accountId: account.id, key: `rule:bench-${i}-${phone}`, actionId: 'sms', channel: 'sms', contactId: contactId!, recipientKey: contactId!,
        address: phone, payload: { body: `Bench ${i}`, lineId: line.id, from: line.phone }, context: {},
      }));
      const committed = performance.now();
      if (deliveryQueue) await deliveryQueue.dispatch([sent.deliveryId]);
      else await t.rt.services.engine.dispatcher.dispatch([sent.activationId]);
      while (!carrier.messages.some((m) => m.to === phone)) {
        if (performance.now() - committed > 10_000) throw new Error(`send ${i} never reached the carrier`);
        await new Promise((r) => setImmediate(r));
      }
      if (i >= WARMUP) waits.push(performance.now() - committed);
    }
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    const result = {
      at: new Date().toISOString(), loadAverage: os.loadavg().map(r1),
      path: direct ? 'direct sends: delivery queue' : 'ready plan: outbox relay -> planner -> delivery queue',
      sends: waits.length, commitToCarrierMs: { p50: r1(pct(waits, 50)), p90: r1(pct(waits, 90)), p99: r1(pct(waits, 99)), max: r1(Math.max(...waits)), mean: r1(mean) },
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results', 'send-latency.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await deliveryQueue?.close?.();
    await env.close();
  }
};

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
