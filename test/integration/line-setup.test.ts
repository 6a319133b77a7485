/**
 * Issue 17, "Twilio numbers set themselves up": a Twilio line's number is looked up in the
 * carrier account through the official SDK (IncomingPhoneNumbers filtered by PhoneNumber) and
 * checked; with consent its webhooks are pointed at this gateway, and no other number is touched.
 * A line may send its texts through a Messaging Service (MessagingServiceSid instead of From).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioNumbers } from '../../adapters/telephony/twilio-numbers.js';
import { createTwilioProvider } from '../../adapters/telephony/twilio-provider.js';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { createLineSetupService } from '../../src/lines/line-setup-service.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { addCrowd, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

const PUBLIC = 'https://sb.example.org';
const WANT = { voiceUrl: `${PUBLIC}/webhooks/twilio/voice`, smsUrl: `${PUBLIC}/webhooks/twilio/sms`, statusCallback: `${PUBLIC}/webhooks/twilio/status` };
const MG = `MG${'0a1b2c3d'.repeat(4)}`;
const codes = (check: { findings: Array<{ code: string }> }) => check.findings.map((f) => f.code);

describe('line set-up: check and configure the Twilio number behind a line', () => {
  let env: RuntimeWithCarrier;
  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ PUBLIC_URL: PUBLIC }, { web: true, worker: false });
  });
  afterAll(async () => env?.close());
  beforeEach(() => env.carrier.reset());

  const account = async () => {
    const a = await createTestAccount(env.t);
    const conn = await a.api.post('/v1/carrier-connections').send({ name: 'Twilio', ...env.creds }).expect(201);
    const create = (phoneNumber: string, extra: object = {}) =>
      a.api.post('/v1/lines').send({ phoneNumber, provider: 'twilio', carrierConnectionId: conn.body.id, ...extra });
    return { a, conn: conn.body.id as string, create };
  };

  it('reports a number that is not in the carrier account, and still creates the line', async () => {
    const { a, create } = await account();
    env.carrier.addNumber({ phoneNumber: '+13125550100', ...WANT }); // another number of the account
    const res = await create('+13125550199').expect(201);
    expect(res.body.check).toMatchObject({ ok: false, found: null, phoneNumber: '+13125550199', changed: false });
    expect(codes(res.body.check)).toEqual(['number_not_found']);
    expect(res.body.check.findings[0].message).toContain(`not a number of the Twilio account ${env.creds.accountSid}`);
    await a.api.get(`/v1/lines/${res.body.id}`).expect(200);
    const listed = env.carrier.requests.filter((r) => r.path.endsWith('/IncomingPhoneNumbers.json'));
    expect(listed.map((r) => [r.method, r.params.PhoneNumber])).toEqual([['GET', '+13125550199']]);
  });

  it('reports the voice URL, SMS URL and status callback pointing elsewhere or missing', async () => {
    const { a, create } = await account();
    env.carrier.addNumber({ phoneNumber: '+13125550101', voiceUrl: 'https://old-host.example/voice', smsUrl: 'https://old-host.example/sms' });
    const res = await create('+13125550101').expect(201);
    expect(res.body.check.ok).toBe(false);
    expect(codes(res.body.check)).toEqual(['voice_url_elsewhere', 'sms_url_elsewhere', 'status_callback_missing']);
    expect(res.body.check.findings[0]).toEqual({
      code: 'voice_url_elsewhere', severity: 'error',
      message: `Calls to +13125550101 go to https://old-host.example/voice, not to this gateway (${WANT.voiceUrl}): callers do not reach Switchboard.`,
    });
    expect(res.body.check.findings[2].severity).toBe('warning');
    expect(res.body.check.expected).toMatchObject({ ...WANT, voiceMethod: 'POST', smsMethod: 'POST' });

    // Right URLs, but calls sent with GET and status changes going elsewhere.
    env.carrier.addNumber({ phoneNumber: '+13125550102', ...WANT, voiceMethod: 'GET', statusCallback: 'https://old-host.example/status' });
    const second = await create('+13125550102').expect(201);
    expect(codes(second.body.check)).toEqual(['voice_method_wrong', 'status_callback_elsewhere']);

    // Set up right: nothing to report; Check says so again and changes nothing.
    env.carrier.addNumber({ phoneNumber: '+13125550103', ...WANT });
    const good = await create('+13125550103').expect(201);
    expect(good.body.check).toMatchObject({ ok: true, findings: [], found: { ...WANT, voiceMethod: 'POST', smsMethod: 'POST' } });
    const again = await a.api.post(`/v1/lines/${good.body.id}/check`).expect(200);
    expect(again.body).toMatchObject({ ok: true, changed: false, findings: [] });
    expect(env.carrier.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('configure sets exactly the asked number; another number of the account is untouched', async () => {
    const { a, create } = await account();
    const other = env.carrier.addNumber({ phoneNumber: '+13125550111', voiceUrl: 'https://other-app.example/voice', voiceMethod: 'GET', smsUrl: null });
    const otherBefore = structuredClone(other);
    const mine = env.carrier.addNumber({ phoneNumber: '+13125550110', voiceUrl: 'https://old-host.example/voice', voiceApplicationSid: `AP${'1'.repeat(32)}` });
    const line = await create('+13125550110').expect(201);
    expect(codes(line.body.check)).toEqual(['voice_application_set', 'voice_url_elsewhere', 'sms_url_elsewhere', 'status_callback_missing']);
    expect(env.carrier.requests.filter((r) => r.method === 'POST')).toEqual([]); // no consent yet: nothing changed

    const res = await a.api.post(`/v1/lines/${line.body.id}/configure`).expect(200);
    expect(res.body).toMatchObject({ ok: true, changed: true, findings: [], found: { sid: mine.sid, ...WANT, voiceApplicationSid: null } });
    expect(mine).toMatchObject({ ...WANT, voiceMethod: 'POST', smsMethod: 'POST', statusCallbackMethod: 'POST', voiceApplicationSid: null });
    expect(other).toEqual(otherBefore);
    const posts = env.carrier.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual([`/2010-04-01/Accounts/${env.creds.accountSid}/IncomingPhoneNumbers/${mine.sid}.json`]);
    expect(posts[0]!.params).toMatchObject({ VoiceUrl: WANT.voiceUrl, VoiceMethod: 'POST', SmsUrl: WANT.smsUrl, SmsMethod: 'POST', StatusCallback: WANT.statusCallback });

    // Configured already: configure again rewrites nothing.
    const twice = await a.api.post(`/v1/lines/${line.body.id}/configure`).expect(200);
    expect(twice.body).toMatchObject({ ok: true, changed: false });
    expect(env.carrier.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('configureWebhooks on create sets the new number up; refused for a simulator line, naming the field', async () => {
    const { a, create } = await account();
    const other = env.carrier.addNumber({ phoneNumber: '+13125550121', smsUrl: 'https://other-app.example/sms' });
    const mine = env.carrier.addNumber({ phoneNumber: '+13125550120' });
    const res = await create('+13125550120', { configureWebhooks: true }).expect(201);
    expect(res.body.check).toMatchObject({ ok: true, changed: true, findings: [] });
    expect(mine).toMatchObject(WANT);
    expect(other).toMatchObject({ voiceUrl: null, smsUrl: 'https://other-app.example/sms', statusCallback: null });

    const sim = await a.api.post('/v1/lines').send({ phoneNumber: '+13125550122', provider: 'simulator', configureWebhooks: true }).expect(400);
    expect(sim.body.details).toEqual([{ path: 'configureWebhooks', message: expect.any(String) }]);
    await a.api.get('/v1/lines').expect(200).then((r) => expect(r.body.data.map((l: { phoneNumber: string }) => l.phoneNumber)).not.toContain('+13125550122'));
    const simLine = await a.api.post('/v1/lines').send({ phoneNumber: '+13125550122', provider: 'simulator' }).expect(201);
    expect(simLine.body.check).toBeNull();
    expect((await a.api.post(`/v1/lines/${simLine.body.id}/check`).expect(400)).body.details[0].path).toBe('id');
    const bad = await create('+13125550123', { configureWebhooks: 'yes' }).expect(400);
    expect(bad.body.details[0].path).toBe('configureWebhooks');
  });

  it('refused credentials are a finding, and another account\'s line is a 404', async () => {
    const { a } = await account();
    const wrong = await a.api.post('/v1/carrier-connections').send({ accountSid: `AC${'9'.repeat(32)}`, authToken: 'x'.repeat(32) }).expect(201);
    const line = await a.api.post('/v1/lines').send({ phoneNumber: '+13125550130', provider: 'twilio', carrierConnectionId: wrong.body.id }).expect(201);
    expect(codes(line.body.check)).toEqual(['carrier_credentials_refused']);
    const b = await createTestAccount(env.t);
    await b.api.post(`/v1/lines/${line.body.id}/check`).expect(404);
    await b.api.post(`/v1/lines/${line.body.id}/configure`).expect(404);
  });

  it('validates the Messaging Service SID, naming the field', async () => {
    const { a, create } = await account();
    for (const messagingServiceSid of ['MG123', `PN${'a'.repeat(32)}`, `MG${'g'.repeat(32)}`]) {
      const res = await create('+13125550140', { messagingServiceSid }).expect(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'messagingServiceSid', message: expect.stringContaining('MG followed by 32') }] });
    }
    const sim = await a.api.post('/v1/lines').send({ phoneNumber: '+13125550140', provider: 'simulator', messagingServiceSid: MG }).expect(400);
    expect(sim.body.details[0].path).toBe('messagingServiceSid');
    expect((await a.api.get('/v1/lines').expect(200)).body.data).toEqual([]);
    const line = await create('+13125550140', { messagingServiceSid: MG }).expect(201);
    expect(line.body.messagingServiceSid).toBe(MG);
    const cleared = await a.api.patch(`/v1/lines/${line.body.id}`).send({ messagingServiceSid: null }).expect(200);
    expect(cleared.body.messagingServiceSid).toBeNull();
    await a.api.patch(`/v1/lines/${line.body.id}`).send({ messagingServiceSid: MG }).expect(200);
    const moved = await a.api.patch(`/v1/lines/${line.body.id}`).send({ provider: 'simulator' }).expect(200);
    expect(moved.body).toMatchObject({ provider: 'simulator', carrierConnectionId: null, messagingServiceSid: null });
  });
});

describe('line set-up service: carrier unreachable and PUBLIC_URL not HTTPS', () => {
  let env: RuntimeWithCarrier;
  beforeAll(async () => {
    env = await startRuntimeWithCarrier({}, { web: true, worker: false });
  });
  afterAll(async () => env?.close());

  it('reports a non-HTTPS PUBLIC_URL, and an unreachable carrier as a finding while the line is still created', async () => {
    const a = await createTestAccount(env.t);
    const conn = await a.api.post('/v1/carrier-connections').send(env.creds).expect(201);
    env.carrier.addNumber({ phoneNumber: '+13125550150', voiceUrl: 'http://switchboard.test/webhooks/twilio/voice', smsUrl: 'http://switchboard.test/webhooks/twilio/sms', statusCallback: 'http://switchboard.test/webhooks/twilio/status' });
    const res = await a.api.post('/v1/lines').send({ phoneNumber: '+13125550150', provider: 'twilio', carrierConnectionId: conn.body.id }).expect(201);
    expect(res.body.check.ok).toBe(true); // a warning only
    expect(res.body.check.findings).toEqual([{ code: 'public_url_not_https', severity: 'warning', message: expect.stringContaining('PUBLIC_URL is http://switchboard.test, not an HTTPS address') }]);

    // Nothing listens on the carrier's address: the look-up fails, the creation does not.
    const setup = createLineSetupService({
      lines: env.t.rt.services.lines, numbers: createTwilioNumbers({ apiUrl: 'http://127.0.0.1:9', timeoutMs: 2000 }), publicUrl: 'http://switchboard.test',
      carrierOf: async (acct, id) => (await env.t.rt.services.telephony.providers.forLine(acct, id)).line,
    });
    const line = await setup.create(a.account.id, { phoneNumber: '+13125550151', provider: 'twilio', carrierConnectionId: conn.body.id, configureWebhooks: true });
    expect(codes(line.check!)).toEqual(['public_url_not_https', 'carrier_unreachable']);
    expect(line.check!.findings[1]!.message).toContain('Could not reach Twilio');
    await a.api.get(`/v1/lines/${line.id}`).expect(200);
  });
});

describe('Messaging Service: texts sent with MessagingServiceSid from the service pool', () => {
  let env: RuntimeWithCarrier;
  const POOL = ['+13125550901', '+13125550902', '+13125550903'];
  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ SWEEP_INTERVAL_MS: '200', DELIVERY_BACKOFF_MS: '100', SMS_LOOKUP_AFTER_DOUBT_MS: '1000' }, { web: true, worker: true });
  });
  afterAll(async () => env?.close());

  it('the provider sends through the service and finds such a text again when its answer was lost', async () => {
    env.carrier.reset();
    env.carrier.addMessagingService(MG, POOL);
    const provider = createTwilioProvider({ apiUrl: env.carrier.url });
    const since = new Date(Date.now() - 1000);
    const sent = await provider.sendSms(env.creds, { from: '+13125550900', messagingServiceSid: MG, to: '+16467500001', body: 'Pool text' });
    expect(sent.status).toBe('accepted');
    const m = env.carrier.messages.find((x) => x.sid === sent.providerId)!;
    expect(POOL).toContain(m.from);
    // Looked up by the line's own number, it is not there: the sender came from the pool.
    expect(await provider.findMessages(env.creds, { from: '+13125550900', to: '+16467500001', since })).toEqual([]);
    const found = await provider.findMessages(env.creds, { from: '+13125550900', to: '+16467500001', since, messagingServiceSid: MG });
    expect(found.map((f) => [f.providerId, f.from, f.messagingServiceSid])).toEqual([[sent.providerId, m.from, MG]]);
    const unknown = await provider.sendSms(env.creds, { from: '+13125550900', messagingServiceSid: `MG${'f'.repeat(32)}`, to: '+16467500001', body: 'x' }).catch((e) => e);
    expect(unknown).toMatchObject({ providerCode: '21701', retryable: false });
  });

  it('an activation to 6 people through a Messaging Service line: one text each, from the pool, even when an answer is lost', { timeout: 60_000 }, async () => {
    env.carrier.reset();
    env.carrier.addMessagingService(MG, POOL);
    const a = await createTestAccount(env.t);
    const conn = await a.api.post('/v1/carrier-connections').send(env.creds).expect(201);
    const line = await a.api.post('/v1/lines').send({ phoneNumber: '+13125550900', provider: 'twilio', carrierConnectionId: conn.body.id, messagingServiceSid: MG }).expect(201);
    const phones = Array.from({ length: 6 }, (_, i) => `+1646751000${i}`);
    env.carrier.setBehaviour(phones[2]!, { dropResponseTimes: 1 }); // the carrier takes it, the answer is lost
    const group = await addCrowd(env.t, a.account.id, phones.length, (i) => phones[i]!);
    const wf = await addWorkflow(env.t, a.account.id, {
      name: 'Pool alert', codeLineId: line.body.id,
      actions: [{ id: 'n', type: 'notification', groupIds: [group], includeOffDuty: false, message: 'Shelter open at the school', channels: ['sms'] }],
    });
    const act = await a.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
    const rows = async () => (await env.t.rt.infra.db.query(
      `SELECT address, status, provider_id, meta ? 'reconciled' AS reconciled FROM deliveries WHERE activation_id = $1 ORDER BY address`, [act.body.id],
    )).rows;
    await eventually(async () => (await rows()).filter((r) => r.status === 'delivered').length === phones.length, 'every text delivered', 30_000);
    await env.carrier.settled();

    expect(env.carrier.messages.map((m) => m.to).sort()).toEqual(phones);
    for (const m of env.carrier.messages) {
      expect(m).toMatchObject({ body: 'Shelter open at the school', messagingServiceSid: MG, status: 'delivered' });
      expect(POOL).toContain(m.from);
    }
    const creates = env.carrier.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json'));
    expect(creates).toHaveLength(6);
    for (const r of creates) {
      expect(r.params.MessagingServiceSid).toBe(MG);
      expect(r.params.From).toBeUndefined();
    }
    const stored = await rows();
    expect(stored.map((r) => r.provider_id).sort()).toEqual(env.carrier.messages.map((m) => m.sid).sort());
    expect(stored.find((r) => r.address === phones[2])!.reconciled).toBe(true);
  });
});
