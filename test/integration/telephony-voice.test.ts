import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ivr from '../../ivr/activation-line.js';
import {
  addCodeWorkflow, addContacts, addGroup, addSimulatorLine, addTwilioLine, callSid, signedPost, type LineFixture,
} from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';
const urls: ivr.IvrUrls = {
  code: (n) => `${PUB}/webhooks/twilio/voice/code?attempt=${n}`,
  recording: (id) => `${PUB}/webhooks/twilio/voice/recording?workflow=${id}`,
};
const CALLER = '+13125550101';

describe('voice webhook: code activation by keypad', () => {
  let t: TestRuntime;
  let accountId: string;
  let line: LineFixture;
  let other: LineFixture;
  let seq = 100;
  let gateWf: string;

  const call = (ln: LineFixture, path: string, extra: Record<string, string> = {}, from = CALLER, sid = callSid(++seq)) =>
    signedPost(t.http(), PUB, path, { CallSid: sid, AccountSid: ln.accountSid, From: from, To: ln.phone, CallStatus: 'in-progress', Direction: 'inbound', ...extra }, { authToken: ln.authToken });
  const count = async (sql: string, params: unknown[] = []) => Number((await t.rt.infra.db.query(sql, params)).rows[0].n);

  beforeAll(async () => {
    t = await startTestRuntime({ LOCKOUT_MAX_MISSES: '4', LOCKOUT_LINE_MAX_MISSES: '6' }, { web: true, worker: false });
    const a = await createTestAccount(t);
    accountId = a.account.id;
    line = await addTwilioLine(t, accountId, { greeting: 'Welcome to Acme Rescue & Co.' });
    other = await addSimulatorLine(t, accountId);
    const people = await addContacts(t, accountId, [{ name: 'Ana', phone: '+13125550201' }, { name: 'Bo', phone: '+13125550202' }, { name: 'Cy', phone: '+13125550203', doNotContact: true }]);
    const g1 = await addGroup(t, accountId, 'Responders', people);
    const g2 = await addGroup(t, accountId, 'Leads', [people[0]!]);
    gateWf = (await addCodeWorkflow(t, accountId, { name: 'Gate Emergency', code: 'RESQ', lineId: null, groupIds: [g1, g2] })).id;
    await addCodeWorkflow(t, accountId, { name: 'Other line only', code: 'ABCD', lineId: other.id, groupIds: [g1] });
    await addCodeWorkflow(t, accountId, { name: 'Paused one', code: 'WXYZ', lineId: null, groupIds: [g1], status: 'paused' });
  });
  afterAll(async () => t?.close());

  it('refuses unsigned, wrongly signed and foreign-signed requests with 403 and stores nothing', async () => {
    const params = { CallSid: callSid(1), AccountSid: line.accountSid, From: CALLER, To: line.phone };
    const unsigned = await signedPost(t.http(), PUB, '/webhooks/twilio/voice', params, { signature: null }).expect(403);
    expect(unsigned.body).toMatchObject({ error: 'forbidden', message: 'missing or invalid X-Twilio-Signature' });
    await signedPost(t.http(), PUB, '/webhooks/twilio/voice', params, { authToken: 'not-the-token' }).expect(403);
    await signedPost(t.http(), PUB, '/webhooks/twilio/voice', { ...params, AccountSid: `AC${'f'.repeat(32)}` }, { authToken: line.authToken }).expect(403);
    // Signed for another URL (replayed against a different step): refused too.
    const sigForGreeting = (await import('twilio')).default.getExpectedTwilioSignature(line.authToken, `${PUB}/webhooks/twilio/voice`, { ...params, Digits: '7377' });
    await signedPost(t.http(), PUB, '/webhooks/twilio/voice/code?attempt=1', { ...params, Digits: '7377' }, { signature: sigForGreeting }).expect(403);
    await t.http().post('/webhooks/twilio/voice').type('form').send('').expect(403);
    expect(await count('SELECT count(*) AS n FROM calls')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM activations')).toBe(0);
  });

  it('greets a known line with its greeting and a 4-key gather; an unknown number hears a message and hang-up', async () => {
    const res = await call(line, '/webhooks/twilio/voice').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.text).toBe(ivr.greeting({ greeting: 'Welcome to Acme Rescue & Co.', urls }));
    const unknown = await signedPost(t.http(), PUB, '/webhooks/twilio/voice', { CallSid: callSid(2), AccountSid: line.accountSid, From: CALLER, To: '+13129999999' }, { authToken: line.authToken }).expect(200);
    expect(unknown.text).toBe(ivr.unknownLine());
    // The history row is written behind the answer, within milliseconds.
    await expect.poll(() => count(`SELECT count(*) AS n FROM calls WHERE direction = 'inbound' AND line_id = $1`, [line.id])).toBe(1);
  });

  it('activates the workflow whose keypad digits were entered, once per call, and says how many are reached', async () => {
    const sid = callSid(5000);
    const first = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, CALLER, sid).expect(200);
    expect(first.text).toBe(ivr.activated({ workflowName: 'Gate Emergency', recipients: 2 }));
    const again = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, CALLER, sid).expect(200);
    expect(again.text).toBe(first.text);
    const rows = (await t.rt.infra.db.query('SELECT * FROM activations WHERE account_id = $1', [accountId])).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ workflow_id: gateWf, source: 'ivr', idempotency_key: `twilio:${sid}`, context: { caller: CALLER, lineId: line.id, providerCallId: sid } });
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE topic = 'activation' AND ref_id = $1`, [rows[0].id])).toBe(1);
  });

  it('a code step replayed on the same call with another workflow\'s code: the caller hears the workflow already activated, nothing new', async () => {
    await addCodeWorkflow(t, accountId, { name: 'Flood Watch', code: 'FLOD', lineId: null, groupIds: [] });
    const sid = callSid(5001);
    const first = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, CALLER, sid).expect(200);
    expect(first.text).toBe(ivr.activated({ workflowName: 'Gate Emergency', recipients: 2 }));
    const other = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '3563' }, CALLER, sid).expect(200);
    expect(other.text).toBe(first.text);
    expect(await count('SELECT count(*) AS n FROM activations WHERE idempotency_key = $1', [`twilio:${sid}`])).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM activations a JOIN workflows w ON w.id = a.workflow_id WHERE w.name = 'Flood Watch'`)).toBe(0);
  });

  it('asks again after a wrong code, says goodbye after the third, and never matches codes of another line or paused workflows', async () => {
    const caller = '+13125550111';
    const r1 = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '2223' }, caller).expect(200);
    expect(r1.text).toBe(ivr.codeRetry({ urls, attempt: 1 }, { reason: 'wrong' }));
    const r2 = await call(line, '/webhooks/twilio/voice/code?attempt=2', { Digits: '2223' }, caller).expect(200); // ABCD: other line only
    expect(r2.text).toBe(ivr.codeRetry({ urls, attempt: 2 }, { reason: 'wrong' }));
    const r3 = await call(line, '/webhooks/twilio/voice/code?attempt=3', { Digits: '9999' }, caller).expect(200); // WXYZ: paused
    expect(r3.text).toBe(ivr.codeRetry({ urls, attempt: 3 }, { reason: 'wrong' }));
    expect(r3.text).toContain('<Hangup/>');
    const none = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '' }, caller).expect(200);
    expect(none.text).toBe(ivr.codeRetry({ urls, attempt: 1 }, { reason: 'no-input' }));
    // The same ABCD code works on its own line.
    const own = await call(other, '/webhooks/twilio/voice/code?attempt=1', { Digits: '2223' }, caller).expect(200);
    expect(own.text).toBe(ivr.activated({ workflowName: 'Other line only', recipients: 2 }));
  });

  it('locks a guessing caller out (a right code then sounds exactly like a wrong one), then the whole line', async () => {
    const l = await addTwilioLine(t, accountId);
    const guesser = '+13125550122';
    for (let i = 0; i < 4; i++) await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: `100${i}` }, guesser).expect(200);
    const locked = await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, guesser).expect(200);
    expect(locked.text).toBe(ivr.codeRetry({ urls, attempt: 1 }, { reason: 'wrong' }));
    const honest = await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, '+13125550123').expect(200);
    expect(honest.text).toBe(ivr.activated({ workflowName: 'Gate Emergency', recipients: 2 }));
    // Misses from many callers lock the line for everyone (line limit 6: 4 above + 2 more).
    await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: '1111' }, '+13125550124').expect(200);
    await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: '1112' }, '+13125550125').expect(200);
    const lineLocked = await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, '+13125550126').expect(200);
    expect(lineLocked.text).toBe(ivr.codeRetry({ urls, attempt: 1 }, { reason: 'wrong' }));
    const ttl = await t.rt.infra.redis.ttl(`${t.config.REDIS_PREFIX}:lockout:lock:line:${l.id}`);
    expect(ttl).toBeGreaterThan(800);
  });

  it('records a voice message when the workflow asks for one and puts its URL on the activation', async () => {
    const l = await addSimulatorLine(t, accountId);
    const g = await addGroup(t, accountId, 'Night shift', await addContacts(t, accountId, [{ name: 'Dee', phone: '+13125550301' }]));
    const wf = await addCodeWorkflow(t, accountId, { name: 'Voicemail alert', code: 'VM01', lineId: l.id, groupIds: [g], askVoiceMessage: true, maxRecordingSeconds: 30 });
    const sid = callSid(7000);
    const rec = await call(l, '/webhooks/twilio/voice/code?attempt=1', { Digits: '8601' }, CALLER, sid).expect(200);
    expect(rec.text).toBe(ivr.recordMessage({ urls, workflowId: wf.id, maxLengthSeconds: 30 }));
    const recordingUrl = 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE123';
    const done = await call(l, `/webhooks/twilio/voice/recording?workflow=${wf.id}`, { RecordingUrl: recordingUrl, RecordingDuration: '4' }, CALLER, sid).expect(200);
    expect(done.text).toBe(ivr.activated({ workflowName: 'Voicemail alert', recipients: 1 }));
    const a = (await t.rt.infra.db.query('SELECT recording_url FROM activations WHERE idempotency_key = $1', [`twilio:${sid}`])).rows[0];
    expect(a.recording_url).toBe(recordingUrl);
  });

  it('lets only contacts call a known-contacts-only line, and turns withheld callers away', async () => {
    const l = await addTwilioLine(t, accountId, { settings: { knownContactsOnly: true } });
    const stranger = await call(l, '/webhooks/twilio/voice', {}, '+13125550999').expect(200);
    expect(stranger.text).toBe(ivr.notAllowed());
    const known = await call(l, '/webhooks/twilio/voice', {}, '+13125550201').expect(200);
    expect(known.text).toContain('<Gather');
    for (const from of ['anonymous', '', '+266696687x']) {
      const res = await call(line, '/webhooks/twilio/voice', {}, from).expect(200);
      expect(res.text).toBe(ivr.withheldCaller());
    }
  });

  it('tells callers of a tracking line without a tracking handler that it is not configured', async () => {
    const l = await addTwilioLine(t, accountId, { mode: 'tracking' });
    const res = await call(l, '/webhooks/twilio/voice').expect(200);
    expect(res.text).toBe(ivr.trackingNotConfigured());
  });

  it('answers malformed signed requests with a 400 naming the field, and oversized bodies with 413', async () => {
    const bad = await signedPost(t.http(), PUB, '/webhooks/twilio/voice', { AccountSid: line.accountSid, From: CALLER, To: line.phone, CallSid: 'nope' }, { authToken: line.authToken }).expect(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'CallSid' }] });
    const noTo = await signedPost(t.http(), PUB, '/webhooks/twilio/voice', { AccountSid: line.accountSid, From: CALLER, CallSid: callSid(9) }, { authToken: line.authToken }).expect(400);
    expect(noTo.body.details[0].path).toBe('To');
    const badWf = await call(line, '/webhooks/twilio/voice/recording?workflow=x').expect(400);
    expect(badWf.body.details[0].path).toBe('workflow');
    const huge = await call(line, '/webhooks/twilio/voice', { Junk: 'x'.repeat(70 * 1024) }).expect(413);
    expect(huge.body.error).toBe('payload_too_large');
  });

  it('stores the call row behind the greeting; a code step that beats it still links the activation to the call', async () => {
    const sid = callSid(4321);
    const params = { CallSid: sid, AccountSid: line.accountSid, From: CALLER, To: line.phone };
    // The code step is handled before the greeting's row is written (here: before the greeting
    // at all, as another web process could): the upsert creates the row with the activation.
    const keyed = await signedPost(t.http(), PUB, '/webhooks/twilio/voice/code?attempt=1', { ...params, Digits: '7377' }, { authToken: line.authToken }).expect(200);
    expect(keyed.text).toContain('<Say');
    // The greeting's queued insert then finds the row and leaves it as it is.
    await signedPost(t.http(), PUB, '/webhooks/twilio/voice', params, { authToken: line.authToken }).expect(200);
    await t.rt.services.telephony.calls.flush();
    const rows = await t.rt.infra.db.query(`SELECT meta->>'activationId' AS activation_id, line_id, from_number FROM calls WHERE provider_call_id = $1`, [sid]);
    expect(rows.rows).toHaveLength(1);
    const act = await t.rt.infra.db.query(`SELECT id FROM activations WHERE idempotency_key = $1`, [`twilio:${sid}`]);
    expect(rows.rows[0]).toEqual({ activation_id: act.rows[0].id, line_id: line.id, from_number: CALLER });
  });

  it('apologises in TwiML (never a 5xx) when Redis is gone mid-call', async () => {
    t.rt.infra.redis.disconnect();
    const res = await call(line, '/webhooks/twilio/voice/code?attempt=1', { Digits: '7377' }, '+13125550177').expect(200);
    expect(res.text).toBe(ivr.apology());
  });
});
