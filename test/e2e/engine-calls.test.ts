/**
 * Calls Switchboard places, end to end through the SDK and the emulator playing the callee:
 * what each person heard, which DTMF was played, acknowledgements and poll answers by key press,
 * conference join, and the 2-minute retry (shortened here) that adds off-duty contacts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { addTwilioLine, callSid, type LineFixture, signedPost, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow, deliveriesOf } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

describe('action engine: voice, pager and conference calls', () => {
  let env: RuntimeWithCarrier;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ CONFERENCE_RETRY_AFTER_MS: '1500', SWEEP_INTERVAL_MS: '300' }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, acct.account.id, env.creds);
  });
  afterAll(async () => env?.close());

  const callsTo = (to: string) => env.carrier.calls.filter((c) => c.to === to && c.direction === 'outbound-api');
  const finished = (to: string, n = 1) => eventually(async () => {
    const calls = callsTo(to).filter((c) => c.transcript || ['no-answer', 'busy', 'failed'].includes(c.status));
    return calls.length >= n && calls;
  }, `${n} call(s) to ${to} finished`);

  it('speaks the notification twice, takes "1" as acknowledgement, then the poll answer by key press', async () => {
    const ann = uniqueNumber();
    const ben = uniqueNumber();
    env.carrier.setBehaviour(ann, { keys: ['1', '2'] });
    env.carrier.setBehaviour(ben, { keys: [] });
    const ids = await addPeople(env.t, acct.account.id, [{ name: 'Ann', phone: ann }, { name: 'Ben', phone: ben }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Voice', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Storm', codeLineId: line.id,
      actions: [{
        id: 'call', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'Storm warning for [[area]] & harbour', channels: ['voice'],
        poll: { question: 'Can you come in?', options: ['Yes', 'No'], durationMinutes: 30 },
      }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { area: 'North' } }).expect(201);
    const [annCall] = await finished(ann);
    const [benCall] = await finished(ben);

    const text = 'Storm warning for North & harbour';
    expect(annCall!.from).toBe(line.phone);
    expect(annCall!.transcript!.heard).toEqual([
      text, text, 'Press 1 to acknowledge this message.',
      'Thank you. Your acknowledgement has been recorded.', 'Can you come in?', 'For Yes, press 1. For No, press 2.',
      'Thank you. Your answer, No, has been recorded. Goodbye.',
    ]);
    expect(benCall!.transcript!.heard).toEqual([text, text, 'Press 1 to acknowledge this message.', 'No acknowledgement was received. Goodbye.']);

    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed');
    const rows = await eventually(async () => {
      const r = await deliveriesOf(env.t, res.body.id);
      return r.every((d) => d.status !== 'queued') && r;
    }, 'calls answered');
    expect(rows.map((d) => [d.name, d.channel, d.status])).toEqual([['Ann', 'voice', 'acknowledged'], ['Ben', 'voice', 'answered']]);
    expect(rows[0]!.provider_id).toBe(annCall!.sid);

    const polls = await acct.api.get(`/v1/activations/${res.body.id}/polls`).expect(200);
    expect(polls.body.data[0]).toMatchObject({ question: 'Can you come in?', options: [{ number: 1, count: 0 }, { number: 2, count: 1 }] });
    expect(polls.body.data[0].answers).toEqual([expect.objectContaining({ contactName: 'Ann', option: 2, channel: 'voice' })]);
  });

  it('dials each pager and plays its message as DTMF; people without a pager number are skipped', async () => {
    const pager = '+15550001234';
    const ids = await addPeople(env.t, acct.account.id, [{ name: 'Pam', pagerNumber: pager }, { name: 'Pete', phone: uniqueNumber() }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Pagers', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Page', actions: [{ id: 'pg', type: 'pager', groupIds: [g], includeOffDuty: false, lineId: line.id, message: '911w42#' }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    const [call] = await finished(pager);
    expect(call!.from).toBe(line.phone);
    expect(call!.transcript!.playedDigits).toEqual(['ww911w42#']);
    expect(call!.transcript!.heard).toEqual([]);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed');
    expect((await deliveriesOf(env.t, res.body.id)).map((d) => [d.name, d.status, d.skip_reason])).toEqual([
      ['Pam', 'answered', null],
      ['Pete', 'skipped', 'no_pager_number'],
    ]);
  });

  it('joins everyone who answers into one conference after the intro; no retry when someone answered', async () => {
    const [a, b] = [uniqueNumber(), uniqueNumber()];
    env.carrier.setBehaviour(b, { answer: 'no-answer' });
    const ids = await addPeople(env.t, acct.account.id, [{ name: 'Cat', phone: a }, { name: 'Cid', phone: b }, { name: 'Off', phone: uniqueNumber(), onDuty: false }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Bridge', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Bridge', actions: [{ id: 'conf', type: 'conference', groupIds: [g], includeOffDuty: false, lineId: line.id, intro: 'Incident bridge for [[site]]', retryWithOffDuty: true }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({ placeholders: { site: 'Dock' } }).expect(201);
    const [call] = await finished(a);
    expect(call!.from).toBe(line.phone);
    expect(call!.transcript!.heard).toEqual(['Incident bridge for Dock']);
    expect(call!.transcript!.conferences).toEqual([`switchboard-${res.body.id}-conf`]);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed after the retry check');
    const rows = await deliveriesOf(env.t, res.body.id);
    expect(rows.map((d) => [d.name, d.recipient_key.startsWith('retry-'), d.status])).toEqual([['Cat', false, 'answered'], ['Cid', false, 'no-answer']]);
    const timer = await env.t.rt.infra.db.query('SELECT outcome FROM engine_timers WHERE activation_id = $1', [res.body.id]);
    expect(timer.rows).toEqual([{ outcome: 'answered' }]);
  });

  it('nobody answered within the retry window: calls again with off-duty contacts included', async () => {
    const [a, off] = [uniqueNumber(), uniqueNumber()];
    env.carrier.setBehaviour(a, { answer: 'no-answer' });
    const ids = await addPeople(env.t, acct.account.id, [{ name: 'Dee', phone: a }, { name: 'Zed', phone: off, onDuty: false }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Bridge2', ids);
    const line2 = await addTwilioLine(env.t, acct.account.id, env.creds);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Bridge 2', actions: [{ id: 'conf', type: 'conference', groupIds: [g], includeOffDuty: false, lineId: line2.id, intro: 'Second bridge', retryWithOffDuty: true }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    const [offCall] = await finished(off);
    expect(offCall!.from).toBe(line2.phone);
    expect(offCall!.transcript!.conferences).toEqual([`switchboard-${res.body.id}-conf`]);
    await finished(a, 2);
    await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed');
    const rows = await deliveriesOf(env.t, res.body.id);
    expect(rows.map((d) => [d.name, d.recipient_key.startsWith('retry-'), d.status]).sort()).toEqual([
      ['Dee', false, 'no-answer'], ['Dee', true, 'no-answer'], ['Zed', true, 'answered'],
    ]);
  });

  it('outbound call TwiML is refused without a valid carrier signature; an unknown delivery hears a goodbye', async () => {
    const params = { CallSid: callSid(77), AccountSid: env.creds.accountSid, From: line.phone, To: '+15550007777', CallStatus: 'in-progress' };
    const path = '/webhooks/twilio/outbound/notify?delivery=00000000-0000-4000-8000-000000000000';
    await signedPost(env.t.http(), env.t.config.PUBLIC_URL, path, params, { signature: null }).expect(403);
    await signedPost(env.t.http(), env.t.config.PUBLIC_URL, path, params, { authToken: 'wrong-token' }).expect(403);
    const ok = await signedPost(env.t.http(), env.t.config.PUBLIC_URL, path, params, { authToken: env.creds.authToken }).expect(200);
    expect(ok.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, this call could not be connected. Goodbye.</Say><Hangup/></Response>');
  });

  it('streams each delivery change over the websocket (bearer header or access_token)', async () => {
    const phone = uniqueNumber();
    const ids = await addPeople(env.t, acct.account.id, [{ name: 'Wes', phone }]);
    const g = await addGroupOf(env.t, acct.account.id, 'Stream', ids);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'Stream', actions: [{ id: 'n', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'hello', channels: ['sms'] }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    const url = `${env.address.replace('http', 'ws')}/v1/activations/${res.body.id}/stream?access_token=${acct.key}`;
    const ws = new WebSocket(url);
    const seen: Array<Record<string, unknown>> = [];
    ws.on('message', (m) => seen.push(JSON.parse(String(m))));
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    await eventually(async () => seen.some((e) => e.type === 'delivery' && e.status === 'delivered'), 'delivered over the feed');
    ws.close();
    expect(seen[0]).toMatchObject({ type: 'snapshot', activationId: res.body.id });
    const statuses = seen.filter((e) => e.type === 'delivery').map((e) => e.status);
    expect(statuses).toContain('delivered');

    const denied = new WebSocket(`${env.address.replace('http', 'ws')}/v1/activations/${res.body.id}/stream`);
    const code = await new Promise<number>((r) => denied.once('unexpected-response', (_req, resp) => r(resp.statusCode ?? 0)));
    expect(code).toBe(401);
    const other = await createTestAccount(env.t);
    const foreign = new WebSocket(`${env.address.replace('http', 'ws')}/v1/activations/${res.body.id}/stream`, { headers: { authorization: `Bearer ${other.key}` } });
    const code2 = await new Promise<number>((r) => foreign.once('unexpected-response', (_req, resp) => r(resp.statusCode ?? 0)));
    expect(code2).toBe(404);
  });
});
