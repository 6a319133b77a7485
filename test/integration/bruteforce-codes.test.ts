/**
 * Code guessing is locked out as designed (docs/TELEPHONY.md: LOCKOUT_*), across two web
 * processes sharing PostgreSQL and Redis: one caller guessing by keypad and by text, many callers
 * guessing on one line at once, and an exhaustive sweep of codes from rotating numbers — none
 * reaches the right code; the lock ends after LOCKOUT_SECONDS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ivr from '../../ivr/activation-line.js';
import { messagingResponse, SMS_TEXT } from '../../ivr/sms-replies.js';
import { addCodeWorkflow, addContacts, addGroup, addTwilioLine, callSid, messageSid, signedPost, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';
const MAX = 5;
const LINE_MAX = 20;
const urls: ivr.IvrUrls = { code: (n) => `${PUB}/webhooks/twilio/voice/code?attempt=${n}`, recording: (id) => `${PUB}/webhooks/twilio/voice/recording?workflow=${id}` };
const wrong = ivr.codeRetry({ urls, attempt: 1 }, { reason: 'wrong' });

describe('code brute force: locked out per caller and per line, in every web process', () => {
  let web1: TestRuntime & { databaseUrl: string };
  let web2: TestRuntime;
  let accountId: string;
  let group: string;
  let seq = 0;

  const settings = { LOCKOUT_MAX_MISSES: String(MAX), LOCKOUT_LINE_MAX_MISSES: String(LINE_MAX), LOCKOUT_SECONDS: '900', PUBLIC_URL: PUB };
  beforeAll(async () => {
    web1 = await startTestRuntime(settings, { web: true, worker: false });
    web2 = await startTestRuntime({ ...settings, REDIS_PREFIX: web1.config.REDIS_PREFIX }, { web: true, worker: false }, { databaseUrl: web1.databaseUrl });
    accountId = (await createTestAccount(web1)).account.id;
    group = await addGroup(web1, accountId, 'Responders', await addContacts(web1, accountId, [{ name: 'Ana', phone: '+13125550201' }, { name: 'Bo', phone: '+13125550202' }]));
  });
  afterAll(async () => {
    await web2?.close();
    await web1?.close();
  });

  /** A line with one code workflow (`code`), reaching two people. */
  const lineWithCode = async (code: string): Promise<LineFixture> => {
    const line = await addTwilioLine(web1, accountId);
    await addCodeWorkflow(web1, accountId, { name: `Gate ${code}`, code, lineId: line.id, groupIds: [group] });
    return line;
  };
  /** Keys `digits` at the code prompt, alternating between the two web processes. */
  const key = (line: LineFixture, digits: string, from: string) => {
    const web = ++seq % 2 ? web1 : web2;
    return signedPost(web.http(), PUB, '/webhooks/twilio/voice/code?attempt=1', { CallSid: callSid(90_000 + seq), AccountSid: line.accountSid, From: from, To: line.phone, Digits: digits }, { authToken: line.authToken });
  };
  const text = (line: LineFixture, body: string, from: string) => {
    const web = ++seq % 2 ? web1 : web2;
    return signedPost(web.http(), PUB, '/webhooks/twilio/sms', { MessageSid: messageSid(90_000 + seq), AccountSid: line.accountSid, From: from, To: line.phone, Body: body }, { authToken: line.authToken });
  };
  const activations = async (line: LineFixture) =>
    Number((await web1.rt.infra.db.query(`SELECT count(*) AS n FROM activations WHERE context->>'lineId' = $1`, [line.id])).rows[0].n);

  it('locks one caller out after LOCKOUT_MAX_MISSES wrong codes: by keypad, by text, in both processes', async () => {
    const line = await lineWithCode('RESQ'); // 7377
    const guesser = '+13125550301';
    for (let i = 0; i < MAX; i++) expect((await key(line, `100${i}`, guesser).expect(200)).text).toBe(wrong);
    // The right code now sounds exactly like a wrong one, whichever process answers, by voice or text.
    expect((await key(line, '7377', guesser).expect(200)).text).toBe(wrong);
    expect((await key(line, '7377', guesser).expect(200)).text).toBe(wrong);
    expect((await text(line, 'RESQ help', guesser).expect(200)).text).toBe(messagingResponse(SMS_TEXT.unknownCode));
    expect(await activations(line)).toBe(0);
    // Someone else on the same line is not affected.
    expect((await key(line, '7377', '+13125550302').expect(200)).text).toBe(ivr.activated({ workflowName: 'Gate RESQ', recipients: 2 }));
    expect(await activations(line)).toBe(1);
  });

  it('locks the line for everyone after LOCKOUT_LINE_MAX_MISSES misses from many callers at once', async () => {
    const line = await lineWithCode('HELP'); // 4357
    // 40 callers, one wrong code each, all at once across both processes.
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) => key(line, `2${String(i).padStart(3, '0')}`, `+1312556${String(i).padStart(4, '0')}`)));
    expect(res.every((r) => r.status === 200 && r.text === wrong)).toBe(true);
    expect((await key(line, '4357', '+13125557777').expect(200)).text).toBe(wrong);
    expect((await text(line, '4357 me', '+13125557778').expect(200)).text).toBe(messagingResponse(SMS_TEXT.unknownCode));
    expect(await activations(line)).toBe(0);
    const ttl = await web1.rt.infra.redis.ttl(`${web1.config.REDIS_PREFIX}:lockout:lock:line:${line.id}`);
    expect(ttl).toBeGreaterThan(800);
  });

  it('stops an exhaustive sweep from rotating numbers long before it reaches the code', async () => {
    const line = await lineWithCode('0042');
    const outcomes: string[] = [];
    for (let n = 0; n < 60; n++) outcomes.push((await key(line, String(n).padStart(4, '0'), `+1312558${String(n).padStart(4, '0')}`).expect(200)).text);
    expect(outcomes.every((x) => x === wrong)).toBe(true); // "0042" was keyed at n = 42, after the line locked at 20
    expect(await activations(line)).toBe(0);
  });
});

describe('code brute force: the lock ends after LOCKOUT_SECONDS', () => {
  let t: TestRuntime;
  afterAll(async () => t?.close());

  it('lets the caller in again once the lock expires', async () => {
    t = await startTestRuntime({ LOCKOUT_MAX_MISSES: '3', LOCKOUT_SECONDS: '2', PUBLIC_URL: PUB }, { web: true, worker: false });
    const accountId = (await createTestAccount(t)).account.id;
    const line = await addTwilioLine(t, accountId);
    const people = await addContacts(t, accountId, [{ name: 'Ana', phone: '+13125550201' }]);
    await addCodeWorkflow(t, accountId, { name: 'Gate', code: 'RESQ', lineId: line.id, groupIds: [await addGroup(t, accountId, 'G', people)] });
    let n = 0;
    const key = (digits: string) => signedPost(t.http(), PUB, '/webhooks/twilio/voice/code?attempt=1', { CallSid: callSid(95_000 + ++n), AccountSid: line.accountSid, From: '+13125550401', To: line.phone, Digits: digits }, { authToken: line.authToken });
    for (let i = 0; i < 3; i++) await key(`900${i}`).expect(200);
    expect((await key('7377').expect(200)).text).toBe(wrong);
    await new Promise((r) => setTimeout(r, 2_300));
    expect((await key('7377').expect(200)).text).toBe(ivr.activated({ workflowName: 'Gate', recipients: 1 }));
  });
});
