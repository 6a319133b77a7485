/**
 * Looking a text up at the carrier when the answer to its send was lost (issue 19):
 * - The emulator filters `DateSent` as Twilio does: a message the carrier accepted but still holds
 *   queued (paced line, long queue) has no `date_sent` and matches no DateSent filter.
 * - The look-up therefore never filters on DateSent: it lists by To and From (paged, bounded) and
 *   keeps what was created since the doubt began, so a queued text is found and not sent twice.
 * - The look-up waits until the carrier could have finished the lost request, whatever the retry
 *   backoff: a slow carrier storing the text after the connection was lost still gets it once.
 */
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioHttpClient } from '../../adapters/telephony/twilio-http-client.js';
import { createTwilioProvider } from '../../adapters/telephony/twilio-provider.js';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { loadConfig } from '../../src/config.js';
import { addTwilioLine } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { addCrowd, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

const creds = { accountSid: `AC${'b2'.repeat(16)}`, authToken: 'emulator-auth-token-lookup-0123' };
const LINE = '+15005550007';

describe('carrier emulator and twilio provider: texts still queued at the carrier', () => {
  let carrier: CarrierEmulator;
  beforeAll(async () => {
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', callbackDelayMs: 1 });
  });
  afterAll(async () => {
    await carrier?.close();
  });

  const sdkClient = () => twilio(creds.accountSid, creds.authToken, { httpClient: new TwilioHttpClient({ baseUrl: carrier.url, timeoutMs: 5000, maxSockets: 4 }) });
  const rawList = async (query: Record<string, string>) => {
    const res = await fetch(`${carrier.url}/2010-04-01/Accounts/${creds.accountSid}/Messages.json?${new URLSearchParams(query)}`, {
      headers: { authorization: `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}` },
    });
    return { status: res.status, body: (await res.json()) as { messages: Array<{ sid: string; date_sent: string | null }> } };
  };

  it('a queued-not-sent message has no date_sent and matches no DateSent filter, as on Twilio', async () => {
    carrier.reset();
    const to = '+15551240001';
    carrier.setBehaviour(to, { queuedForMs: 60_000 });
    const sdk = sdkClient();
    const m = await sdk.messages.create({ from: LINE, to, body: 'Held at the carrier' });
    expect((await sdk.messages(m.sid).fetch()).dateSent).toBeNull();
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000);
    expect(await sdk.messages.list({ to, dateSentAfter: yesterday })).toEqual([]);
    expect((await rawList({ To: to, DateSent: today })).body.messages).toEqual([]);
    expect((await rawList({ To: to, 'DateSent>': today })).body.messages).toEqual([]);
    expect((await sdk.messages.list({ to, from: LINE })).map((x) => x.sid)).toEqual([m.sid]);
    expect((await rawList({ To: to, 'DateSent>': 'not a date' })).status).toBe(400);

    // Once the carrier sends it on, it has a date_sent and the filters see it (day and date-time forms).
    carrier.releaseQueued();
    await carrier.settled();
    const sent = await sdk.messages(m.sid).fetch();
    expect(sent.status).toBe('delivered');
    expect(sent.dateSent).toBeInstanceOf(Date);
    expect((await sdk.messages.list({ to, dateSentAfter: yesterday })).map((x) => x.sid)).toEqual([m.sid]);
    expect((await rawList({ To: to, DateSent: today })).body.messages.map((x) => x.sid)).toEqual([m.sid]);
    expect((await rawList({ To: to, 'DateSent<': '2001-01-01' })).body.messages).toEqual([]);
  });

  it('lists in pages that the SDK follows (next_page_uri)', async () => {
    carrier.reset();
    const to = '+15551240002';
    const provider = createTwilioProvider({ apiUrl: carrier.url });
    for (let i = 0; i < 5; i++) await provider.sendSms(creds, { from: LINE, to, body: `n${i}` });
    const sdk = sdkClient();
    const page = await sdk.messages.page({ to, pageSize: 2 });
    expect(page.instances.map((x) => x.body)).toEqual(['n4', 'n3']);
    expect((await sdk.messages.list({ to, pageSize: 2 })).map((x) => x.body)).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
  });

  it('findMessages finds a text the carrier accepted but still holds queued (no date_sent)', async () => {
    carrier.reset();
    const to = '+15551240003';
    carrier.setBehaviour(to, { queuedForMs: 60_000 });
    const provider = createTwilioProvider({ apiUrl: carrier.url });
    const since = new Date(Date.now() - 1000);
    const sent = await provider.sendSms(creds, { from: LINE, to, body: 'Paced text' });
    await provider.sendSms(creds, { from: LINE, to: '+15551240004', body: 'Paced text' });
    const found = await provider.findMessages(creds, { from: LINE, to, since });
    expect(found.map((m) => [m.providerId, m.to, m.body, m.status])).toEqual([[sent.providerId, to, 'Paced text', 'queued']]);
    // Created before `since`: not this attempt's text.
    expect(await provider.findMessages(creds, { from: LINE, to, since: new Date(Date.now() + 60_000) })).toEqual([]);
  });
});

