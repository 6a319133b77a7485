/**
 * Texts whose outcome the worker did not learn are never sent twice:
 * - A live worker's sends are never "in doubt": while a slow carrier takes longer than
 *   SEND_IN_DOUBT_AFTER_MS to accept texts, the sweeper must not take the rows over (it would find
 *   nothing at the carrier yet, queue them again, and every recipient would get the text twice).
 *   The worker keeps its claims fresh while it holds them; only a dead or stalled worker's rows age.
 * - A carrier that accepted a text but whose answer was lost (connection reset) is asked before
 *   the retry, which records the text it already has instead of sending another; a text that
 *   belongs to another delivery (same words, same person, another activation) is not taken for it.
 * - A call placed although the carrier's answer was lost is recorded by its first status callback
 *   before the retry is due, so the person is not called twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { activationStatus, addCrowd, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

const N = 6;
const IN_DOUBT_MS = 600;

describe('action engine: slow carrier, live worker', () => {
  let env: RuntimeWithCarrier;

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ SEND_IN_DOUBT_AFTER_MS: String(IN_DOUBT_MS), SWEEP_INTERVAL_MS: '100', DELIVERY_BACKOFF_MS: '100', CALL_RETRY_AFTER_DOUBT_MS: '1500', SMS_LOOKUP_AFTER_DOUBT_MS: '1000' }, { web: true, worker: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('sends each text once when the carrier takes 4x the in-doubt window to accept it', { timeout: 60_000, retry: 0 }, async () => {
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const phone = (i: number) => `+1646${String(7_000_000 + i).padStart(7, '0')}`;
    for (let i = 0; i < N; i++) env.carrier.setBehaviour(phone(i), { acceptDelayMs: IN_DOUBT_MS * 4 });
    const group = await addCrowd(env.t, acct.account.id, N, phone);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Slow', codeLineId: line.id, actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Gas leak at depot', channels: ['sms'] }],
    });

    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'activation completed', 30_000);
    // Until any second copy queued by a takeover has reached the carrier as well.
    await drained(env.t, { carrier: env.carrier });

    const texts = env.carrier.messages.filter((m) => m.direction === 'outbound-api');
    const perNumber = new Map<string, number>();
    for (const m of texts) perNumber.set(m.to, (perNumber.get(m.to) ?? 0) + 1);
    expect([...perNumber.entries()].sort()).toEqual(Array.from({ length: N }, (_, i) => [phone(i), 1]).sort());
    const rows = await env.t.rt.infra.db.query(
      `SELECT status, provider_id, meta ? 'reconciled' AS reconciled FROM deliveries WHERE activation_id = $1`, [res.body.id],
    );
    expect(rows.rows).toHaveLength(N);
    for (const r of rows.rows) {
      expect(['queued', 'sent', 'delivered']).toContain(r.status);
      expect(texts.map((m) => m.sid)).toContain(r.provider_id);
      expect(r.reconciled).toBe(false); // stored by the worker that sent it, not taken over
    }
  });

  it('asks the carrier before retrying a text whose answer was lost, and does not send it again', { timeout: 60_000, retry: 0 }, async () => {
    env.carrier.reset();
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const phone = (i: number) => `+1646${String(7_100_000 + i).padStart(7, '0')}`;
    // The first two are accepted but their answers are lost; the third is answered normally.
    env.carrier.setBehaviour(phone(0), { dropResponseTimes: 1 });
    env.carrier.setBehaviour(phone(1), { dropResponseTimes: 1 });
    const group = await addCrowd(env.t, acct.account.id, 3, phone);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Lost answers', codeLineId: line.id, actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Flood warning', channels: ['sms'] }],
    });

    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'activation completed', 30_000);

    const texts = env.carrier.messages.filter((m) => m.direction === 'outbound-api');
    expect(texts.map((m) => m.to).sort()).toEqual([phone(0), phone(1), phone(2)]);
    const rows = await env.t.rt.infra.db.query(
      `SELECT address, status, provider_id, attempts, error_code, meta ? 'reconciled' AS reconciled FROM deliveries WHERE activation_id = $1 ORDER BY address`, [res.body.id],
    );
    const sidOf = (to: string) => texts.find((m) => m.to === to)!.sid;
    expect(rows.rows.map((r) => [r.address, r.provider_id, r.reconciled, r.attempts])).toEqual([
      [phone(0), sidOf(phone(0)), true, 2], // attempt 1 lost its answer; attempt 2 found the text at the carrier
      [phone(1), sidOf(phone(1)), true, 2],
      [phone(2), sidOf(phone(2)), false, 1],
    ]);
    expect(rows.rows.every((r) => ['queued', 'sent', 'delivered'].includes(r.status))).toBe(true);
  });

  it('does not take another activation\'s identical text for its own when the carrier never got it', { timeout: 60_000, retry: 0 }, async () => {
    env.carrier.reset();
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const phone = '+16467200000';
    const group = await addCrowd(env.t, acct.account.id, 1, () => phone);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Twice', codeLineId: line.id, actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Shelter in place', channels: ['sms'] }],
    });
    const first = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, first.body.id)) === 'completed', 'first activation completed', 30_000);

    // The second activation's first attempt gets a carrier 500 (maybe sent, but it was not): its
    // retry finds the first activation's identical text at the carrier and must not claim it.
    env.carrier.setBehaviour(phone, { error: { status: 500, code: 20500 }, errorTimes: 1 });
    const second = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, second.body.id)) === 'completed', 'second activation completed', 30_000);

    const texts = env.carrier.messages.filter((m) => m.direction === 'outbound-api');
    expect(texts.map((m) => [m.to, m.body])).toEqual([[phone, 'Shelter in place'], [phone, 'Shelter in place']]);
    const rows = await env.t.rt.infra.db.query(
      `SELECT activation_id, provider_id, attempts FROM deliveries WHERE activation_id = ANY($1::uuid[])`, [[first.body.id, second.body.id]],
    );
    const byActivation = new Map(rows.rows.map((r) => [r.activation_id, r]));
    expect(byActivation.get(first.body.id)).toMatchObject({ provider_id: texts[0]!.sid, attempts: 1 });
    expect(byActivation.get(second.body.id)).toMatchObject({ provider_id: texts[1]!.sid, attempts: 2 });
  });

  it('does not call again when the carrier placed the call but its answer was lost', { timeout: 60_000, retry: 0 }, async () => {
    env.carrier.reset();
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const phone = '+16467300000';
    // Placed, answer lost, and the carrier's first callback lags 0.8 s: the retry (1.5 s) must wait for it.
    env.carrier.setBehaviour(phone, { dropResponseTimes: 1, callbackLagMs: 800 });
    const group = await addCrowd(env.t, acct.account.id, 1, () => phone);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Call once', codeLineId: line.id, actions: [{ id: 'c', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Fire alarm in block C', channels: ['voice'] }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'activation completed', 30_000);
    await drained(env.t, { carrier: env.carrier }); // past the retry that a lost answer schedules (1.5 s)

    const calls = env.carrier.calls.filter((c) => c.to === phone);
    expect(calls).toHaveLength(1);
    const rows = await env.t.rt.infra.db.query(`SELECT status, provider_id, attempts FROM deliveries WHERE activation_id = $1`, [res.body.id]);
    expect(rows.rows).toEqual([expect.objectContaining({ provider_id: calls[0]!.sid, attempts: 1 })]);
    expect(['answered', 'acknowledged']).toContain(rows.rows[0].status);
  });
});
