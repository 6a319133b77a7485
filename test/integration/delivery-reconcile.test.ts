/**
 * Lost status callbacks and graceful stops (issue 19):
 * - Callbacks the carrier sent while the web side was down are lost (the carrier does not send
 *   them again): a delivery left `queued` / `sent` with no callback for DELIVERY_RECONCILE_AFTER_MS
 *   is fetched from the carrier by its id and moved on through the callbacks' own path.
 * - Two processes reconciling at once fetch each delivery once.
 * - A graceful stop of `switchboard all` in the middle of a paced fan-out sends nothing after the
 *   web side starts closing: in-flight sends finish and are recorded, the rest is given back and
 *   sent (once) by the next process.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLineCarrier } from '../../src/carriers/carrier-credentials.js';
import { createLineDirectory } from '../../src/engine/line-directory.js';
import { createStatusReconciler } from '../../src/engine/status-reconciler.js';
import { carrierChecksRepo } from '../../src/engine/carrier-checks-repo.js';
import { addTwilioLine } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { activationStatus, addCrowd, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime } from '../helpers/runtime.js';

const DEAD_GATEWAY = 'http://127.0.0.1:9';

const notify = async (env: RuntimeWithCarrier, name: string, phones: string[], channels: string[], lineSettings?: object) => {
  const acct = await createTestAccount(env.t);
  const l = await addTwilioLine(env.t, acct.account.id, { ...env.creds, settings: lineSettings });
  const group = await addCrowd(env.t, acct.account.id, phones.length, (i) => phones[i]!);
  const wf = await addWorkflow(env.t, acct.account.id, {
    name, codeLineId: l.id, actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: `${name} now`, channels }],
  });
  const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
  return res.body.id as string;
};

const statusesOf = async (env: RuntimeWithCarrier, activationId: string) => (await env.t.rt.infra.db.query(
  `SELECT address, channel, status, error_code, provider_id FROM deliveries WHERE activation_id = $1 ORDER BY address, channel`, [activationId],
)).rows;

describe('action engine: status callbacks lost while the web side was down', () => {
  let env: RuntimeWithCarrier;
  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ SWEEP_INTERVAL_MS: '200', DELIVERY_RECONCILE_AFTER_MS: '1000' }, { web: true, worker: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('fetches texts and calls with no callback from the carrier and moves them on', { timeout: 60_000, retry: 0 }, async () => {
    const phones = ['+16467500000', '+16467500001', '+16467500002'];
    env.carrier.setBehaviour(phones[1]!, { messageOutcome: 'undelivered', messageErrorCode: 30005, answer: 'no-answer' });
    env.carrier.setBehaviour(phones[2]!, { answer: 'busy' });
    // Every callback the carrier sends from now on is lost (nothing listens there).
    env.carrier.setGateway(DEAD_GATEWAY, env.t.config.PUBLIC_URL);
    const id = await notify(env, 'Lost callbacks', phones, ['sms', 'voice']);
    await eventually(async () => env.carrier.messages.length === 3 && env.carrier.calls.length === 3, 'sent to the carrier', 20_000);
    await env.carrier.settled();
    expect(env.carrier.callbacks.length).toBeGreaterThan(0);
    expect(env.carrier.callbacks.every((c) => c.status === 0)).toBe(true);

    await eventually(async () => (await statusesOf(env, id)).every((r) => !['pending', 'sending', 'queued'].includes(r.status)), 'statuses fetched', 20_000);
    expect((await statusesOf(env, id)).map((r) => [r.address, r.channel, r.status, r.error_code])).toEqual([
      [phones[0], 'sms', 'delivered', null], [phones[0], 'voice', 'answered', null],
      [phones[1], 'sms', 'failed', '30005'], [phones[1], 'voice', 'no-answer', null],
      [phones[2], 'sms', 'delivered', null], [phones[2], 'voice', 'busy', null],
    ]);
    await eventually(async () => (await activationStatus(env.t, id)) === 'completed', 'activation completed', 10_000);
    // Still exactly what was sent: fetching never sends.
    expect(env.carrier.messages.map((m) => m.to).sort()).toEqual(phones);
    expect(env.carrier.calls.map((c) => c.to).sort()).toEqual(phones);
  });
});

describe('status reconciliation from two processes at once', () => {
  let env: RuntimeWithCarrier;
  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ SWEEP_INTERVAL_MS: '200', DELIVERY_RECONCILE_AFTER_MS: '0' }, { web: true, worker: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('fetches each delivery once and applies it once', { timeout: 60_000, retry: 0 }, async () => {
    const phones = Array.from({ length: 12 }, (_, i) => `+1646751${String(i).padStart(4, '0')}`);
    env.carrier.setGateway(DEAD_GATEWAY, env.t.config.PUBLIC_URL);
    const id = await notify(env, 'Twice swept', phones, ['sms']);
    await eventually(async () => (await statusesOf(env, id)).every((r) => r.status === 'queued'), 'all queued', 20_000);
    await env.carrier.settled();

    const { rt } = env.t;
    const reconciler = () => createStatusReconciler({
      db: rt.infra.db, checks: carrierChecksRepo, lines: createLineDirectory({ loadLine: (lineId) => loadLineCarrier(rt.infra.db, rt.services.secrets, lineId) }), providers: rt.services.telephony.providers.all,
      record: rt.services.telephony.statuses.record, logger: rt.infra.logger, settings: { afterMs: 300, batch: 100 },
    });
    // Every row quiet for longer than afterMs (no change since: a loaded machine may still be
    // releasing claims): the rows the reconcilers may take, known before they race for them.
    await eventually(async () => (await rt.infra.db.query(
      `SELECT count(*)::int AS n FROM deliveries WHERE activation_id = $1 AND status = 'queued'
          AND sent_at < now() - interval '400 milliseconds' AND updated_at < now() - interval '400 milliseconds'`, [id],
    )).rows[0].n === 12, 'all 12 quiet for longer than afterMs', 20_000);
    const before = env.carrier.requests.length;
    const [a, b] = await Promise.all([reconciler().reconcile(), reconciler().reconcile()]);
    expect(a + b).toBe(12);
    const fetches = env.carrier.requests.slice(before).filter((r) => r.method === 'GET' && /\/Messages\/SM[0-9a-f]+\.json$/.test(r.path));
    expect(fetches).toHaveLength(12);
    expect(new Set(fetches.map((f) => f.path)).size).toBe(12);
    expect((await statusesOf(env, id)).every((r) => r.status === 'delivered')).toBe(true);
    const events = await rt.infra.db.query(
      `SELECT e.delivery_id, count(*)::int AS n FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
        WHERE d.activation_id = $1 AND e.status = 'delivered' GROUP BY e.delivery_id`, [id],
    );
    expect(events.rows.map((r) => r.n)).toEqual(Array(12).fill(1));
    // Just checked: a third round right away asks the carrier nothing.
    expect(await reconciler().reconcile()).toBe(0);
  });
});

describe('graceful stop of switchboard all in the middle of a paced fan-out', () => {
  const N = 40;
  let env: RuntimeWithCarrier;
  let next: Awaited<ReturnType<typeof startTestRuntime>> | null = null;
  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ SWEEP_INTERVAL_MS: '200' }, { web: true, worker: true });
  });
  afterAll(async () => {
    await next?.close();
    await env?.close();
  });

  it('sends nothing once the web side starts closing; the next process sends the rest once', { timeout: 90_000, retry: 0 }, async () => {
    const phones = Array.from({ length: N }, (_, i) => `+1646752${String(i).padStart(4, '0')}`);
    // The carrier takes 300 ms to accept each text: at any moment a few sends are in flight.
    for (const p of phones) env.carrier.setBehaviour(p, { acceptDelayMs: 300 });
    const id = await notify(env, 'Paced stop', phones, ['sms'], { smsPerSecond: 10 });
    await eventually(async () => env.carrier.messages.length >= 8, 'a few texts sent', 20_000);

    const app = env.t.rt.app!;
    const closeApp = app.close.bind(app);
    let webClosingAt = Number.POSITIVE_INFINITY;
    Object.assign(app, { close: async () => { webClosingAt = Date.now(); return closeApp(); } });
    await env.t.rt.stop();

    const atStop = env.carrier.messages.filter((m) => m.direction === 'outbound-api');
    expect(atStop.length).toBeLessThan(N);
    expect(atStop.filter((m) => m.dateCreated.getTime() >= webClosingAt).map((m) => m.to)).toEqual([]);
    const pool = new pg.Pool({ connectionString: env.t.config.DATABASE_URL, max: 1 });
    try {
      const rows = (await pool.query(`SELECT status, provider_id FROM deliveries WHERE activation_id = $1`, [id])).rows;
      // Every text at the carrier is recorded; nothing is left claimed; the rest waits to be sent.
      expect(rows.filter((r) => r.provider_id).map((r) => r.provider_id).sort()).toEqual(atStop.map((m) => m.sid).sort());
      expect(rows.filter((r) => !r.provider_id).every((r) => r.status === 'pending')).toBe(true);
    } finally {
      await pool.end();
    }

    next = await startTestRuntime({ TWILIO_API_URL: env.carrier.url, PUBLIC_URL: env.t.config.PUBLIC_URL, REDIS_PREFIX: env.t.config.REDIS_PREFIX, SWEEP_INTERVAL_MS: '200', DELIVERY_RECONCILE_AFTER_MS: '1000' },
      { web: true, worker: true }, { databaseUrl: env.t.config.DATABASE_URL });
    env.carrier.setGateway(await next.rt.listen(), env.t.config.PUBLIC_URL);
    await eventually(async () => (await activationStatus(next!, id)) === 'completed', 'activation completed by the next process', 40_000);
    const perNumber = new Map<string, number>();
    for (const m of env.carrier.messages) if (m.direction === 'outbound-api') perNumber.set(m.to, (perNumber.get(m.to) ?? 0) + 1);
    expect(perNumber.size).toBe(N);
    expect([...perNumber.values()].filter((n) => n !== 1)).toEqual([]);
  });
});
