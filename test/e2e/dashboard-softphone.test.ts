/**
 * The softphone API plays the carrier step by step against this gateway's own signed webhooks:
 * what the caller hears, keyed codes, a simulated voice message, texts; plus the member policy
 * (members activate and use the softphone, admins configure) and the conversation history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PASSWORD = 'member-password-1';

describe('softphone API and member policy', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  let line: { id: string; phoneNumber: string };
  let contact: { id: string; phone: string };
  let groupId: string;

  beforeAll(async () => {
    t = await startTestRuntime({ PUBLIC_URL: 'https://sb.example.test' });
    a = await createTestAccount(t, 'Quay Rescue');
    line = (await a.api.post('/v1/lines').send({ phoneNumber: '+14155550188', name: 'Quay', provider: 'simulator' }).expect(201)).body;
    contact = (await a.api.post('/v1/contacts').send({ name: 'Ines Ilić', phone: '+14155550111' }).expect(201)).body;
    groupId = (await a.api.post('/v1/groups').send({ name: 'Crew' }).expect(201)).body.id;
    await a.api.post(`/v1/groups/${groupId}/members`).send({ contactIds: [contact.id] }).expect(200);
    await a.api.post('/v1/workflows').send({
      name: 'Man overboard', codeActivation: { lineId: line.id, code: 'RESQ', askVoiceMessage: true, maxRecordingSeconds: 30 },
      actions: [{ type: 'notification', groupIds: [groupId], message: 'Man overboard. Message: {{recording_url}}', channels: ['sms'] }],
    }).expect(201);
  });
  afterAll(async () => t?.close());

  it('calls the line, keys the code, leaves a voice message, and the activation holds a playable recording', async () => {
    const start = await a.api.post('/v1/softphone/calls').send({ lineId: line.id, from: contact.phone }).expect(200);
    expect(start.body).toMatchObject({
      callSid: expect.stringMatching(/^CA[0-9a-f]{32}$/), ended: false,
      events: [{ kind: 'say', text: 'Welcome to Switchboard. Please enter your four character code.' }],
      waiting: { kind: 'gather', numDigits: 4 },
    });
    const keyed = await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: start.body.state, input: { kind: 'digits', digits: '7377' } }).expect(200);
    expect(keyed.body.events[0]).toEqual({ kind: 'you', text: 'pressed 7377' });
    expect(keyed.body.waiting).toMatchObject({ kind: 'record', maxLength: 30 });
    expect(keyed.body.events).toContainEqual({ kind: 'beep' });

    const done = await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: keyed.body.state, input: { kind: 'voicemail', seconds: 6 } }).expect(200);
    expect(done.body).toMatchObject({ ended: true, state: null });
    expect(done.body.events).toContainEqual({ kind: 'say', text: 'Man overboard has been activated. Reaching 1 person. Goodbye.' });

    const list = await a.api.get('/v1/activations?source=ivr').expect(200);
    expect(list.body.data).toHaveLength(1);
    const act = list.body.data[0];
    expect(act.recordingUrl).toMatch(/^https:\/\/sb\.example\.test\/softphone\/recordings\/RE[0-9a-f]{32}$/);
    const wav = await t.http().get(new URL(act.recordingUrl).pathname).expect(200);
    expect(wav.headers['content-type']).toBe('audio/wav');
    expect(Buffer.from(wav.body).subarray(0, 4).toString()).toBe('RIFF');

    // The same state token again is the same step for the gateway: the CallSid keeps it to one activation.
    await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: start.body.state, input: { kind: 'digits', digits: '7377' } }).expect(200);
    expect((await a.api.get('/v1/activations?source=ivr').expect(200)).body.data).toHaveLength(1);
  });

  it('hears a wrong code, and refuses forged, foreign or mismatched state', async () => {
    const start = await a.api.post('/v1/softphone/calls').send({ lineId: line.id, from: '+14155550177' }).expect(200);
    const wrong = await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: start.body.state, input: { kind: 'digits', digits: '1111' } }).expect(200);
    expect(wrong.body.waiting).toMatchObject({ kind: 'gather' });
    expect(wrong.body.events.filter((e: { kind: string }) => e.kind === 'say').length).toBeGreaterThan(0);

    const forged = await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: 'v1:AAAA:BBBB:CCCC', input: { kind: 'hangup' } }).expect(400);
    expect(forged.body.details).toEqual([{ path: 'state', message: 'is not a state token of this call' }]);
    const other = `CA${'f'.repeat(32)}`;
    await a.api.post(`/v1/softphone/calls/${other}/input`).send({ state: start.body.state, input: { kind: 'hangup' } }).expect(400);
    const b = await createTestAccount(t);
    await b.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: start.body.state, input: { kind: 'hangup' } }).expect(400);
    await b.api.post('/v1/softphone/calls').send({ lineId: line.id, from: '+14155550177' }).expect(404);
    const badKeys = await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: start.body.state, input: { kind: 'digits', digits: '12a' } }).expect(400);
    expect(badKeys.body.details[0].path).toBe('input.digits');
    const badFrom = await a.api.post('/v1/softphone/calls').send({ lineId: line.id, from: '555-1234' }).expect(400);
    expect(badFrom.body.details).toEqual([{ path: 'from', message: 'must be an E.164 number such as +14155550100' }]);

    const hung = await a.api.post(`/v1/softphone/calls/${start.body.callSid}/input`).send({ state: wrong.body.state, input: { kind: 'hangup' } }).expect(200);
    expect(hung.body).toMatchObject({ ended: true, events: [{ kind: 'ended', reason: 'caller-hung-up' }] });
  });

  it('texts the line: the reply comes back and both messages are in the contact\'s conversation history', async () => {
    await a.api.post('/v1/workflows').send({
      name: 'Fire drill', codeActivation: { lineId: line.id, code: 'FIRE' },
      actions: [{ type: 'notification', groupIds: [groupId], message: 'Drill: {{inbound_message}}', channels: ['sms'] }],
    }).expect(201);
    const res = await a.api.post('/v1/softphone/sms').send({ lineId: line.id, from: contact.phone, body: 'fire drill at berth 2' }).expect(200);
    expect(res.body).toMatchObject({ status: 200, messageSid: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    expect(res.body.replies).toHaveLength(1);
    expect(res.body.replies[0]).toMatch(/Fire drill/);
    const acts = (await a.api.get('/v1/activations?source=sms').expect(200)).body.data;
    expect(acts).toMatchObject([{ inboundMessage: 'drill at berth 2' }]);

    const convo = await a.api.get(`/v1/contacts/${contact.id}/messages?limit=50`).expect(200);
    const inbound = convo.body.data.find((m: { direction: string; body: string }) => m.direction === 'inbound' && m.body === 'fire drill at berth 2');
    expect(inbound).toMatchObject({ channel: 'sms', from: contact.phone, to: line.phoneNumber });
    expect(convo.body.data.some((m: { direction: string }) => m.direction === 'outbound')).toBe(true);
    const b = await createTestAccount(t);
    await b.api.get(`/v1/contacts/${contact.id}/messages`).expect(404);
  });

  it('lets a member activate and use the softphone, but not configure', async () => {
    await a.api.post('/v1/users').send({ email: 'deckhand@quay.test', password: PASSWORD, role: 'member' }).expect(201);
    const login = await t.http().post('/auth/login').send({ email: 'deckhand@quay.test', password: PASSWORD }).expect(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const csrf = login.body.csrfToken as string;
    const as = (req: ReturnType<ReturnType<TestRuntime['http']>['post']>) => req.set('cookie', cookie).set('x-csrf-token', csrf);

    const wf = await as(t.http().post('/v1/workflows')).send({ name: 'Nope', actions: [{ type: 'notification', groupIds: [groupId], message: 'x', channels: ['sms'] }] }).expect(403);
    expect(wf.body.error).toBe('forbidden');
    const ivr = (await a.api.get('/v1/workflows?limit=50').expect(200)).body.data.find((w: { name: string }) => w.name === 'Fire drill');
    await as(t.http().post(`/v1/workflows/${ivr.id}/pause`)).expect(403);
    await as(t.http().patch(`/v1/lines/${line.id}`)).send({ greeting: 'hi' }).expect(403);

    const act = await as(t.http().post(`/v1/workflows/${ivr.id}/activations`)).set('idempotency-key', 'member-1').send({ placeholders: {}, source: 'dashboard' }).expect(201);
    expect(act.body).toMatchObject({ source: 'dashboard', workflowId: ivr.id });
    const call = await as(t.http().post('/v1/softphone/calls')).send({ lineId: line.id, from: '+14155550166' }).expect(200);
    expect(call.body.waiting.kind).toBe('gather');
    // Without the CSRF header the same request is refused.
    await t.http().post('/v1/softphone/calls').set('cookie', cookie).send({ lineId: line.id, from: '+14155550166' }).expect(403);
  });
});
