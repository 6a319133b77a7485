/**
 * Lanes (docs/ENGINE.md): a small activation's texts reach the carrier while a large fan-out is
 * still in flight, and per-line pacing holds across both lanes. The carrier sits behind a gate
 * that holds every text from the broadcast line until released: with the broadcast holding
 * every bulk send slot at a stalled carrier, the emergency must still get through (before the
 * lanes it waited behind the broadcast's batches, for ever here). Order and counts at the
 * carrier emulator, not timings.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { createEngineQueues, type EngineQueues } from '../../src/engine/queues.js';
import { addTwilioLine, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** An HTTP proxy to the carrier that holds requests whose `From` is `heldFrom` until `release()`. */
const startGate = async (target: string) => {
  let heldFrom: string | null = null;
  const held: Array<() => void> = [];
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => {
    const out = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    out.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const from = new URLSearchParams(body.toString()).get('From');
      if (heldFrom !== null && from === heldFrom) held.push(() => forward(req, body, res));
      else forward(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hold(from: string) { heldFrom = from; },
    held: () => held.length,
    release() { heldFrom = null; for (const f of held.splice(0)) f(); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
};

describe('delivery lanes: a second emergency does not wait behind a broadcast', () => {
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  let carrier: CarrierEmulator;
  let gate: Awaited<ReturnType<typeof startGate>>;
  let t: TestRuntime;
  let accountId: string;
  let queues: EngineQueues;
  // Batches of 10 (an activation of at most 10 texts takes the urgent lane), 20 bulk sends in flight.
  const engine = { DELIVERY_BATCH_SIZE: '10', DELIVERY_MAX_IN_FLIGHT: '20', WORKER_CONCURRENCY: '10' };

  beforeAll(async () => {
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', publicUrl: 'http://switchboard.test' });
    gate = await startGate(carrier.url);
    t = await startTestRuntime({ ...engine, TWILIO_API_URL: gate.url, PUBLIC_URL: 'http://switchboard.test' }, { web: false, worker: true });
    accountId = (await createTestAccount(t)).account.id;
    queues = createEngineQueues(t.rt.infra.redis, { prefix: t.config.REDIS_PREFIX, lockMs: t.config.QUEUE_LOCK_MS });
  });
  afterAll(async () => {
    gate?.release();
    await queues?.close();
    await t?.close();
    await gate?.close();
    await carrier?.close();
  });

  /** A workflow texting `n` new people from `lineId`; returns their numbers and the workflow id. */
  const textWorkflow = async (lineId: string, n: number, name: string) => {
    const phones = Array.from({ length: n }, () => uniqueNumber());
    const ids = await addPeople(t, accountId, phones.map((phone, i) => ({ name: `${name}${i}`, phone })));
    const group = await addGroupOf(t, accountId, name, ids);
    const workflowId = await addWorkflow(t, accountId, {
      name, codeLineId: lineId, actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: name, channels: ['sms'] }],
    });
    return { phones, workflowId };
  };
  const activate = async (workflowId: string) => (await t.rt.services.activations.activate({
    accountId, workflowId, source: 'api', idempotencyKey: `lanes:${randomBytes(6).toString('hex')}`, placeholders: {},
  })).activation.id;
  /** Texts the carrier took for each number (outbound only). */
  const textsTo = (phones: string[]) => phones.map((p) => carrier.messages.filter((m) => m.to === p && m.direction === 'outbound-api').length);
  const queuesIdle = async () => {
    for (const q of [queues.deliveries, queues.urgent]) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(c).some((n) => Number(n) > 0)) return false;
    }
    return true;
  };

  it("a team's alarm reaches the carrier while a 200-recipient broadcast holds every bulk send slot", async () => {
    const broadcastLine = await addTwilioLine(t, accountId, creds);
    const alarmLine = await addTwilioLine(t, accountId, creds);
    const broadcast = await textWorkflow(broadcastLine.id, 200, 'Broadcast');
    const alarm = await textWorkflow(alarmLine.id, 3, 'Alarm');

    gate.hold(broadcastLine.phone);
    const broadcastId = await activate(broadcast.workflowId);
    // Every bulk send slot of the worker is taken by a broadcast text the carrier has not answered.
    await eventually(async () => gate.held() === 20, 'the broadcast holding all 20 bulk send slots');

    const alarmId = await activate(alarm.workflowId);
    await eventually(async () => textsTo(alarm.phones).every((n) => n === 1), 'the alarm texts at the carrier');
    // The broadcast is still in flight: none of its texts has reached the carrier yet.
    expect(textsTo(broadcast.phones).reduce((a, b) => a + b, 0)).toBe(0);
    expect(gate.held()).toBe(20);

    gate.release();
    await eventually(async () => textsTo(broadcast.phones).every((n) => n > 0), 'every broadcast text at the carrier', 60_000);
    await eventually(async () => ['dispatched', 'completed'].includes(await activationStatus(t, broadcastId)) && (await queuesIdle()), 'the work drained', 30_000);
    expect(textsTo(broadcast.phones).every((n) => n === 1)).toBe(true);
    expect(textsTo(alarm.phones)).toEqual([1, 1, 1]);
    expect(['dispatched', 'completed']).toContain(await activationStatus(t, alarmId));
  });

  /** Every job the urgent lane has held (kept an hour once done): a job added shows here. */
  const urgentJobsEver = async () => Object.values(await queues.urgent.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'))
    .reduce((a, b) => a + Number(b), 0);

  it('the process that plans a small activation sends it at once, with no queue job; with every urgent slot busy the next one is queued and sent once', async () => {
    const line = await addTwilioLine(t, accountId, creds);
    const before = await urgentJobsEver();
    const alarm = await textWorkflow(line.id, 3, 'InlineAlarm');
    await activate(alarm.workflowId);
    await eventually(async () => textsTo(alarm.phones).every((n) => n === 1), 'the alarm texts at the carrier');
    await eventually(queuesIdle, 'the work drained');
    expect(textsTo(alarm.phones)).toEqual([1, 1, 1]);
    expect(await urgentJobsEver()).toBe(before);

    // Eight alarms held at the carrier take the worker's eight urgent claim slots.
    const heldLine = await addTwilioLine(t, accountId, creds);
    const held = [];
    for (let i = 0; i < 8; i++) held.push(await textWorkflow(heldLine.id, 1, `HeldAlarm${i}`));
    gate.hold(heldLine.phone);
    for (const h of held) await activate(h.workflowId);
    await eventually(async () => gate.held() === 8, 'eight alarms held at the carrier');
    const queuedBefore = await urgentJobsEver();
    const next = await textWorkflow(line.id, 2, 'QueuedAlarm');
    await activate(next.workflowId);
    await eventually(async () => (await urgentJobsEver()) > queuedBefore, 'the next alarm queued on the urgent lane');
    gate.release();
    const phones = [...held.flatMap((h) => h.phones), ...next.phones];
    await eventually(async () => textsTo(phones).every((n) => n > 0), 'every alarm text at the carrier');
    await eventually(queuesIdle, 'the work drained');
    expect(textsTo(phones)).toEqual(phones.map(() => 1));
  });

  it("one paced line keeps its pace across a broadcast and two alarms on both lanes", async () => {
    const line = await addTwilioLine(t, accountId, { ...creds, settings: { smsPerSecond: 5 } });
    const broadcast = await textWorkflow(line.id, 14, 'PacedBroadcast');
    const alarms = [await textWorkflow(line.id, 3, 'PacedAlarmA'), await textWorkflow(line.id, 3, 'PacedAlarmB')];
    await activate(broadcast.workflowId);
    for (const a of alarms) await activate(a.workflowId);
    const phones = [...broadcast.phones, ...alarms.flatMap((a) => a.phones)];
    await eventually(async () => textsTo(phones).every((n) => n > 0), 'all 20 texts at the carrier', 30_000);
    await eventually(queuesIdle, 'the work drained');
    expect(textsTo(phones).every((n) => n === 1)).toBe(true);
    const times = carrier.messages.filter((m) => m.from === line.phone).map((m) => m.dateCreated.getTime()).sort((a, b) => a - b);
    expect(times).toHaveLength(20);
    // 20 texts at 5 per second: 19 gaps of 200 ms (3.8 s; a text is never sent before its slot,
    // so only a late first one shortens the span). Each lane alone would book its own slots.
    expect(times[19]! - times[0]!).toBeGreaterThanOrEqual(3400);
  });
});
