/**
 * Tracked calls under real carrier conditions: two web processes sharing one PostgreSQL and
 * Redis receive the Dial action, the answered leg's completion and the final status at the same
 * time (and again) — the call ends once, one call.ended, one run per workflow, one text.
 * Also: simultaneous ringing with recording and whisper, opt-outs and withheld callers,
 * activating an existing workflow, and callbacks signed by another carrier account.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned } from '../../routes/softphone/call-player.js';
import { addContacts, addGroup, addTwilioLine, signedPost, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('tracked calls: racing callbacks, ring strategies, opt-outs, linked workflows', () => {
  let env: RuntimeWithCarrier;
  let web2: TestRuntime;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  const desk = [uniqueNumber(), uniqueNumber()];

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300', EVENTS_SWEEP_INTERVAL_MS: '100' }, { web: true, worker: true });
    const c = env.t.config;
    web2 = await startTestRuntime({ TWILIO_API_URL: c.TWILIO_API_URL!, PUBLIC_URL: c.PUBLIC_URL, REDIS_PREFIX: c.REDIS_PREFIX, DATABASE_URL: c.DATABASE_URL }, { web: true, worker: false }, { databaseUrl: c.DATABASE_URL });
    acct = await createTestAccount(env.t);
  }, 60_000);
  afterAll(async () => {
    await web2?.close();
    await env?.close();
  });

  const db = () => env.t.rt.infra.db;
  const pub = () => env.t.config.PUBLIC_URL;
  const texts = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');
  const trackingLine = (tracking: object) => addTwilioLine(env.t, acct.account.id, { ...env.creds, mode: 'tracking', settings: { tracking } });
  const addFlow = async (body: object) => (await acct.api.post('/v1/tracking-workflows').send(body).expect(201)).body.id as string;
  const logsFor = async (callSid: string) => (await db().query(
    `SELECT l.workflow_id, l.matched, l.status, l.actions FROM tracking_logs l JOIN calls c ON c.id = l.call_id WHERE c.provider_call_id = $1 ORDER BY l.created_at`, [callSid])).rows;
  const answerCall = (l: LineFixture, callSid: string, from: string, to: TestRuntime = env.t) =>
    signedPost(to.http(), pub(), '/webhooks/twilio/voice', { CallSid: callSid, AccountSid: env.creds.accountSid, From: from, To: l.phone, CallStatus: 'ringing', Direction: 'inbound' }, { authToken: env.creds.authToken });

  it('Dial action, leg completion and final status racing on two web processes end the call once', async () => {
    const line = await trackingLine({ source: 'Radio ad', forwardTo: desk[0] });
    const flow = await addFlow({ name: 'Race thanks', trigger: 'answered', conditions: [{ type: 'source', lineIds: [line.id] }], actions: [{ type: 'sms_caller', message: 'Thanks ({{duration}} s)' }] });
    const caller = uniqueNumber();
    const sid = `CA${'7'.repeat(32)}`;
    const first = await answerCall(line, sid, caller).expect(200);
    expect(first.text).toContain(`<Dial callerId="${caller}" timeout="20" action="${pub()}/webhooks/twilio/tracking/dial?call=${sid}&amp;step=0"`);
    expect((await answerCall(line, sid, caller, web2).expect(200)).text).toBe(first.text); // carrier retry on another process: same plan
    const common = { AccountSid: env.creds.accountSid };
    const dial = { ...common, CallSid: sid, DialCallStatus: 'completed', DialCallDuration: '45', DialCallSid: `CA${'8'.repeat(32)}` };
    const leg = { ...common, CallSid: `CA${'8'.repeat(32)}`, ParentCallSid: sid, CallStatus: 'completed', CallDuration: '45', To: desk[0]! };
    const final = { ...common, CallSid: sid, CallStatus: 'completed', CallDuration: '52', From: caller, To: line.phone, Direction: 'inbound' };
    const sends = [env.t, web2, env.t, web2].flatMap((rt) => [
      signedPost(rt.http(), pub(), `/webhooks/twilio/tracking/dial?call=${sid}&step=0`, dial, { authToken: env.creds.authToken }),
      signedPost(rt.http(), pub(), `/webhooks/twilio/tracking/leg?call=${sid}&leg=0`, leg, { authToken: env.creds.authToken }),
      signedPost(rt.http(), pub(), '/webhooks/twilio/status', final, { authToken: env.creds.authToken }),
    ]);
    const res = await Promise.all(sends);
    expect(res.map((r) => r.status)).toEqual(res.map(() => 200));

    const ev = await db().query(`SELECT data FROM events WHERE type = 'call.ended' AND data->>'providerCallId' = $1`, [sid]);
    expect(ev.rows).toHaveLength(1);
    expect(ev.rows[0].data).toMatchObject({ disposition: 'answered', durationSeconds: 45, termReason: 'completed', callCount: 1, from: caller, tracking: { source: 'Radio ad' } });
    const call = await db().query('SELECT c.outcome, c.duration_seconds, t.talk_seconds, t.ended_by FROM calls c JOIN tracked_calls t ON t.call_id = c.id WHERE c.provider_call_id = $1', [sid]);
    expect(call.rows[0]).toMatchObject({ outcome: 'answered', duration_seconds: 45, talk_seconds: 45 });
    await eventually(async () => texts(caller).length > 0, 'the text');
    await drained(env.t, { carrier: env.carrier });
    expect(texts(caller).map((m) => m.body)).toEqual(['Thanks (45 s)']);
    expect((await logsFor(sid)).filter((l) => l.workflow_id === flow)).toHaveLength(1);
  });

  it('conflicting reports racing (answered leg vs busy Dial action vs final status): one verdict, stored and announced alike', async () => {
    const line = await trackingLine({ forwardTo: desk[0] });
    for (let n = 0; n < 6; n++) {
      const sid = `CA${String(n).padStart(2, '0')}${'4'.repeat(30)}`;
      const caller = uniqueNumber();
      await answerCall(line, sid, caller).expect(200);
      const common = { AccountSid: env.creds.accountSid };
      const reports = [
        [`/webhooks/twilio/tracking/dial?call=${sid}&step=0`, { ...common, CallSid: sid, DialCallStatus: 'busy', DialCallDuration: '0' }],
        [`/webhooks/twilio/tracking/leg?call=${sid}&leg=0`, { ...common, CallSid: `CA${'3'.repeat(32)}`, ParentCallSid: sid, CallStatus: 'completed', CallDuration: '30' }],
        ['/webhooks/twilio/status', { ...common, CallSid: sid, CallStatus: 'failed', From: caller, To: line.phone, Direction: 'inbound' }],
      ] as const;
      const res = await Promise.all([env.t, web2, env.t, web2].flatMap((rt) => reports.map(([path, body]) => signedPost(rt.http(), pub(), path, body, { authToken: env.creds.authToken }))));
      expect(res.map((r) => r.status)).toEqual(res.map(() => 200));
      const ev = await db().query(`SELECT data FROM events WHERE type = 'call.ended' AND data->>'providerCallId' = $1`, [sid]);
      const row = (await db().query('SELECT c.outcome, c.duration_seconds, t.outcome AS t_outcome, t.talk_seconds, t.end_reason FROM calls c JOIN tracked_calls t ON t.call_id = c.id WHERE c.provider_call_id = $1', [sid])).rows[0];
      expect(ev.rows).toHaveLength(1);
      expect([row.outcome, row.duration_seconds]).toEqual([row.t_outcome, row.talk_seconds]);
      expect([ev.rows[0].data.disposition, ev.rows[0].data.durationSeconds, ev.rows[0].data.termReason]).toEqual([row.t_outcome, row.talk_seconds, row.end_reason]);
    }
  });

  it('simultaneous ringing: the second desk answers, the first is canceled; recording kept; whisper spoken to the desk', async () => {
    const line = await trackingLine({ source: 'Billboard', forwardTo: desk, ringStrategy: 'simultaneous', record: true, whisper: 'Billboard caller' });
    const caller = uniqueNumber();
    const call = await env.carrier.placeInboundCall({ from: caller, to: line.phone, dial: { [desk[0]!]: { status: 'no-answer' }, [desk[1]!]: { status: 'completed', talkSeconds: 20 } } });
    expect(call.events.filter((e) => e.kind === 'dial')).toEqual([expect.objectContaining({ numbers: desk, callerId: caller })]);
    expect(call.events.filter((e) => e.kind === 'dial-leg').map((e) => e.kind === 'dial-leg' && [e.number, e.status])).toEqual([[desk[0], 'canceled'], [desk[1], 'completed']]);
    const row = (await acct.api.get(`/v1/calls?caller=${encodeURIComponent(caller)}`).expect(200)).body.data[0];
    expect(row).toMatchObject({ outcome: 'answered', talkSeconds: 20, answeredBy: desk[1], ringStrategy: 'simultaneous', recordingUrl: expect.stringMatching(/\/Recordings\/RE[0-9a-f]{32}$/) });
    const whisper = await postSigned({ authToken: env.creds.authToken, resolve: (u) => env.address + u.slice(pub().length) },
      `${pub()}/webhooks/twilio/tracking/whisper?call=${call.callSid}`, { AccountSid: env.creds.accountSid, CallSid: `CA${'5'.repeat(32)}` });
    expect(whisper.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Billboard caller</Say></Response>');
  });

  it('missed calls: an opted-out caller and a withheld number are not texted (logged why); a linked workflow is activated', async () => {
    const line = await trackingLine({ source: 'Flyer', forwardTo: desk });
    const [oncall] = await addContacts(env.t, acct.account.id, [{ name: 'On-call Olga', phone: uniqueNumber() }]);
    const group = await addGroup(env.t, acct.account.id, 'Callbacks', [oncall!]);
    const target = await addWorkflow(env.t, acct.account.id, { name: 'Call back', actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Call back [[who]] now', channels: ['sms'] }] });
    const flow = await addFlow({
      name: 'Missed from Flyer', trigger: 'missed', conditions: [{ type: 'source', campaigns: ['flyer'] }],
      actions: [{ id: 'sorry', type: 'sms_caller', message: 'Sorry!' }, { id: 'escalate', type: 'activate_workflow', workflowId: target, placeholders: { who: '{{caller}} ({{source}})' } }],
    });
    const stopper = uniqueNumber();
    expect((await env.carrier.sendInboundSms({ from: stopper, to: line.phone, body: 'STOP' })).status).toBe(200);
    const missed = await env.carrier.placeInboundCall({ from: stopper, to: line.phone, dial: () => ({ status: 'busy' }) });
    await eventually(async () => (await logsFor(missed.callSid)).some((l) => l.workflow_id === flow && l.status === 'done'), 'log');
    const [log] = (await logsFor(missed.callSid)).filter((l) => l.workflow_id === flow);
    expect(log.actions).toEqual([
      { actionId: 'sorry', type: 'sms_caller', result: 'skipped', reason: 'opted_out_sms' },
      { actionId: 'escalate', type: 'activate_workflow', result: 'activated', activationId: expect.any(String), created: true },
    ]);
    const act = await acct.api.get(`/v1/activations/${log.actions[1].activationId}`).expect(200);
    expect(act.body).toMatchObject({ workflowId: target, source: 'call_tracking', placeholders: { who: `${stopper} (Flyer)` } });
    const olga = (await db().query('SELECT phone FROM contacts WHERE id = $1', [oncall])).rows[0].phone;
    await eventually(async () => texts(olga).length > 0, 'the on-call text');
    expect(texts(olga).map((m) => m.body)).toEqual([`Call back ${stopper} (Flyer) now`]);
    expect(texts(stopper)).toEqual([]);

    const anon = await env.carrier.placeInboundCall({ from: 'anonymous', to: line.phone, dial: () => ({ status: 'no-answer' }) });
    expect(anon.events.find((e) => e.kind === 'dial')).toMatchObject({ callerId: null });
    await eventually(async () => (await logsFor(anon.callSid)).some((l) => l.workflow_id === flow && l.status === 'done'), 'anonymous log');
    const [alog] = (await logsFor(anon.callSid)).filter((l) => l.workflow_id === flow);
    expect(alog.actions[0]).toEqual({ actionId: 'sorry', type: 'sms_caller', result: 'skipped', reason: 'caller_withheld' });
  });

  it('a callback signed by another carrier account cannot end or change this account\'s call', async () => {
    const line = await trackingLine({ forwardTo: desk[0] });
    const sid = `CA${'6'.repeat(32)}`;
    await answerCall(line, sid, uniqueNumber()).expect(200);
    const other = await createTestAccount(env.t);
    const foreign = await addTwilioLine(env.t, other.account.id, { mode: 'tracking', settings: { tracking: { forwardTo: desk[0] } } });
    const dial = { AccountSid: foreign.accountSid, CallSid: sid, DialCallStatus: 'completed', DialCallDuration: '99' };
    const res = await signedPost(env.t.http(), pub(), `/webhooks/twilio/tracking/dial?call=${sid}&step=0`, dial, { authToken: foreign.authToken }).expect(200);
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    await signedPost(env.t.http(), pub(), `/webhooks/twilio/tracking/recording?call=${sid}`, { AccountSid: foreign.accountSid, RecordingUrl: 'https://evil.example/r' }, { authToken: foreign.authToken }).expect(200);
    const row = await db().query('SELECT t.ended_at, c.recording_url FROM tracked_calls t JOIN calls c ON c.id = t.call_id WHERE t.provider_call_id = $1', [sid]);
    expect(row.rows[0]).toEqual({ ended_at: null, recording_url: null });
    // A malformed (but signed) callback is a 400 naming the field.
    const bad = await signedPost(env.t.http(), pub(), '/webhooks/twilio/tracking/leg?call=nope&leg=0', { AccountSid: env.creds.accountSid, CallStatus: 'completed' }, { authToken: env.creds.authToken }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'call' })]);
  });
});
