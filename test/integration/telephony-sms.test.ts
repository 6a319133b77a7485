import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagingResponse, SMS_TEXT, activatedText } from '../../ivr/sms-replies.js';
import { isSmsOptedOut } from '../../src/telephony/sms-opt-outs-repo.js';
import {
  addCodeWorkflow, addContacts, addGroup, addSimulatorLine, addTwilioLine, messageSid, signedPost, type LineFixture,
} from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';

describe('sms webhook: keywords, interceptors, texted codes', () => {
  let t: TestRuntime;
  let accountId: string;
  let line: LineFixture;
  let seq = 100;
  const ANA = '+13125550201';

  const text = (ln: LineFixture, body: string, from = ANA, sid = messageSid(++seq)) =>
    signedPost(t.http(), PUB, '/webhooks/twilio/sms', { MessageSid: sid, SmsSid: sid, AccountSid: ln.accountSid, From: from, To: ln.phone, Body: body, NumMedia: '0' }, { authToken: ln.authToken });
  const rows = async (sql: string, params: unknown[] = []) => (await t.rt.infra.db.query(sql, params)).rows;

  beforeAll(async () => {
    t = await startTestRuntime({ LOCKOUT_MAX_MISSES: '3' }, { web: true, worker: false });
    const a = await createTestAccount(t);
    accountId = a.account.id;
    line = await addSimulatorLine(t, accountId);
    const people = await addContacts(t, accountId, [{ name: 'Ana', phone: ANA }, { name: 'Bo', phone: '+13125550202' }, { name: 'Cy', phone: '+13125550203' }]);
    const g = await addGroup(t, accountId, 'Responders', people);
    await addCodeWorkflow(t, accountId, { name: 'Gate Emergency', code: 'RESQ', lineId: line.id, groupIds: [g] });
  });
  afterAll(async () => t?.close());

  it('activates on "RESQ free text" in any case with spaces, keeps the text, replies, and stores both messages', async () => {
    const sid = messageSid(9001);
    const res = await text(line, '   resq   Help at gate 4  ', ANA, sid).expect(200);
    expect(res.text).toBe(messagingResponse(activatedText('Gate Emergency', 3)));
    const [act] = await rows('SELECT * FROM activations WHERE idempotency_key = $1', [`twilio:${sid}`]);
    expect(act).toMatchObject({ source: 'sms', inbound_message: 'Help at gate 4', context: { caller: ANA, lineId: line.id } });
    const msgs = await rows(`SELECT direction, from_address, to_address, body, activation_id, provider_id FROM messages WHERE account_id = $1 ORDER BY created_at`, [accountId]);
    expect(msgs).toEqual([
      { direction: 'inbound', from_address: ANA, to_address: line.phone, body: '   resq   Help at gate 4  ', activation_id: act.id, provider_id: sid },
      { direction: 'outbound', from_address: line.phone, to_address: ANA, body: activatedText('Gate Emergency', 3), activation_id: act.id, provider_id: null },
    ]);
    // The carrier retries the same webhook: same reply, still one activation and two messages.
    const again = await text(line, '   resq   Help at gate 4  ', ANA, sid).expect(200);
    expect(again.text).toBe(res.text);
    expect(await rows('SELECT id FROM activations WHERE account_id = $1', [accountId])).toHaveLength(1);
    expect(await rows('SELECT id FROM messages WHERE account_id = $1', [accountId])).toHaveLength(2);
  });

  it('matches a bare code, and keypad digits, but not another code sharing its keys', async () => {
    expect((await text(line, 'RESQ').expect(200)).text).toBe(messagingResponse(activatedText('Gate Emergency', 3)));
    expect((await text(line, '7377 flood').expect(200)).text).toBe(messagingResponse(activatedText('Gate Emergency', 3)));
    expect((await text(line, 'PERS').expect(200)).text).toBe(messagingResponse(SMS_TEXT.unknownCode));
    expect((await text(line, 'hello there, anyone?').expect(200)).text).toBe(messagingResponse(SMS_TEXT.unknownCode));
    const last = (await rows(`SELECT inbound_message FROM activations ORDER BY created_at DESC LIMIT 1`))[0];
    expect(last.inbound_message).toBe('flood');
  });

  it('opts a sender out with STOP (also an unknown number), sends them nothing more, and back in with START', async () => {
    const stranger = '+13125550777';
    expect((await text(line, ' stop ', ANA).expect(200)).text).toBe(messagingResponse(SMS_TEXT.optedOut));
    expect((await text(line, 'Quit', stranger).expect(200)).text).toBe(messagingResponse(SMS_TEXT.optedOut));
    expect(await isSmsOptedOut(t.rt.infra.db, accountId, ANA)).toBe(true);
    expect(await isSmsOptedOut(t.rt.infra.db, accountId, stranger)).toBe(true);
    expect((await rows('SELECT opted_out_channels FROM contacts WHERE phone = $1', [ANA]))[0].opted_out_channels).toEqual(['sms']);
    // Still activates, but no reply goes to an opted-out number.
    const before = (await rows('SELECT count(*)::int AS n FROM activations'))[0].n;
    expect((await text(line, 'RESQ again', ANA).expect(200)).text).toBe(messagingResponse(null));
    expect((await rows('SELECT count(*)::int AS n FROM activations'))[0].n).toBe(before + 1);
    expect((await text(line, 'HELP', ANA).expect(200)).text).toContain('Switchboard: text a 4-character code');
    expect((await text(line, 'UNSTOP', ANA).expect(200)).text).toBe(messagingResponse(SMS_TEXT.optedIn));
    expect(await isSmsOptedOut(t.rt.infra.db, accountId, ANA)).toBe(false);
    expect((await rows('SELECT opted_out_channels FROM contacts WHERE phone = $1', [ANA]))[0].opted_out_channels).toEqual([]);
    for (const w of ['STOPALL', 'unsubscribe', 'CANCEL', 'end']) expect((await text(line, w, '+13125550778').expect(200)).text).toBe(messagingResponse(SMS_TEXT.optedOut));
  });

  it('answers HELP with the account help text', async () => {
    await t.rt.infra.db.query('UPDATE accounts SET help_text = $2 WHERE id = $1', [accountId, 'Acme Rescue: text RESQ & your location. <24/7>']);
    expect((await text(line, 'help').expect(200)).text).toBe(messagingResponse('Acme Rescue: text RESQ & your location. <24/7>'));
  });

  it('offers the text to interceptors after the keywords, in order, before code matching', async () => {
    const seen: string[] = [];
    t.rt.services.telephony.interceptors.unshift({
      name: 'test-poll',
      async intercept(msg) {
        seen.push(`${msg.providerId}:${msg.body}:${msg.contactId ? 'contact' : 'stranger'}`);
        return msg.body.trim() === '2' ? { handled: true, reply: 'Thanks, answer 2 recorded.' } : null;
      },
    });
    try {
      const sid = messageSid(9100);
      expect((await text(line, '2', ANA, sid).expect(200)).text).toBe(messagingResponse('Thanks, answer 2 recorded.'));
      expect(seen).toEqual([`${sid}:2:contact`]);
      await text(line, 'STOP', '+13125550779').expect(200);
      expect(seen).toHaveLength(1); // keywords first: the interceptor never saw STOP
    } finally {
      t.rt.services.telephony.interceptors.shift();
    }
  });

  it('locks out a texter guessing codes without revealing a right one', async () => {
    const guesser = '+13125550888';
    for (const c of ['AAAA', 'BBBB', 'CCCC']) expect((await text(line, c, guesser).expect(200)).text).toBe(messagingResponse(SMS_TEXT.unknownCode));
    expect((await text(line, 'RESQ', guesser).expect(200)).text).toBe(messagingResponse(SMS_TEXT.unknownCode));
    expect(await rows(`SELECT id FROM activations WHERE context->>'caller' = $1`, [guesser])).toHaveLength(0);
  });

  it('refuses strangers on a known-contacts-only line, ignores short-code senders and unknown lines, and 403s bad signatures', async () => {
    const strict = await addTwilioLine(t, accountId, { settings: { knownContactsOnly: true } });
    await addCodeWorkflow(t, accountId, { name: 'Strict', code: 'STRC', lineId: strict.id, groupIds: [] });
    expect((await text(strict, 'STRC', '+13125550999').expect(200)).text).toBe(messagingResponse(SMS_TEXT.notAllowed));
    expect((await text(strict, 'STRC', '+13125550202').expect(200)).text).toBe(messagingResponse(activatedText('Strict', 0)));
    const before = (await rows('SELECT count(*)::int AS n FROM messages'))[0].n;
    expect((await text(line, 'RESQ', '12345').expect(200)).text).toBe(messagingResponse(null));
    expect((await text(line, 'RESQ', 'VERIFY').expect(200)).text).toBe(messagingResponse(null));
    expect((await text({ ...line, phone: '+13120000000' }, 'RESQ').expect(200)).text).toBe(messagingResponse(null));
    const p = { MessageSid: messageSid(1), AccountSid: line.accountSid, From: ANA, To: line.phone, Body: 'RESQ' };
    await signedPost(t.http(), PUB, '/webhooks/twilio/sms', p, { signature: null }).expect(403);
    await signedPost(t.http(), PUB, '/webhooks/twilio/sms', p, { authToken: 'wrong' }).expect(403);
    expect((await rows('SELECT count(*)::int AS n FROM messages'))[0].n).toBe(before);
    const long = await text(line, 'x'.repeat(1601)).expect(400);
    expect(long.body.details[0].path).toBe('Body');
  });
});
