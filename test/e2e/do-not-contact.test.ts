/**
 * Do-not-contact and SMS opt-outs on every send path: a number on the account's DNC list (the
 * contact not flagged) or one that texted STOP (before it was a contact) is refused right before
 * sending, with the reason stored on the delivery, whatever planned the row: workflow
 * notifications (SMS, voice), pagers, sequence steps, rule actions and post-call texts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/db.js';
import { readyPlansRepo } from '../../src/engine/ready-plans-repo.js';
import { sendingLinesRepo } from '../../src/engine/sending-lines-repo.js';
import { createRuleDeliverySender } from '../../src/rules/rule-delivery-sender.js';
import { createSequenceSender } from '../../src/sequences/sequence-sender.js';
import { optOutSms } from '../../src/telephony/sms-opt-outs-repo.js';
import { createTrackingSends } from '../../src/tracking/tracking-sends.js';
import { addTwilioLine, type LineFixture, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow, deliveriesOf } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

describe('do-not-contact and SMS opt-outs are honoured on every send path', () => {
  let env: RuntimeWithCarrier;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300' }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, acct.account.id, env.creds);
  });
  afterAll(async () => env?.close());

  const db = () => env.t.rt.infra.db;
  const texts = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');
  const calls = (to: string) => env.carrier.calls.filter((c) => c.to === to);
  const stopped = async (phone: string) => optOutSms(db(), acct.account.id, phone, 'STOP', line.id);

  it('workflow activation: a listed number (contact not flagged) is skipped on SMS, voice and pager; a STOP number on SMS only', async () => {
    const [ann, ben, cat, deePager] = [uniqueNumber(), uniqueNumber(), uniqueNumber(), uniqueNumber()] as const;
    // Listed / opted out before they were contacts: the contact rows carry no flag at all.
    await acct.api.post('/v1/dnc').send({ phone: ann }).expect(201);
    await acct.api.post('/v1/dnc').send({ phone: deePager }).expect(201);
    await stopped(ben);
    const ids = await addPeople(env.t, acct.account.id, [
      { name: 'Ann', phone: ann }, { name: 'Ben', phone: ben }, { name: 'Cat', phone: cat }, { name: 'Dee', pagerNumber: deePager },
    ]);
    const flags = await db().query('SELECT do_not_contact, opted_out_channels FROM contacts WHERE id = ANY($1)', [ids]);
    expect(flags.rows.every((r) => !r.do_not_contact && r.opted_out_channels.length === 0)).toBe(true);
    const people = await addGroupOf(env.t, acct.account.id, 'People', ids.slice(0, 3));
    const pagers = await addGroupOf(env.t, acct.account.id, 'Pagers', [ids[3]!]);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Storm',
      actions: [
        { id: 'n1', type: 'notification', groupIds: [people], includeOffDuty: false, message: 'Storm warning', channels: ['sms', 'voice'] },
        { id: 'p1', type: 'pager', groupIds: [pagers], includeOffDuty: false, message: '911' },
      ],
    });

    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    const id = res.body.id as string;
    await eventually(async () => (await deliveriesOf(env.t, id)).find((d) => d.name === 'Cat' && d.channel === 'sms')?.status === 'delivered', 'Cat texted');
    await eventually(async () => (await deliveriesOf(env.t, id)).filter((d) => d.status === 'skipped').length === 4, 'refusals stored');

    const rows = await deliveriesOf(env.t, id);
    expect(rows.filter((d) => d.status === 'skipped').map((d) => [d.name, d.channel, d.skip_reason])).toEqual([
      ['Ann', 'sms', 'do_not_contact'], ['Ann', 'voice', 'do_not_contact'], ['Ben', 'sms', 'opted_out_sms'], ['Dee', 'pager', 'do_not_contact'],
    ]);
    expect(rows.filter((d) => d.status !== 'skipped').map((d) => [d.name, d.channel])).toEqual([['Ben', 'voice'], ['Cat', 'sms'], ['Cat', 'voice']]);
    await eventually(async () => calls(cat).length === 1 && calls(ben).length === 1, 'Ben and Cat called');
    await drained(env.t, { carrier: env.carrier });
    expect(texts(ann)).toEqual([]);
    expect(calls(ann)).toEqual([]);
    expect(texts(ben)).toEqual([]);
    expect(calls(deePager)).toEqual([]);
    expect(texts(cat).map((m) => m.body)).toEqual(['Storm warning']);

    const detail = await acct.api.get(`/v1/activations/${id}`).expect(200);
    const annOut = detail.body.recipients.find((r: { name: string }) => r.name === 'Ann');
    expect(annOut.deliveries.map((d: { channel: string; status: string; skipReason: string }) => [d.channel, d.status, d.skipReason]))
      .toEqual(expect.arrayContaining([['sms', 'skipped', 'do_not_contact'], ['voice', 'skipped', 'do_not_contact']]));
    const events = await db().query(`SELECT e.status, e.detail FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id WHERE d.activation_id = $1 AND d.contact_id = $2`, [id, ids[0]]);
    expect(events.rows).toEqual(expect.arrayContaining([{ status: 'skipped', detail: { skipReason: 'do_not_contact' } }]));
    await eventually(async () => ['completed', 'running'].includes(await activationStatus(env.t, id)), 'activation settled');
  });

  it('sequence steps, rule actions and post-call texts are refused too, and their conversation rows say skipped', async () => {
    const [listed, stop] = [uniqueNumber(), uniqueNumber()] as const;
    await acct.api.post('/v1/dnc').send({ phone: listed }).expect(201);
    await stopped(stop);
    const [listedId, stopId] = await addPeople(env.t, acct.account.id, [{ name: 'Lia', phone: listed }, { name: 'Sam', phone: stop }]);
    const contact = (id: string, name: string, phone: string) => ({
      id, name, phone, email: null, timezone: null, onDuty: true, status: 'active', doNotContact: false, optedOutChannels: [], customFields: {},
    });
    const sms = { body: 'Hello', lineId: line.id, from: line.phone };

    const { ids, activations } = await withTransaction(db(), async (tx) => {
      const seq = await createSequenceSender({ readyPlans: readyPlansRepo, sendingLines: sendingLinesRepo }).send(tx, {
        accountId: acct.account.id, sequenceId: randomUUID(), enrollmentId: randomUUID(), version: 1, contact: contact(stopId!, 'Sam', stop),
        placeholders: {}, defaultLineId: line.id, step: { id: 's1', type: 'send', send: { channel: 'sms', message: 'Day 1 reminder' } },
      });
      const rule = await createRuleDeliverySender({ readyPlans: readyPlansRepo }).send(tx, {
        accountId: acct.account.id, key: `rule:${randomUUID()}`, actionId: 'rule-x', channel: 'voice', contactId: listedId!,
        recipientKey: listedId!, address: listed, payload: { text: 'Call back', lineId: line.id, from: line.phone }, context: {},
      });
      const tracked = await createTrackingSends({ readyPlans: readyPlansRepo }).send(tx, {
        accountId: acct.account.id, key: `tracking:${randomUUID()}`, lineId: line.id, context: {},
        deliveries: [{ actionId: 't1', channel: 'sms', recipientKey: 'caller', contactId: null, address: listed, payload: sms }],
      });
      expect(seq.status).toBe('queued'); // the contact row carries no flag: only the send-time check knows
      return {
        ids: [seq.status === 'queued' ? seq.deliveryId : '', rule.deliveryId, ...Object.values(tracked.deliveryIds)],
        activations: [seq.status === 'queued' ? seq.activationId! : '', rule.activationId, tracked.activationId],
      };
    });
    await env.t.rt.services.engine.dispatcher.dispatch(activations);

    const rows = async () => (await db().query('SELECT id, channel, status, skip_reason FROM deliveries WHERE id = ANY($1)', [ids])).rows;
    await eventually(async () => {
      const r = await rows();
      return r.length === 3 && r.every((d) => d.status === 'skipped');
    }, 'all three refused');
    const byId = new Map((await rows()).map((r) => [r.id, [r.channel, r.skip_reason]]));
    expect(ids.map((i) => byId.get(i))).toEqual([['sms', 'opted_out_sms'], ['voice', 'do_not_contact'], ['sms', 'do_not_contact']]);
    expect(texts(stop)).toEqual([]);
    expect(texts(listed)).toEqual([]);
    expect(calls(listed)).toEqual([]);
    const history = await acct.api.get(`/v1/contacts/${stopId}/messages`).expect(200);
    expect(history.body.data.map((m: { body: string; status: string }) => [m.body, m.status])).toEqual([['Day 1 reminder', 'skipped']]);
  });
});