describe('action engine: a text whose answer was lost is looked up, never sent twice', () => {
  let env: RuntimeWithCarrier;
  const LOOKUP_AFTER_MS = 3000;

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({
      SWEEP_INTERVAL_MS: '200', DELIVERY_BACKOFF_MS: '100', SMS_LOOKUP_AFTER_DOUBT_MS: String(LOOKUP_AFTER_MS),
    }, { web: true, worker: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  const fanOut = async (name: string, phones: string[], message: string) => {
    const acct = await createTestAccount(env.t);
    const line = await addTwilioLine(env.t, acct.account.id, env.creds);
    const group = await addCrowd(env.t, acct.account.id, phones.length, (i) => phones[i]!);
    const wf = await addWorkflow(env.t, acct.account.id, {
      name, codeLineId: line.id, actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message, channels: ['sms'] }],
    });
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    // Every delivery settled (a text the carrier still holds queued leaves the activation open).
    const settled = async () => (await env.t.rt.infra.db.query(
      `SELECT count(*) > 0 AND count(*) FILTER (WHERE status IN ('pending', 'sending')) = 0 AS ok FROM deliveries WHERE activation_id = $1`, [res.body.id],
    )).rows[0].ok as boolean;
    await eventually(settled, 'every delivery handed to the carrier', 30_000);
    return res.body.id as string;
  };
  const rowsOf = async (activationId: string) => (await env.t.rt.infra.db.query(
    `SELECT address, status, provider_id, attempts, meta ? 'reconciled' AS reconciled FROM deliveries WHERE activation_id = $1 ORDER BY address`, [activationId],
  )).rows;

  it('finds the text the carrier holds queued (paced, no date_sent) instead of sending it again', { timeout: 60_000, retry: 0 }, async () => {
    env.carrier.reset();
    const phone = '+16467400000';
    env.carrier.setBehaviour(phone, { dropResponseTimes: 1, queuedForMs: 60_000 });
    const id = await fanOut('Queued at carrier', [phone], 'Boil water notice');
    const texts = env.carrier.messages.filter((m) => m.to === phone);
    expect(texts.map((m) => [m.body, m.status, m.dateSent])).toEqual([['Boil water notice', 'queued', null]]);
    expect((await rowsOf(id)).map((r) => [r.provider_id, r.status, r.attempts, r.reconciled])).toEqual([[texts[0]!.sid, 'queued', 2, true]]);
  });

  it('waits for a slow carrier that stores the text after the connection was lost (longer than the backoff)', { timeout: 60_000, retry: 0 }, async () => {
    env.carrier.reset();
    const phone = '+16467410000';
    // The connection is lost at once; the carrier stores the text 1.5 s later. The retry backoff is
    // 100 ms: a look-up then finds nothing, and a second text would go out.
    env.carrier.setBehaviour(phone, { dropResponseTimes: 1, dropBeforeAccept: true, acceptDelayMs: 1500 });
    const started = Date.now();
    const id = await fanOut('Slow carrier', [phone], 'Road closed at the bridge');
    const texts = env.carrier.messages.filter((m) => m.to === phone);
    expect(texts.map((m) => m.body)).toEqual(['Road closed at the bridge']);
    expect((await rowsOf(id)).map((r) => [r.provider_id, r.attempts, r.reconciled])).toEqual([[texts[0]!.sid, 2, true]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LOOKUP_AFTER_MS - 200);
  });

  it('rejects a look-up delay below one second, naming the setting', () => {
    const base = { DATABASE_URL: 'postgres://x@localhost/x', REDIS_URL: 'redis://localhost:6379', SECRET_KEY: 'k'.repeat(32) };
    expect(() => loadConfig({ ...base, SMS_LOOKUP_AFTER_DOUBT_MS: '50' })).toThrow(/SMS_LOOKUP_AFTER_DOUBT_MS/);
    expect(loadConfig(base).SMS_LOOKUP_AFTER_DOUBT_MS).toBe(60_000);
  });
});
