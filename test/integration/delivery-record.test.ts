/**
 * What is recorded of each delivery (issue 19): workflow sends in the contact's conversation
 * history (once) with the carrier's status, the carrier's SID on each delivery in the API, an
 * activation that is `dispatched` until every delivery is final (with counts per status), and
 * call callbacks ordered by the carrier's SequenceNumber. The carrier emulator accepts sends
 * but holds its own callbacks (an hour): the test posts each signed callback itself.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/db.js';
import { createReadyPlans } from '../../src/engine/ready-plans.js';
import { readyPlansRepo } from '../../src/engine/ready-plans-repo.js';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { addTwilioLine, signedPost, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow, deliveriesOf } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';

describe('delivery records: conversation history, carrier SID, activation progress, callback order', () => {
  let carrier: CarrierEmulator;
  let t: TestRuntime;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;

  beforeAll(async () => {
    const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', publicUrl: PUB, callbackDelayMs: 3_600_000 });
    t = await startTestRuntime({ TWILIO_API_URL: carrier.url, PUBLIC_URL: PUB, DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300', DELIVERY_STALE_AFTER_MS: '500' });
    carrier.setGateway(await t.rt.listen(), PUB);
    acct = await createTestAccount(t);
    line = await addTwilioLine(t, acct.account.id, creds);
  });
  afterAll(async () => {
    await t?.close();
    // The emulator's close() waits for its held callbacks (an hour): stop waiting once the gateway is gone.
    await Promise.race([carrier?.close(), new Promise((r) => setTimeout(r, 200))]);
  });

  const status = (params: Record<string, string>) =>
    signedPost(t.http(), PUB, '/webhooks/twilio/status', { AccountSid: line.accountSid, ApiVersion: '2010-04-01', From: line.phone, ...params }, { authToken: line.authToken });
  const textStatus = (sid: string, to: string, s: string, extra: Record<string, string> = {}) =>
    status({ MessageSid: sid, SmsSid: sid, To: to, MessageStatus: s, ...extra }).expect(200);
  const smsTo = (to: string) => carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');
  const handedOver = (activationId: string, n: number) =>
    eventually(async () => {
      const rows = await deliveriesOf(t, activationId);
      return rows.length === n && rows.every((d) => d.provider_id && d.status === 'queued') ? rows : null;
    }, `${n} deliveries handed to the carrier`);
  const smsWorkflow = async (name: string, contactIds: string[]) => {
    const g = await addGroupOf(t, acct.account.id, name, contactIds);
    return addWorkflow(t, acct.account.id, {
      name, actions: [{ id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: false, message: `${name}: [[site]]`, channels: ['sms'] }],
    });
  };
  const history = async (contactId: string) => (await acct.api.get(`/v1/contacts/${contactId}/messages`).expect(200)).body.data as Array<Record<string, unknown>>;

  it('puts every workflow text in the contact\'s conversation history once, and status callbacks move it on', async () => {
    const phone = uniqueNumber();
    const [alice] = await addPeople(t, acct.account.id, [{ name: 'Alice', phone }]);
    const wf = await smsWorkflow('Flood', [alice!]);
    const first = (await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'Pier 1' } }).expect(201)).body.id as string;
    const second = (await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'Pier 2' } }).expect(201)).body.id as string;
    const [d1] = await handedOver(first, 1);
    const [d2] = await handedOver(second, 1);

    // The planner job run again (sweeper, second process) records nothing twice.
    await t.rt.services.engine.queues.activations.add('plan', { activationId: first }, { jobId: `${first}-replay` });
    const q = t.rt.services.engine.queues.activations;
    await eventually(async () => Object.values(await q.getJobCounts('waiting', 'active', 'delayed')).every((n) => n === 0), 'plan queue drained');

    const queued = await history(alice!);
    expect(queued.map((m) => [m.direction, m.channel, m.from, m.to, m.body, m.status, m.activationId])).toEqual([
      ['outbound', 'sms', line.phone, phone, 'Flood: Pier 2', 'queued', second],
      ['outbound', 'sms', line.phone, phone, 'Flood: Pier 1', 'queued', first],
    ]);
    expect(smsTo(phone).map((m) => m.sid).sort()).toEqual([d1!.provider_id, d2!.provider_id].sort());

    await textStatus(d1!.provider_id, phone, 'sent');
    await textStatus(d1!.provider_id, phone, 'delivered');
    await textStatus(d2!.provider_id, phone, 'undelivered', { ErrorCode: '30003' });
    const after = await history(alice!);
    expect(after.map((m) => [m.body, m.status])).toEqual([['Flood: Pier 2', 'failed'], ['Flood: Pier 1', 'delivered']]);
    // A stale stage arriving late does not move the history back.
    await textStatus(d1!.provider_id, phone, 'sent');
    expect((await history(alice!)).map((m) => m.status)).toEqual(['failed', 'delivered']);
    const stored = await t.rt.infra.db.query('SELECT count(*)::int AS n FROM messages WHERE delivery_id = ANY($1::uuid[])', [[d1!.id, d2!.id]]);
    expect(stored.rows[0].n).toBe(2);
  });

  it("moves a rule send's history row on with the carrier's status, as for workflow sends", async () => {
    const phone = uniqueNumber();
    const [dora] = await addPeople(t, acct.account.id, [{ name: 'Dora', phone }]);
    const sent = await withTransaction(t.rt.infra.db, (tx) => createReadyPlans({ repo: readyPlansRepo }).activateReady(tx, {
      accountId: acct.account.id, source: 'rule', key: `rule:test-${dora}`, context: {},
      deliveries: [{ actionId: 'r1', channel: 'sms', recipientKey: dora!, contactId: dora!, address: phone, payload: { body: 'Rule says hi', lineId: line.id, from: line.phone }, meta: {}, history: true }],
    }));
    // Not dispatched here: the outbox sweeper queues it, as after a lost fast path.
    const [d] = await handedOver(sent.activationId!, 1);
    expect((await history(dora!)).map((m) => [m.body, m.status])).toEqual([['Rule says hi', 'queued']]);
    await textStatus(d!.provider_id, phone, 'delivered');
    expect((await history(dora!)).map((m) => [m.body, m.status])).toEqual([['Rule says hi', 'delivered']]);
  });

  it("shows the carrier's message SID on each delivery of the activation API, documented in OpenAPI", async () => {
    const phone = uniqueNumber();
    const [ben] = await addPeople(t, acct.account.id, [{ name: 'Ben', phone }]);
    const wf = await smsWorkflow('Sid check', [ben!]);
    const id = (await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'Gate' } }).expect(201)).body.id as string;
    await handedOver(id, 1);
    const detail = (await acct.api.get(`/v1/activations/${id}`).expect(200)).body;
    const sid = smsTo(phone)[0]!.sid;
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(detail.recipients[0].deliveries[0]).toMatchObject({ channel: 'sms', status: 'queued', providerMessageId: sid });

    const doc = (await t.http().get('/docs/json').expect(200)).body;
    const schema = doc.paths['/v1/activations/{id}'].get.responses['200'].content['application/json'].schema;
    const delivery = schema.properties.recipients.items.properties.deliveries.items;
    expect(delivery.properties.providerMessageId).toBeDefined();
    const list = doc.paths['/v1/activations'].get.responses['200'].content['application/json'].schema;
    expect(list.properties.data.items.properties.counts).toBeDefined();
    expect(list.properties.data.items.properties.status.enum).toContain('dispatched');
  });

  it('is dispatched while texts await the carrier and completed only when every delivery is final, with counts', async () => {
    const phones = [uniqueNumber(), uniqueNumber(), uniqueNumber()];
    const ids = await addPeople(t, acct.account.id, phones.map((phone, i) => ({ name: `Crew ${i}`, phone })));
    const wf = await smsWorkflow('Storm', ids);
    const id = (await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'Dock' } }).expect(201)).body.id as string;
    const rows = await handedOver(id, 3);
    await eventually(async () => (await activationStatus(t, id)) === 'dispatched', 'dispatched');

    const listed = async () => (await acct.api.get(`/v1/activations?workflowId=${wf}`).expect(200)).body.data[0];
    expect(await listed()).toMatchObject({ id, status: 'dispatched', completedAt: null, counts: { queued: 3 } });
    expect((await acct.api.get(`/v1/activations/${id}`).expect(200)).body).toMatchObject({ status: 'dispatched', completedAt: null, counts: { queued: 3 } });

    const byPhone = new Map(rows.map((d) => [d.address as string, d.provider_id as string]));
    await textStatus(byPhone.get(phones[0]!)!, phones[0]!, 'delivered');
    await textStatus(byPhone.get(phones[1]!)!, phones[1]!, 'sent');
    expect(await activationStatus(t, id)).toBe('dispatched');
    expect((await listed()).counts).toEqual({ queued: 1, sent: 1, delivered: 1 });
    await textStatus(byPhone.get(phones[1]!)!, phones[1]!, 'delivered');
    await textStatus(byPhone.get(phones[2]!)!, phones[2]!, 'failed', { ErrorCode: '30005' });

    expect(await activationStatus(t, id)).toBe('completed');
    const done = (await acct.api.get(`/v1/activations/${id}`).expect(200)).body;
    expect(done).toMatchObject({ status: 'completed', counts: { delivered: 2, failed: 1 } });
    expect(done.completedAt).not.toBeNull();
    expect((await listed()).counts).toEqual({ delivered: 2, failed: 1 });
  });

  it('the sweeper completes a dispatched activation whose last callback was recorded by a process that died before completing it', async () => {
    const ids = await addPeople(t, acct.account.id, [{ name: 'Late', phone: uniqueNumber() }]);
    const id = (await acct.api.post(`/v1/workflows/${await smsWorkflow('Gale', ids)}/activations`).send({ placeholders: { site: 'Pier' } }).expect(201)).body.id as string;
    await handedOver(id, 1);
    await eventually(async () => (await activationStatus(t, id)) === 'dispatched', 'dispatched');
    // The delivery's final status is stored, but the completing call never ran (the process died between).
    await t.rt.infra.db.query(`UPDATE deliveries SET status = 'delivered' WHERE activation_id = $1`, [id]);
    await t.rt.infra.db.query(`UPDATE activations SET created_at = now() - interval '1 minute' WHERE id = $1`, [id]);
    await eventually(async () => (await activationStatus(t, id)) === 'completed', 'completed by the sweeper');
  });

  it('keeps a newer call status when an older one (lower SequenceNumber) arrives late; the call is in the history', async () => {
    const phone = uniqueNumber();
    const [cara] = await addPeople(t, acct.account.id, [{ name: 'Cara', phone }]);
    const g = await addGroupOf(t, acct.account.id, 'Callers', [cara!]);
    const wf = await addWorkflow(t, acct.account.id, {
      name: 'Call out', actions: [{ id: 'v1', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'Report to base', channels: ['voice'] }],
    });
    const id = (await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201)).body.id as string;
    const [d] = await handedOver(id, 1);
    expect(d!.provider_id).toMatch(/^CA/);
    const call = (s: string, seq: string) => status({ CallSid: d!.provider_id, To: phone, CallStatus: s, Direction: 'outbound-api', SequenceNumber: seq }).expect(200);

    await call('in-progress', '3');
    await call('busy', '2');
    const [row] = await deliveriesOf(t, id);
    expect(row).toMatchObject({ status: 'answered', last_sequence: 3 });
    expect((await history(cara!)).map((m) => [m.channel, m.body, m.status])).toEqual([['voice', 'Report to base', 'answered']]);
  });
});
