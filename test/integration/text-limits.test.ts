/**
 * Issue 19: texts over the carrier's 1,600-character limit. Twilio refuses a longer Body (21617),
 * so Switchboard checks the rendered length wherever it is known (workflow save, activation with
 * placeholder values), shortens what a texter wrote to fit, and never hands the carrier a body
 * it would refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, signedPost, messageSid, type LineFixture, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow, deliveriesOf } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { notSentText } from '../../ivr/sms-replies.js';
import { createTestAccount } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';
// PUBLIC_URL/a/<10-character code>
const LINK = `${PUB}/a/`.length + 10;

describe('texts within the carrier limit', () => {
  let env: RuntimeWithCarrier;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  let group: string;
  let people: string[];
  let attachmentId: string;

  const sms = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');
  const notification = (message: string, extra: Record<string, unknown> = {}) =>
    ({ type: 'notification', groupIds: [group], message, channels: ['sms'], ...extra });
  const carrierPost = (body: string) => fetch(`${env.carrier.url}/2010-04-01/Accounts/${env.creds.accountSid}/Messages.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${env.creds.accountSid}:${env.creds.authToken}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ To: '+13125550999', From: line.phone, Body: body }).toString(),
  });

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ PUBLIC_URL: PUB, DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300' }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, acct.account.id, env.creds);
    people = [uniqueNumber(), uniqueNumber(), uniqueNumber()];
    const ids = await addPeople(env.t, acct.account.id, people.map((phone, i) => ({ name: `P${i}`, phone })));
    group = await addGroupOf(env.t, acct.account.id, 'Responders', ids);
    const up = await acct.api.post('/v1/attachments').attach('file', Buffer.from('%PDF-1.4 map'), { filename: 'map.pdf', contentType: 'application/pdf' }).expect(201);
    attachmentId = up.body.id;
    expect(up.body.shortUrl).toHaveLength(LINK);
  });
  afterAll(async () => env?.close());

  it('the carrier emulator refuses a body over 1,600 characters with 21617, as Twilio does', async () => {
    const over = await carrierPost('x'.repeat(1601));
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ code: 21617, status: 400 });
    // An emoji is two UTF-16 units: 799 of them plus 3 letters is 1,601.
    expect((await carrierPost(`${'🚨'.repeat(799)}abc`)).status).toBe(400);
    expect((await carrierPost('x'.repeat(1600))).status).toBe(201);
  });

  it('refuses to save a 1,600-character notification whose attachment link makes it longer, naming the field', async () => {
    const res = await acct.api.post('/v1/workflows').send({ name: 'Flood map', actions: [notification('m'.repeat(1600), { attachmentId })] }).expect(400);
    expect(res.body.details).toEqual([{
      path: 'actions.0.message',
      message: `the text is ${1601 + LINK} characters with the attachment link (${LINK}); the carrier accepts at most 1600: shorten it by ${1 + LINK}`,
    }]);
    // Room for the link: saved. E-mail only: the SMS limit does not apply.
    await acct.api.post('/v1/workflows').send({ name: 'Flood map', actions: [notification('m'.repeat(1599 - LINK), { attachmentId })] }).expect(201);
    await acct.api.post('/v1/workflows').send({ name: 'Flood mail', actions: [notification('m'.repeat(1600), { attachmentId, channels: ['email'] })] }).expect(201);
  });

  it('refuses a poll that does not fit with the message, and a message leaving under 160 characters for {{inbound_message}}', async () => {
    const poll = { question: 'Can you come?', options: ['Yes', 'No'], durationMinutes: 30 };
    const withPoll = await acct.api.post('/v1/workflows').send({ name: 'Roll call', actions: [notification('m'.repeat(1590), { poll })] }).expect(400);
    expect(withPoll.body.details[0]).toMatchObject({ path: 'actions.0.message', message: expect.stringMatching(/^the text is \d+ characters with the poll; the carrier accepts at most 1600/) });
    const tight = await acct.api.post('/v1/workflows').send({ name: 'Tight', actions: [notification(`${'m'.repeat(1450)} {{inbound_message}}`)] }).expect(400);
    expect(tight.body.details).toEqual([{
      path: 'actions.0.message',
      message: 'the text is 1451 characters, leaving 149 for {{inbound_message}}; leave at least 160 (shorten it by 11)',
    }]);
    await acct.api.post('/v1/workflows').send({ name: 'Roomy', actions: [notification(`${'m'.repeat(1439)} {{inbound_message}}`)] }).expect(201);
  });

  it('refuses an activation whose placeholder value makes the text too long (400 naming the placeholder), storing nothing', async () => {
    const wf = await acct.api.post('/v1/workflows').send({ name: 'Details', actions: [notification('Incident report follows: [[details]] ok')] }).expect(201);
    const res = await acct.api.post(`/v1/workflows/${wf.body.id}/activations`).send({ placeholders: { details: 'd'.repeat(1580) } }).expect(400);
    expect(res.body).toMatchObject({
      error: 'text_too_long',
      details: [{ path: 'placeholders.details', message: 'makes the text of actions.0 1608 characters; the carrier accepts at most 1600: shorten it by 8' }],
    });
    const rows = await env.t.rt.infra.db.query('SELECT count(*)::int AS n FROM activations WHERE workflow_id = $1', [wf.body.id]);
    expect(rows.rows[0].n).toBe(0);
    await acct.api.post(`/v1/workflows/${wf.body.id}/activations`).send({ placeholders: { details: 'd'.repeat(1572) } }).expect(201);
  });

  it('a long texted activation reaches everyone: what the texter wrote is shortened with … to fit', async () => {
    const wf = await acct.api.post('/v1/workflows').send({
      name: 'Gate Emergency', codeActivation: { lineId: line.id, code: 'RESQ' },
      actions: [notification('URGENT from the gate line. Caller says: {{inbound_message}} (reply to coordinate)')],
    }).expect(201);
    const sid = messageSid(7001);
    const words = `${'help at gate four '.repeat(87)}END`.slice(0, 1580);
    const res = await signedPost(env.t.http(), PUB, '/webhooks/twilio/sms', {
      MessageSid: sid, AccountSid: line.accountSid, From: '+13125550111', To: line.phone, Body: `RESQ ${words}`,
    }, { authToken: line.authToken }).expect(200);
    expect(res.text).toContain('Gate Emergency activated. Reaching 3 people.');
    const act = (await env.t.rt.infra.db.query('SELECT id, inbound_message FROM activations WHERE idempotency_key = $1', [`twilio:${sid}`])).rows[0];
    expect(act.inbound_message).toBe(words); // stored whole; only the texts are shortened
    await eventually(async () => (await activationStatus(env.t, act.id)) === 'completed', 'activation completed');
    await eventually(async () => (await deliveriesOf(env.t, act.id)).every((d) => d.status !== 'sent'), 'carrier callbacks');
    const rows = await deliveriesOf(env.t, act.id);
    expect(rows.map((d) => [d.status, d.error_code ?? null, d.meta.shortened])).toEqual(people.map(() => ['delivered', null, ['inbound_message']]));
    for (const phone of people) {
      const m = sms(phone).find((x) => x.body.startsWith('URGENT'));
      expect(m!.body).toHaveLength(1600);
      expect(m!.body.startsWith(`URGENT from the gate line. Caller says: ${words.slice(0, 1400)}`)).toBe(true);
      expect(m!.body.endsWith('… (reply to coordinate)')).toBe(true);
    }
  });

  it('tells the texter when every message of their activation failed at once; says nothing more when people were reached', async () => {
    const refused = [uniqueNumber(), uniqueNumber()];
    for (const n of refused) env.carrier.setBehaviour(n, { error: { status: 400, code: 21211 } });
    const g = await addGroupOf(env.t, acct.account.id, 'Unreachable', await addPeople(env.t, acct.account.id, refused.map((phone, i) => ({ name: `U${i}`, phone }))));
    await acct.api.post('/v1/workflows').send({
      name: 'Bridge Alarm', codeActivation: { lineId: line.id, code: 'BRDG' }, actions: [{ type: 'notification', groupIds: [g], message: 'Bridge: {{inbound_message}}', channels: ['sms'] }],
    }).expect(201);
    const texter = '+13125550122';
    const sid = messageSid(7002);
    const res = await signedPost(env.t.http(), PUB, '/webhooks/twilio/sms', { MessageSid: sid, AccountSid: line.accountSid, From: texter, To: line.phone, Body: 'BRDG fire on deck 2' }, { authToken: line.authToken }).expect(200);
    expect(res.text).toContain('Bridge Alarm activated. Reaching 2 people.');
    const act = (await env.t.rt.infra.db.query('SELECT id FROM activations WHERE idempotency_key = $1', [`twilio:${sid}`])).rows[0];
    await eventually(async () => (await activationStatus(env.t, act.id)) === 'completed', 'activation completed');
    expect((await deliveriesOf(env.t, act.id)).map((d) => [d.status, d.error_code])).toEqual([['failed', '21211'], ['failed', '21211']]);
    const report = await eventually(async () => sms(texter)[0], 'report to the texter');
    expect({ from: report.from, body: report.body }).toEqual({ from: line.phone, body: notSentText('Bridge Alarm') });
    expect(report.body).toBe('Bridge Alarm: sending failed, nobody was reached. Please get help another way.');
    const reports = (await env.t.rt.infra.db.query(`SELECT id, status, context FROM activations WHERE source = 'sender_report'`)).rows;
    expect(reports).toHaveLength(1);
    expect(reports[0].context).toMatchObject({ reportFor: act.id, caller: texter });
    await eventually(async () => (await activationStatus(env.t, reports[0].id)) === 'completed', 'report completed');
    // Told once: the report itself completing, or the activation's completion published again, sends nothing more.
    await env.t.rt.services.engine.feed.publish(acct.account.id, [{ type: 'activation', activationId: act.id, status: 'completed', recipientCount: 2, at: new Date().toISOString() }]);
    const sent = await env.t.rt.infra.db.query(`SELECT d.status FROM deliveries d JOIN activations a ON a.id = d.activation_id WHERE a.source = 'sender_report'`);
    expect(sent.rows).toHaveLength(1);
    expect(sms(texter)).toHaveLength(1);
    // The long texted activation above reached everyone: its texter got no such text.
    expect(sms('+13125550111')).toEqual([]);
  });

  it('never hands the carrier a text over 1,600 characters: the delivery fails as text_too_long, nothing is sent', async () => {
    // A workflow stored before these checks (or a long contact field) can still render too long.
    const phone = uniqueNumber();
    const [id] = await addPeople(env.t, acct.account.id, [{ name: 'Long', phone }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Long', [id!]);
    const wf = await addWorkflow(env.t, acct.account.id, { name: 'Old', actions: [{ id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'o'.repeat(1601), channels: ['sms'] }] });
    const before = env.carrier.requests.length;
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'activation completed');
    const [row] = await deliveriesOf(env.t, res.body.id);
    expect(row).toMatchObject({ status: 'failed', error_code: 'text_too_long', error_message: 'text is 1601 characters; the carrier accepts at most 1600: not sent' });
    expect(sms(phone)).toEqual([]);
    expect(env.carrier.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'))).toEqual([]);
  });
});
