import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSimulatorLine } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('simulator provider: sends nothing, keeps everything, visible per account', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('stores sends with fake SIDs, answers status and reconciliation queries, and lists them only to the owning account', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const line = await addSimulatorLine(t, a.account.id);
    const { line: lc, provider } = await t.rt.services.telephony.providers.forLine(a.account.id, line.id);
    expect(provider.name).toBe('simulator');
    expect(lc.credentials).toBeNull();
    const since = new Date(Date.now() - 1000);
    const sms = await provider.sendSms(null, { from: lc.phoneNumber, to: '+13125550201', body: 'Drill <now>', statusCallbackUrl: 'http://switchboard.test/webhooks/twilio/status?delivery=d1' });
    expect(sms).toEqual({ providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'sent' });
    const call = await provider.placeCall(null, { from: lc.phoneNumber, to: '+13125550202', twimlUrl: 'http://switchboard.test/webhooks/twilio/outbound/pager?delivery=d2', sendDigits: '1234w#' });
    expect(call.providerId).toMatch(/^CA[0-9a-f]{32}$/);
    expect(await provider.fetchMessageStatus(null, sms.providerId)).toEqual({ providerId: sms.providerId, status: 'sent', errorCode: null, durationSeconds: null });
    expect(await provider.fetchCallStatus(null, `CA${'0'.repeat(32)}`)).toBeNull();
    expect((await provider.findMessages(null, { from: lc.phoneNumber, to: '+13125550201', since })).map((m) => m.body)).toEqual(['Drill <now>']);
    await provider.hangupCall(null, call.providerId);
    expect(await provider.fetchCallStatus(null, call.providerId)).toMatchObject({ status: 'completed' });

    const listed = await a.api.get('/v1/simulator/outbox').expect(200);
    expect(listed.body.data.map((x: { kind: string; to: string; body: string | null; sendDigits: string | null }) => [x.kind, x.to, x.body, x.sendDigits])).toEqual([
      ['call', '+13125550202', null, '1234w#'], ['sms', '+13125550201', 'Drill <now>', null],
    ]);
    expect((await a.api.get('/v1/simulator/outbox?kind=sms&to=%2B13125550201').expect(200)).body.data).toHaveLength(1);
    expect((await b.api.get('/v1/simulator/outbox').expect(200)).body.data).toEqual([]);
    const bad = await a.api.get('/v1/simulator/outbox?kind=fax').expect(400);
    expect(bad.body.details[0].path).toContain('kind');
    await t.http().get('/v1/simulator/outbox').expect(401);
    await expect(t.rt.services.telephony.providers.forLine(b.account.id, line.id)).rejects.toMatchObject({ status: 404 });
  });
});
