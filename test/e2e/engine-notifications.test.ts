/**
 * The action engine end to end: API activation -> planner -> delivery workers -> the official
 * twilio SDK -> the carrier emulator -> signed status callbacks and outbound-call TwiML back.
 * Assertions are what people notice: who got which text, what each callee heard, what is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, type LineFixture, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow, deliveriesOf } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

describe('action engine: SMS notifications, skips, idempotency, carrier errors', () => {
  let env: RuntimeWithCarrier;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300' }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, acct.account.id, env.creds);
  });
  afterAll(async () => env?.close());

  const sms = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');

  it('texts each on-duty person once, skips opted-out / do-not-contact / no-phone with reasons, and completes', async () => {
    const [alice, bob, carol, eve] = [uniqueNumber(), uniqueNumber(), uniqueNumber(), uniqueNumber()] as const;
    const ids = await addPeople(env.t, acct.account.id, [
      { name: 'Alice', phone: alice },
      { name: 'Bob', phone: bob, optedOutChannels: ['sms'] },
      { name: 'Carol', phone: carol, doNotContact: true },
      { name: 'Dan', phone: null },
      { name: 'Eve', phone: eve, onDuty: false },
    ]);
    const g1 = await addGroupOf(env.t, acct.account.id, 'Responders', ids);
    const g2 = await addGroupOf(env.t, acct.account.id, 'Leads', [ids[0]!]); // Alice twice: texted once
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Gas leak',
      actions: [{ id: 'n1', type: 'notification', groupIds: [g1, g2], includeOffDuty: false, message: 'Gas leak at [[site]] ({{workflow_name}})', channels: ['sms'] }],
    });

    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'Depot 4' } }).expect(201);
    expect(res.body).toMatchObject({ workflowId: wf, source: 'api', placeholders: { site: 'Depot 4' } });
    const id = res.body.id as string;

    await eventually(async () => (await activationStatus(env.t, id)) === 'completed', 'activation completed');
    await eventually(async () => (await deliveriesOf(env.t, id)).find((d) => d.name === 'Alice')?.status === 'delivered', 'Alice delivered');
    expect(sms(alice).map((m) => ({ from: m.from, body: m.body }))).toEqual([{ from: line.phone, body: 'Gas leak at Depot 4 (Gas leak)' }]);
    for (const n of [bob, carol, eve]) expect(sms(n)).toEqual([]);

    const rows = await deliveriesOf(env.t, id);
    expect(rows.map((d) => [d.name, d.channel, d.status, d.skip_reason])).toEqual([
      ['Alice', 'sms', 'delivered', null],
      ['Bob', 'sms', 'skipped', 'opted_out_sms'],
      ['Carol', 'sms', 'skipped', 'do_not_contact'],
      ['Dan', 'sms', 'skipped', 'no_phone'],
    ]);
    expect(rows[0]!.provider_id).toBe(sms(alice)[0]!.sid);

    const detail = await acct.api.get(`/v1/activations/${id}`).expect(200);
    expect(detail.body).toMatchObject({ id, status: 'completed', recipientCount: 1, workflowName: 'Gas leak', counts: { delivered: 1, skipped: 3 } });
    const bobOut = detail.body.recipients.find((r: { name: string }) => r.name === 'Bob');
    expect(bobOut.deliveries).toEqual([expect.objectContaining({ actionId: 'n1', channel: 'sms', status: 'skipped', skipReason: 'opted_out_sms' })]);
  });

  it('same Idempotency-Key: first activation again and nothing re-sent; other body 422; missing placeholder 400', async () => {
    const phone = uniqueNumber();
    const ids = await addPeople(env.t, acct.account.id, [{ name: 'Fay', phone }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Idem', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Idem test', actions: [{ id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'Flood at [[site]] [[level]]', channels: ['sms'] }],
    });
    const missing = await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'A' } }).expect(400);
    expect(missing.body).toMatchObject({ error: 'missing_placeholders', details: [{ path: 'placeholders.level', message: 'is required' }] });

    const body = { placeholders: { site: 'A', level: '3' } };
    const first = await acct.api.post(`/v1/workflows/${wf}/activations`).set('idempotency-key', 'flood-1').send(body).expect(201);
    const again = await acct.api.post(`/v1/workflows/${wf}/activations`).set('idempotency-key', 'flood-1').send(body).expect(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await acct.api.post(`/v1/workflows/${wf}/activations`).set('idempotency-key', 'flood-1').send({ placeholders: { site: 'B', level: '3' } }).expect(422);
    expect(other.body.error).toBe('idempotency_key_reused');

    await eventually(async () => (await activationStatus(env.t, first.body.id)) === 'completed', 'completed');
    // The planner job queued again (a sweeper, a second process) plans nothing new and sends nothing new.
    await env.t.rt.services.engine.queues.activations.add('plan', { activationId: first.body.id }, { jobId: `${first.body.id}-replay` });
    await drained(env.t, { carrier: env.carrier });
    expect(sms(phone).map((m) => m.body)).toEqual(['Flood at A 3']);
    expect((await deliveriesOf(env.t, first.body.id)).length).toBe(1);
  });

  it('429 from the carrier slows the queue and the text still goes; a permanent refusal stores the carrier code', async () => {
    const slow = uniqueNumber();
    const invalid = uniqueNumber();
    const flaky = uniqueNumber();
    env.carrier.setBehaviour(slow, { error: { status: 429, code: 20429 }, errorTimes: 2 });
    env.carrier.setBehaviour(invalid, { error: { status: 400, code: 21211 } });
    env.carrier.setBehaviour(flaky, { error: { status: 500, code: 20500 }, errorTimes: 1 });
    const gone = uniqueNumber();
    env.carrier.setBehaviour(gone, { messageOutcome: 'undelivered', messageErrorCode: 30006 });
    const ids = await addPeople(env.t, acct.account.id, [
      { name: 'Slow', phone: slow }, { name: 'Invalid', phone: invalid }, { name: 'Flaky', phone: flaky }, { name: 'Gone', phone: gone },
    ]);
    const g = await addGroupOf(env.t, acct.account.id, 'Errors', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Errors', actions: [{ id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'Test', channels: ['sms'] }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed');
    const rows = await deliveriesOf(env.t, res.body.id);
    const by = Object.fromEntries(rows.map((d) => [d.name, d]));
    expect(by.Invalid).toMatchObject({ status: 'failed', error_code: '21211', attempts: 1 });
    expect(['queued', 'sent', 'delivered']).toContain(by.Slow.status);
    expect(by.Slow.attempts).toBe(1); // two 429s were not counted as attempts
    // ... but they slowed it: the queue paused (about a second) before trying again.
    expect(by.Slow.sent_at.getTime() - by.Slow.created_at.getTime()).toBeGreaterThanOrEqual(900);
    expect(['queued', 'sent', 'delivered']).toContain(by.Flaky.status);
    expect(by.Flaky.attempts).toBe(2);
    expect(sms(slow).length).toBe(1);
    expect(sms(flaky).length).toBe(1);
    expect(sms(invalid).length).toBe(0);
    // Accepted, then reported undelivered by the carrier's callback: failed with the carrier's code.
    await eventually(async () => (await deliveriesOf(env.t, res.body.id)).find((d) => d.name === 'Gone')?.status === 'failed', 'Gone failed');
    expect((await deliveriesOf(env.t, res.body.id)).find((d) => d.name === 'Gone')).toMatchObject({ error_code: '30006', attempts: 1 });
  });

  it("paces a line to its smsPerSecond, across the whole fan-out", async () => {
    const paced = await addTwilioLine(env.t, acct.account.id, { ...env.creds, settings: { smsPerSecond: 5 } });
    const phones = Array.from({ length: 6 }, () => uniqueNumber());
    const ids = await addPeople(env.t, acct.account.id, phones.map((phone, i) => ({ name: `P${i}`, phone })));
    const g = await addGroupOf(env.t, acct.account.id, 'Paced', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Paced', codeLineId: paced.id, actions: [{ id: 'n', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'Paced', channels: ['sms'] }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed');
    const times = phones.map((p) => sms(p)[0]!.dateCreated.getTime()).sort((a, b) => a - b);
    expect(phones.every((p) => sms(p).length === 1 && sms(p)[0]!.from === paced.phone)).toBe(true);
    // 6 texts at 5 per second: 5 intervals of 200 ms between the first and the last.
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(900);
  });
});
