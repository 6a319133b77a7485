import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioProvider } from '../../adapters/telephony/twilio-provider.js';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { ProviderError } from '../../src/errors.js';
import type { TelephonyProvider } from '../../src/engine/telephony-port.js';

const creds = { accountSid: `AC${'a1'.repeat(16)}`, authToken: 'emulator-auth-token-0123456789ab' };
const LINE = '+15005550006';

/** A stand-in gateway: checks every callback's signature and serves TwiML to outbound calls. */
const startFakeGateway = async () => {
  const received: Array<{ path: string; valid: boolean; body: Record<string, string> }> = [];
  const app: FastifyInstance = Fastify();
  await app.register(formbody);
  let base = '';
  app.post('/*', async (req, reply) => {
    const url = base + req.url;
    const body = req.body as Record<string, string>;
    const valid = twilio.validateRequest(creds.authToken, String(req.headers['x-twilio-signature'] ?? ''), url, body);
    received.push({ path: req.url, valid, body });
    if (req.url.startsWith('/twiml/ack')) {
      const gathered = body.Digits;
      reply.type('text/xml');
      if (gathered) return `<Response><Say>You pressed ${gathered}</Say><Hangup/></Response>`;
      return `<Response><Gather numDigits="1" action="${base}/twiml/ack"><Say>Alert. Press 1.</Say></Gather><Say>No answer</Say></Response>`;
    }
    return '';
  });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/\/$/, '');
  return { app, base, received };
};

describe('twilio provider (official SDK) against the carrier emulator over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startFakeGateway>>;
  let carrier: CarrierEmulator;
  let provider: TelephonyProvider;

  beforeAll(async () => {
    gw = await startFakeGateway();
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: gw.base, callbackDelayMs: 1 });
    provider = createTwilioProvider({ apiUrl: carrier.url });
  });
  afterAll(async () => {
    await carrier?.close();
    await gw?.app.close();
  });
  beforeEach(() => {
    carrier.reset();
    gw.received.length = 0;
  });

  it('sends an SMS and the carrier reports queued -> sent -> delivered, signed and numbered', async () => {
    const res = await provider.sendSms(creds, { from: LINE, to: '+15551230001', body: 'Gate 4 needs help', statusCallbackUrl: `${gw.base}/status?delivery=d1` });
    expect(res).toEqual({ providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued' });
    expect(carrier.messages).toMatchObject([{ from: LINE, to: '+15551230001', body: 'Gate 4 needs help' }]);
    await carrier.settled();
    expect(gw.received.map((r) => [r.path, r.valid, r.body.MessageStatus, r.body.SequenceNumber])).toEqual([
      ['/status?delivery=d1', true, 'queued', '0'],
      ['/status?delivery=d1', true, 'sent', '1'],
      ['/status?delivery=d1', true, 'delivered', '2'],
    ]);
    expect(await provider.fetchMessageStatus(creds, res.providerId)).toEqual({ providerId: res.providerId, status: 'delivered', errorCode: null, durationSeconds: null });
    expect(await provider.fetchMessageStatus(creds, `SM${'0'.repeat(32)}`)).toBeNull();
  });

  it('finds messages sent since a time, by from/to (crash reconciliation)', async () => {
    const since = new Date(Date.now() - 1000);
    await provider.sendSms(creds, { from: LINE, to: '+15551230002', body: 'one' });
    await provider.sendSms(creds, { from: LINE, to: '+15551230003', body: 'other' });
    const found = await provider.findMessages(creds, { from: LINE, to: '+15551230002', since });
    expect(found.map((m) => [m.to, m.body])).toEqual([['+15551230002', 'one']]);
    expect(await provider.findMessages(creds, { from: LINE, to: '+15551230002', since: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('maps carrier refusals onto the retry contract', async () => {
    carrier.setBehaviour('+15550000001', { error: { status: 400, code: 21211 } });
    carrier.setBehaviour('+15550000002', { error: { status: 429, code: 20429 } });
    carrier.setBehaviour('+15550000003', { error: { status: 500, code: 20500 } });
    const err = (to: string) => provider.sendSms(creds, { from: LINE, to, body: 'x' }).then(() => null, (e: unknown) => e as ProviderError);
    const invalid = await err('+15550000001');
    expect(invalid).toBeInstanceOf(ProviderError);
    expect(invalid).toMatchObject({ providerCode: '21211', providerStatus: 400, retryable: false, rateLimited: false });
    expect(await err('+15550000002')).toMatchObject({ providerCode: '20429', retryable: true, rateLimited: true });
    expect(await err('+15550000003')).toMatchObject({ providerStatus: 500, retryable: true, rateLimited: false });
    const wrongToken = await provider.sendSms({ ...creds, authToken: 'nope' }, { from: LINE, to: '+15551230009', body: 'x' }).catch((e: unknown) => e);
    expect(wrongToken).toMatchObject({ providerCode: '20003', retryable: false });
    const down = createTwilioProvider({ apiUrl: 'http://127.0.0.1:9' });
    expect(await down.sendSms(creds, { from: LINE, to: '+15551230009', body: 'x' }).catch((e: unknown) => e)).toMatchObject({ retryable: true, providerCode: 'ECONNREFUSED' });
    expect(carrier.messages).toEqual([]);
  });

  it('places a call: the callee hears the TwiML, presses a key, and the carrier reports progress', async () => {
    carrier.setBehaviour('+15551230010', { keys: '1' });
    const res = await provider.placeCall(creds, {
      from: LINE, to: '+15551230010', twimlUrl: `${gw.base}/twiml/ack`, statusCallbackUrl: `${gw.base}/status?delivery=d2`,
      statusEvents: ['initiated', 'ringing', 'answered', 'completed'], sendDigits: '1w2',
    });
    expect(res.providerId).toMatch(/^CA[0-9a-f]{32}$/);
    await carrier.settled();
    const call = carrier.calls[0]!;
    expect(call.transcript?.heard).toEqual(['Alert. Press 1.', 'You pressed 1']);
    expect(call.transcript?.playedDigits).toEqual(['1w2']);
    const statuses = gw.received.filter((r) => r.path.startsWith('/status'));
    expect(statuses.every((r) => r.valid)).toBe(true);
    expect(statuses.map((r) => r.body.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(Number(statuses.at(-1)!.body.CallDuration)).toBeGreaterThanOrEqual(1);
    expect(await provider.fetchCallStatus(creds, res.providerId)).toMatchObject({ status: 'completed' });
  });

  it('reports no-answer and busy, and hangs up a call in progress', async () => {
    carrier.setBehaviour('+15551230011', { answer: 'no-answer' });
    const r = await provider.placeCall(creds, { from: LINE, to: '+15551230011', twimlUrl: `${gw.base}/twiml/ack`, statusCallbackUrl: `${gw.base}/status` });
    await carrier.settled();
    expect(gw.received.map((x) => x.body.CallStatus)).toEqual(['no-answer']);
    expect(await provider.fetchCallStatus(creds, r.providerId)).toMatchObject({ status: 'no-answer' });

    // Rings long enough that the hang-up lands first even on a loaded machine (ringing ends at the hang-up).
    carrier.setBehaviour('+15551230012', { answerDelayMs: 10_000 });
    const r2 = await provider.placeCall(creds, { from: LINE, to: '+15551230012', twimlUrl: `${gw.base}/twiml/ack` });
    await provider.hangupCall(creds, r2.providerId);
    await carrier.settled();
    expect(carrier.calls[1]!.status).toBe('canceled');
    await provider.hangupCall(creds, `CA${'0'.repeat(32)}`); // unknown: nothing to do
  });
});
