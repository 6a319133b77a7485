/**
 * Line pacing as documented (docs/ENGINE.md, src/lines/line-settings.ts): a line with no
 * smsPerSecond is not paced by default; a line's own pace holds across worker processes (two
 * worker runtimes on one database and one Redis prefix share its send schedule).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('line pacing: unlimited by default, a line pace shared by every worker', () => {
  let env: RuntimeWithCarrier;
  let second: TestRuntime;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  // Batches of 2: the fan-out is spread over many jobs, taken by both workers.
  const engine = { DELIVERY_BATCH_SIZE: '2', SWEEP_INTERVAL_MS: '300' };

  beforeAll(async () => {
    env = await startRuntimeWithCarrier(engine, { web: true, worker: true });
    const c = env.t.config;
    second = await startTestRuntime(
      { ...engine, REDIS_PREFIX: c.REDIS_PREFIX, TWILIO_API_URL: c.TWILIO_API_URL!, PUBLIC_URL: c.PUBLIC_URL },
      { web: false, worker: true },
      { databaseUrl: (env.t as typeof env.t & { databaseUrl: string }).databaseUrl },
    );
    acct = await createTestAccount(env.t);
  });
  afterAll(async () => {
    await second?.close();
    await env?.close();
  });

  /** Texts `n` people from `line`; returns the carrier's receive times, sorted, and the activation id. */
  const fanOut = async (lineId: string, n: number, name: string) => {
    const phones = Array.from({ length: n }, () => uniqueNumber());
    const ids = await addPeople(env.t, acct.account.id, phones.map((phone, i) => ({ name: `${name}${i}`, phone })));
    const g = await addGroupOf(env.t, acct.account.id, name, ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name, codeLineId: lineId, actions: [{ id: 'n', type: 'notification', groupIds: [g], includeOffDuty: false, message: name, channels: ['sms'] }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', `${name} completed`);
    const texts = phones.map((p) => env.carrier.messages.filter((m) => m.to === p && m.direction === 'outbound-api'));
    expect(texts.every((t) => t.length === 1)).toBe(true);
    return { times: texts.map((t) => t[0]!.dateCreated.getTime()).sort((a, b) => a - b), activationId: res.body.id as string };
  };

  /** Deliveries the pacer put back for later (a `pending` event with a send slot). */
  const deferred = async (activationId: string) => (await env.t.rt.infra.db.query(
    `SELECT count(*)::int AS n FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id WHERE d.activation_id = $1 AND e.status = 'pending'`,
    [activationId],
  )).rows[0].n as number;

  it('a line without smsPerSecond is not paced', async () => {
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const { activationId } = await fanOut(line.id, 8, 'Free');
    expect(await deferred(activationId)).toBe(0);
  });

  it('a line at 4 texts per second keeps that pace with two worker processes', async () => {
    const line = await addTwilioLine(env.t, acct.account.id, { ...env.creds, settings: { smsPerSecond: 4 } });
    const { times, activationId } = await fanOut(line.id, 8, 'Paced');
    // 8 texts at 4 per second: 7 gaps of 250 ms (each worker alone at 4/s would take about half).
    expect(times[7]! - times[0]!).toBeGreaterThanOrEqual(1600);
    expect(await deferred(activationId)).toBeGreaterThan(0);
  });
});
