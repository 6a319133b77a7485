import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ivr from '../../ivr/activation-line.js';
import { addCodeWorkflow, addContacts, addGroup, addTwilioLine, callSid, messageSid, signedPost, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { withAdminClient } from '../helpers/test-db.js';

const PUB = 'http://switchboard.test';
const APOLOGY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
  + 'Sorry, we could not process your message. Please try again in a few minutes.</Message></Response>';

/**
 * PostgreSQL really unreachable (the database refuses every connection and the open ones are
 * cut): an inbound text is answered with an apology in TwiML, as a call is — never a 5xx, which
 * the carrier does not retry and which leaves the texter with no answer at all.
 */
describe('sms webhook with PostgreSQL down', () => {
  let t: TestRuntime & { databaseUrl: string };
  let warm: LineFixture;
  let cold: LineFixture;
  const dbName = () => new URL(t.databaseUrl).pathname.slice(1);
  const setReachable = async (on: boolean) =>
    withAdminClient(async (c) => {
      await c.query(`ALTER DATABASE ${dbName()} WITH ALLOW_CONNECTIONS ${on}`);
      if (!on) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName()]);
    });
  const text = (ln: LineFixture, body: string, n: number) =>
    signedPost(t.http(), PUB, '/webhooks/twilio/sms', {
      MessageSid: messageSid(n), SmsSid: messageSid(n), AccountSid: ln.accountSid, From: '+13125550101', To: ln.phone, Body: body, NumMedia: '0',
    }, { authToken: ln.authToken });

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    const { account } = await createTestAccount(t);
    warm = await addTwilioLine(t, account.id);
    cold = await addTwilioLine(t, account.id);
    const g = await addGroup(t, account.id, 'Responders', await addContacts(t, account.id, [{ name: 'Ana', phone: '+13125550201' }]));
    await addCodeWorkflow(t, account.id, { name: 'Gate Emergency', code: 'RESQ', lineId: null, groupIds: [g] });
    // The warm line's signing token is loaded (and cached) while PostgreSQL is up.
    expect((await text(warm, 'RESQ', 1).expect(200)).text).toContain('Gate Emergency activated.');
    await setReachable(false);
  });
  afterAll(async () => {
    if (t) await setReachable(true);
    await t?.close();
  });

  it('answers a text with the apology when the signing token cannot be loaded', async () => {
    const res = await text(cold, 'RESQ help at gate 4', 2).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.text).toBe(APOLOGY_TWIML);
  });

  it('answers a text with the apology when the token was known but the text cannot be handled', async () => {
    const res = await text(warm, 'RESQ help at gate 4', 3).expect(200);
    expect(res.text).toBe(APOLOGY_TWIML);
  });

  it('still refuses an unsigned text (403) and still apologises to a caller, as before', async () => {
    await signedPost(t.http(), PUB, '/webhooks/twilio/sms', { MessageSid: messageSid(4), AccountSid: cold.accountSid, From: '+13125550101', To: cold.phone }, { signature: null })
      .expect(403);
    const call = await signedPost(t.http(), PUB, '/webhooks/twilio/voice', {
      CallSid: callSid(5), AccountSid: cold.accountSid, From: '+13125550101', To: cold.phone, CallStatus: 'ringing', Direction: 'inbound',
    }, { authToken: cold.authToken }).expect(200);
    expect(call.text).toBe(ivr.apology());
  });
});
