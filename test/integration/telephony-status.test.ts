import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallStatusEvent, MessageStatusEvent } from '../../src/engine/status-port.js';
import { addTwilioLine, callSid, messageSid, signedPost, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';

describe('status webhook: ordered by carrier sequence, passed to listeners', () => {
  let t: TestRuntime;
  let accountId: string;
  let line: LineFixture;
  const messages: MessageStatusEvent[] = [];
  const calls: CallStatusEvent[] = [];

  const status = (path: string, params: Record<string, string>) =>
    signedPost(t.http(), PUB, path, { AccountSid: line.accountSid, ApiVersion: '2010-04-01', ...params }, { authToken: line.authToken });
  const row = async (sql: string, params: unknown[]) => (await t.rt.infra.db.query(sql, params)).rows[0];

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    accountId = (await createTestAccount(t)).account.id;
    line = await addTwilioLine(t, accountId);
    t.rt.services.telephony.statusListeners.push({
      onMessageStatus: async (e) => void messages.push(e),
      onCallStatus: async (e) => void calls.push(e),
    });
  });
  afterAll(async () => t?.close());

  it('keeps the latest message status when callbacks arrive out of order, and tells listeners with the URL params', async () => {
    const sid = messageSid(42);
    await t.rt.infra.db.query(
      `INSERT INTO messages (account_id, line_id, direction, channel, from_address, to_address, body, provider_id, status) VALUES ($1, $2, 'outbound', 'sms', $3, '+13125550201', 'hi', $4, 'queued')`,
      [accountId, line.id, line.phone, sid],
    );
    const base = { MessageSid: sid, SmsSid: sid, From: line.phone, To: '+13125550201' };
    await status('/webhooks/twilio/status?delivery=d-1', { ...base, MessageStatus: 'delivered', SequenceNumber: '2' }).expect(200);
    await status('/webhooks/twilio/status?delivery=d-1', { ...base, MessageStatus: 'sent', SequenceNumber: '1' }).expect(200);
    expect(await row('SELECT status, last_sequence FROM messages WHERE provider_id = $1', [sid])).toEqual({ status: 'delivered', last_sequence: 2 });
    // Without sequence numbers, a final status is not replaced by an earlier stage either.
    await status('/webhooks/twilio/status', { ...base, MessageStatus: 'sending' }).expect(200);
    expect((await row('SELECT status FROM messages WHERE provider_id = $1', [sid])).status).toBe('delivered');
    expect(messages.map((m) => [m.status, m.sequence, m.params?.delivery ?? null, m.accountId])).toEqual([
      ['delivered', 2, 'd-1', accountId], ['sent', 1, 'd-1', accountId], ['sending', null, null, accountId],
    ]);
  });

  it('records a failed message with the carrier error code', async () => {
    const sid = messageSid(43);
    await t.rt.infra.db.query(
      `INSERT INTO messages (account_id, line_id, direction, channel, from_address, to_address, body, provider_id, status) VALUES ($1, $2, 'outbound', 'sms', $3, '+13125550202', 'hi', $4, 'queued')`,
      [accountId, line.id, line.phone, sid],
    );
    await status('/webhooks/twilio/status', { MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003', From: line.phone, To: '+13125550202', SequenceNumber: '3' }).expect(200);
    expect(await row('SELECT status, error_code FROM messages WHERE provider_id = $1', [sid])).toEqual({ status: 'undelivered', error_code: '30003' });
  });

  it('upserts call status in sequence order, with duration and outcome', async () => {
    const sid = callSid(77);
    const base = { CallSid: sid, From: line.phone, To: '+13125550201', Direction: 'outbound-api' };
    await status('/webhooks/twilio/status?delivery=d-9&kind=voice', { ...base, CallStatus: 'ringing', SequenceNumber: '1' }).expect(200);
    await status('/webhooks/twilio/status?delivery=d-9&kind=voice', { ...base, CallStatus: 'completed', CallDuration: '34', SequenceNumber: '3' }).expect(200);
    await status('/webhooks/twilio/status?delivery=d-9&kind=voice', { ...base, CallStatus: 'in-progress', SequenceNumber: '2' }).expect(200);
    expect(await row('SELECT status, duration_seconds, outcome, direction, last_sequence, account_id FROM calls WHERE provider_call_id = $1', [sid]))
      .toEqual({ status: 'completed', duration_seconds: 34, outcome: 'answered', direction: 'outbound', last_sequence: 3, account_id: accountId });
    expect(calls.map((c) => [c.status, c.sequence, c.params])).toEqual([
      ['ringing', 1, { delivery: 'd-9', kind: 'voice' }], ['completed', 3, { delivery: 'd-9', kind: 'voice' }], ['in-progress', 2, { delivery: 'd-9', kind: 'voice' }],
    ]);
    expect(calls[1]!.durationSeconds).toBe(34);
  });

  it('refuses unsigned callbacks and names a missing status field', async () => {
    await signedPost(t.http(), PUB, '/webhooks/twilio/status', { AccountSid: line.accountSid, CallSid: callSid(78), CallStatus: 'completed' }, { signature: null }).expect(403);
    expect(await row('SELECT count(*)::int AS n FROM calls WHERE provider_call_id = $1', [callSid(78)])).toEqual({ n: 0 });
    const bad = await status('/webhooks/twilio/status', { CallSid: callSid(79), From: line.phone }).expect(400);
    expect(bad.body.details[0].path).toBe('CallStatus');
  });

  it('answers 500 when a listener fails, so the carrier may retry', async () => {
    t.rt.services.telephony.statusListeners.push({ onCallStatus: async () => { throw new Error('boom'); } });
    await status('/webhooks/twilio/status', { CallSid: callSid(80), From: line.phone, To: '+13125550201', CallStatus: 'busy' }).expect(500);
    t.rt.services.telephony.statusListeners.pop();
    expect((await row('SELECT status, outcome FROM calls WHERE provider_call_id = $1', [callSid(80)]))).toEqual({ status: 'busy', outcome: 'missed' });
  });
});
