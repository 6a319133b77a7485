/**
 * Call tracking end to end: the carrier emulator places inbound calls on a tracking line, follows
 * the <Dial> (scripted callee outcomes and talk time), sends the leg, Dial-action and final status
 * callbacks signed like Twilio; the event worker runs the post-call workflows and the action
 * engine texts the caller through the official twilio SDK back into the emulator.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned } from '../../routes/softphone/call-player.js';
import { addTwilioLine, signedPost, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { eventually } from '../helpers/eventually.js';
import { startHttpsServer, type LocalHttpsServer } from '../helpers/https-server.js';
import { createTestAccount } from '../helpers/runtime.js';
import { startSmtpServer, type SmtpServerProcess } from '../helpers/smtp-server.js';

describe('call tracking: post-call workflows on answered and missed calls', () => {
  let env: RuntimeWithCarrier;
  let hooks: LocalHttpsServer;
  let smtp: SmtpServerProcess;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  const desk = [uniqueNumber(), uniqueNumber()];
  const wf: Record<string, string> = {};

  beforeAll(async () => {
    [hooks, smtp] = await Promise.all([startHttpsServer(), startSmtpServer()]);
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-trk-'));
    writeFileSync(path.join(dir, 'ca.pem'), hooks.ca);
    env = await startRuntimeWithCarrier({
      DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300', EVENTS_SWEEP_INTERVAL_MS: '100',
      WEBHOOK_ALLOWED_HOSTS: 'localhost', WEBHOOK_CA_FILE: path.join(dir, 'ca.pem'), SMTP_URL: smtp.url,
    }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, acct.account.id, {
      ...env.creds, mode: 'tracking',
      settings: { tracking: { source: 'Spring mailer', forwardTo: desk, ringStrategy: 'sequential', ringTimeoutSeconds: 15 } },
    });
    const create = async (body: object) => (await acct.api.post('/v1/tracking-workflows').send(body).expect(201)).body.id as string;
    wf.answered10 = await create({
      name: 'Thanks (answered > 10 s)', trigger: 'answered', conditions: [{ type: 'duration', operator: 'greater_than', seconds: 10 }],
      actions: [{ id: 'thanks', type: 'sms_caller', message: 'Thanks for calling {{source}} on {{line_number}}: {{duration}} s.' }],
    });
    wf.firstCall = await create({
      name: 'First-time caller', trigger: 'answered', conditions: [{ type: 'caller_frequency', operator: 'first_call' }],
      actions: [{ id: 'tell', type: 'email_owners' }],
    });
    wf.missed = await create({
      name: 'Missed: call back', trigger: 'missed',
      actions: [
        { id: 'sorry', type: 'sms_caller', message: 'Sorry we missed your call to {{source}}. We will call you back.' },
        { id: 'crm', type: 'webhook', url: `${hooks.url}/crm/missed`, authorization: 'Bearer crm-token' },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await Promise.all([hooks?.close(), smtp?.stop()]);
  });

  const texts = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api');
  const statusUrl = () => `${env.t.config.PUBLIC_URL}/webhooks/twilio/status`;
  const logsOf = async (callSid: string) => {
    const call = (await env.t.rt.infra.db.query('SELECT id FROM calls WHERE provider_call_id = $1', [callSid])).rows[0];
    return call ? (await acct.api.get(`/v1/tracking-logs?callId=${call.id}`).expect(200)).body.data as Array<Record<string, any>> : [];
  };
  /** Waits until every enabled workflow of the call's trigger has a finished log row. */
  const settledLogs = async (callSid: string, n: number) =>
    eventually(async () => {
      const logs = await logsOf(callSid);
      return logs.length === n && logs.every((l) => l.status === 'done') ? logs : null;
    }, `${n} tracking logs for ${callSid}`);
  const byWorkflow = (logs: Array<Record<string, any>>) => Object.fromEntries(logs.map((l) => [l.workflowId, l]));

  let answeredSid = '';
  const caller = uniqueNumber();

  it('an answered 45-second call (second number picks up) fires "answered > 10 s" and texts the caller exactly once', async () => {
    const call = await env.carrier.placeInboundCall({
      from: caller, to: line.phone, statusCallback: statusUrl(),
      dial: { [desk[0]!]: { status: 'no-answer' }, [desk[1]!]: { status: 'completed', talkSeconds: 45 } },
    });
    answeredSid = call.callSid;
    expect(call.events.filter((e) => e.kind === 'dial-leg')).toEqual([
      expect.objectContaining({ number: desk[0], status: 'no-answer' }),
      expect.objectContaining({ number: desk[1], status: 'completed', talkSeconds: 45 }),
    ]);
    expect(call.events.filter((e) => e.kind === 'dial').map((e) => e.kind === 'dial' && e.callerId)).toEqual([caller, caller]);
    expect(call.ended).toBe('hangup');

    const logs = byWorkflow(await settledLogs(call.callSid, 2));
    expect(logs[wf.answered10!]).toMatchObject({ matched: true, caller, source: 'Spring mailer', lineId: line.id, trigger: 'answered' });
    expect(logs[wf.answered10!].conditions).toEqual([expect.objectContaining({ type: 'duration', matched: true, actual: 45 })]);
    expect(logs[wf.firstCall!]).toMatchObject({ matched: true });
    await eventually(async () => texts(caller).length > 0, 'the thank-you text');
    await eventually(async () => logsOf(call.callSid).then((l) => byWorkflow(l)[wf.answered10!].actions[0].deliveries[0]?.status === 'delivered'), 'delivered');
    expect(texts(caller).map((m) => ({ from: m.from, body: m.body }))).toEqual([{ from: line.phone, body: `Thanks for calling Spring mailer on ${line.phone}: 45 s.` }]);

    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({ to: ['owner@example.test'], subject: `Answered call from ${caller} (Spring mailer)` });
    expect(mail!.text).toContain('Talk time: 45 s');
    expect(mail!.text).toContain(`Answered by: ${desk[1]}`);

    const listed = await acct.api.get(`/v1/calls?caller=${encodeURIComponent(caller)}`).expect(200);
    expect(listed.body.data).toEqual([expect.objectContaining({
      callSid: call.callSid, caller, lineId: line.id, source: 'Spring mailer', status: 'ended', outcome: 'answered', endReason: 'completed',
      talkSeconds: 45, answeredBy: desk[1], forwardedTo: desk, ringStrategy: 'sequential',
    })]);
    // One call.ended (the Dial action ended it; the final status callback changed nothing).
    const ev = await env.t.rt.infra.db.query(`SELECT data FROM events WHERE type = 'call.ended' AND data->>'providerCallId' = $1`, [call.callSid]);
    expect(ev.rows.map((r) => [r.data.disposition, r.data.durationSeconds, r.data.tracking.endedBy])).toEqual([['answered', 45, 'leg-status']]);
  });

  it('duplicate and out-of-order callbacks (legs, Dial action, final status) fire nothing more', async () => {
    const mine = env.carrier.callbacks.filter((c) => c.params.ParentCallSid === answeredSid || c.params.CallSid === answeredSid);
    expect(mine.length).toBeGreaterThanOrEqual(5);
    const t = { authToken: env.creds.authToken, resolve: (u: string) => env.address + u.slice(env.t.config.PUBLIC_URL.length) };
    for (const cb of [...mine].reverse()) expect((await postSigned(t, cb.url, cb.params)).status).toBe(200);
    const action = `${env.t.config.PUBLIC_URL}/webhooks/twilio/tracking/dial?call=${answeredSid}&step=1`;
    for (let i = 0; i < 2; i++) {
      const res = await postSigned(t, action, { CallSid: answeredSid, AccountSid: env.creds.accountSid, DialCallStatus: 'no-answer', DialCallDuration: '0' });
      expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    }
    await drained(env.t, { carrier: env.carrier });
    expect(texts(caller)).toHaveLength(1);
    expect(await logsOf(answeredSid)).toHaveLength(2);
    const c = await acct.api.get(`/v1/calls?caller=${encodeURIComponent(caller)}`).expect(200);
    expect(c.body.data[0]).toMatchObject({ outcome: 'answered', talkSeconds: 45 });
    const row = await env.t.rt.infra.db.query('SELECT outcome, duration_seconds FROM calls WHERE provider_call_id = $1', [answeredSid]);
    expect(row.rows[0]).toEqual({ outcome: 'answered', duration_seconds: 45 });
  });

  it('a 5-second second call from the same caller: no text (too short), not a "first call"', async () => {
    const call = await env.carrier.placeInboundCall({ from: caller, to: line.phone, statusCallback: statusUrl(), dial: { [desk[0]!]: { status: 'completed', talkSeconds: 5 } } });
    const logs = byWorkflow(await settledLogs(call.callSid, 2));
    expect(logs[wf.answered10!]).toMatchObject({ matched: false, reason: 'conditions.0 (duration): talk time 5 s not > 10 s', actions: [] });
    expect(logs[wf.firstCall!]).toMatchObject({ matched: false, reason: 'conditions.0 (caller_frequency): not the first call (call 2 from this caller)' });
    await drained(env.t, { carrier: env.carrier });
    expect(texts(caller)).toHaveLength(1);
    expect(smtp.messages()).toHaveLength(1);
  });

  it('a missed call (nobody answers either number) fires the missed workflow: one text and the CRM webhook', async () => {
    const other = uniqueNumber();
    const call = await env.carrier.placeInboundCall({ from: other, to: line.phone, statusCallback: statusUrl(), dial: () => ({ status: 'no-answer' }) });
    expect(call.events.filter((e) => e.kind === 'dial-leg').map((e) => e.kind === 'dial-leg' && e.status)).toEqual(['no-answer', 'no-answer']);
    const logs = byWorkflow(await settledLogs(call.callSid, 1));
    expect(logs[wf.missed!]).toMatchObject({ matched: true, trigger: 'missed' });
    await eventually(async () => texts(other).length > 0 && hooks.requests.some((r) => r.url === '/crm/missed'), 'text and webhook');
    expect(texts(other).map((m) => m.body)).toEqual(['Sorry we missed your call to Spring mailer. We will call you back.']);
    const hook = hooks.requests.find((r) => r.url === '/crm/missed')!;
    expect(hook.headers.authorization).toBe('Bearer crm-token');
    expect(JSON.parse(hook.body)).toMatchObject({
      event: 'call.missed', workflow: { id: wf.missed, name: 'Missed: call back' },
      call: { callSid: call.callSid, caller: other, source: 'Spring mailer', outcome: 'missed', endReason: 'no-answer', talkSeconds: 0, forwardedTo: desk, line: { id: line.id, number: line.phone } },
    });
    await drained(env.t, { carrier: env.carrier });
    expect(texts(other)).toHaveLength(1);
    expect(hooks.requests.filter((r) => r.url === '/crm/missed')).toHaveLength(1);
  });

  it('refuses unsigned or wrongly signed tracking callbacks (403) and stores nothing', async () => {
    const sid = `CA${'9'.repeat(32)}`;
    const pub = env.t.config.PUBLIC_URL;
    const voice = { CallSid: sid, AccountSid: env.creds.accountSid, From: uniqueNumber(), To: line.phone };
    await signedPost(env.t.http(), pub, '/webhooks/twilio/voice', voice, { signature: null }).expect(403);
    await signedPost(env.t.http(), pub, '/webhooks/twilio/voice', voice, { authToken: 'wrong' }).expect(403);
    const dial = { CallSid: answeredSid, AccountSid: env.creds.accountSid, DialCallStatus: 'completed', DialCallDuration: '99' };
    await signedPost(env.t.http(), pub, `/webhooks/twilio/tracking/dial?call=${answeredSid}&step=0`, dial, { signature: null }).expect(403);
    await signedPost(env.t.http(), pub, `/webhooks/twilio/tracking/leg?call=${answeredSid}&leg=0`, { ...dial, CallStatus: 'completed', CallDuration: '99' }, { authToken: 'wrong' }).expect(403);
    await signedPost(env.t.http(), pub, `/webhooks/twilio/tracking/recording?call=${answeredSid}`, { AccountSid: env.creds.accountSid, RecordingUrl: 'https://evil.example/r' }, { signature: null }).expect(403);
    const rows = await env.t.rt.infra.db.query('SELECT provider_call_id, recording_url, duration_seconds FROM calls WHERE provider_call_id = ANY($1)', [[sid, answeredSid]]);
    expect(rows.rows).toEqual([{ provider_call_id: answeredSid, recording_url: null, duration_seconds: 45 }]);
  });
});
