import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPTS } from '../../ivr/activation-line.js';
import { activatedText } from '../../ivr/sms-replies.js';
import { addCodeWorkflow, addContacts, addGroup, addTwilioLine, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { createTestAccount } from '../helpers/runtime.js';

describe('end to end: the carrier emulator plays calls and texts against the gateway over HTTP', () => {
  let env: RuntimeWithCarrier;
  let accountId: string;
  let line: LineFixture;
  const CALLER = '+13125550101';

  beforeAll(async () => {
    env = await startRuntimeWithCarrier();
    accountId = (await createTestAccount(env.t)).account.id;
    line = await addTwilioLine(env.t, accountId, { ...env.creds, greeting: 'Welcome to Acme Rescue.' });
    const people = await addContacts(env.t, accountId, [{ name: 'Ana', phone: '+13125550201' }, { name: 'Bo', phone: '+13125550202' }]);
    const g = await addGroup(env.t, accountId, 'Responders', people);
    await addCodeWorkflow(env.t, accountId, { name: 'Gate Emergency', code: 'RESQ', lineId: line.id, groupIds: [g] });
    await addCodeWorkflow(env.t, accountId, { name: 'Night Watch', code: 'NITE', lineId: line.id, groupIds: [g], askVoiceMessage: true, maxRecordingSeconds: 20 });
  });
  afterAll(async () => env?.close());

  it('a caller keys RESQ and hears the greeting, then which workflow was activated and for how many', async () => {
    const call = await env.carrier.placeInboundCall({ from: CALLER, to: line.phone, keys: '7377' });
    expect(call.heard).toEqual(['Welcome to Acme Rescue.', 'Gate Emergency has been activated. Reaching 2 people. Goodbye.']);
    expect(call.ended).toBe('hangup');
    const a = (await env.t.rt.infra.db.query('SELECT source, context FROM activations WHERE idempotency_key = $1', [`twilio:${call.callSid}`])).rows;
    expect(a).toEqual([{ source: 'ivr', context: { caller: CALLER, lineId: line.id, providerCallId: call.callSid } }]);
  });

  it('two wrong codes, then the right one; three wrong codes end the call', async () => {
    const ok = await env.carrier.placeInboundCall({ from: '+13125550102', to: line.phone, keys: ['1111', '2222', '7377'] });
    expect(ok.heard).toEqual([
      'Welcome to Acme Rescue.',
      PROMPTS.wrongCode, PROMPTS.enterCode,
      PROMPTS.wrongCode, PROMPTS.enterCode,
      'Gate Emergency has been activated. Reaching 2 people. Goodbye.',
    ]);
    const bad = await env.carrier.placeInboundCall({ from: '+13125550103', to: line.phone, keys: ['1111', '2222', '3333'] });
    expect(bad.heard.at(-1)).toBe(`${PROMPTS.wrongCode} ${PROMPTS.tooManyAttempts}`);
    expect(bad.ended).toBe('hangup');
    const silent = await env.carrier.placeInboundCall({ from: '+13125550104', to: line.phone });
    expect(silent.heard.filter((h) => h === PROMPTS.noInput)).toHaveLength(2);
    expect(silent.heard.at(-1)).toBe(`${PROMPTS.noInput} ${PROMPTS.tooManyAttempts}`);
    expect(silent.requests).toBe(4); // greeting + three code steps, then hang-up
    expect(silent.ended).toBe('hangup');
  });

  it('leaves a voice message after the beep when the workflow asks for one', async () => {
    const call = await env.carrier.placeInboundCall({ from: CALLER, to: line.phone, keys: '6483', voicemail: { url: 'https://api.twilio.com/rec/RE1', durationSeconds: 9 } });
    expect(call.heard).toEqual(['Welcome to Acme Rescue.', PROMPTS.recordPrompt, 'Night Watch has been activated. Reaching 2 people. Goodbye.']);
    expect(call.events.find((e) => e.kind === 'record')).toEqual({ kind: 'record', recorded: true, maxLength: 20, beep: true });
    const a = (await env.t.rt.infra.db.query('SELECT recording_url FROM activations WHERE idempotency_key = $1', [`twilio:${call.callSid}`])).rows[0];
    expect(a.recording_url).toBe('https://api.twilio.com/rec/RE1');
  });

  it('a text "resq Help at gate 4" activates and the reply reaches the sender; a retried webhook activates once', async () => {
    const sent = await env.carrier.sendInboundSms({ from: CALLER, to: line.phone, body: 'resq Help at gate 4' });
    expect(sent.replies).toEqual([activatedText('Gate Emergency', 2)]);
    const retry = await env.carrier.sendInboundSms({ from: CALLER, to: line.phone, body: 'resq Help at gate 4', messageSid: sent.messageSid, headers: { 'I-Twilio-Idempotency-Token': 'tok-1' } });
    expect(retry.replies).toEqual(sent.replies);
    const rows = (await env.t.rt.infra.db.query('SELECT inbound_message FROM activations WHERE idempotency_key = $1', [`twilio:${sent.messageSid}`])).rows;
    expect(rows).toEqual([{ inbound_message: 'Help at gate 4' }]);
  });

  it('the gateway sends through the official SDK to the emulator, and the signed status callbacks come back in order', async () => {
    const { line: lc, provider } = await env.t.rt.services.telephony.providers.forLine(accountId, line.id);
    const seen: string[] = [];
    env.t.rt.services.telephony.statusListeners.push({ onMessageStatus: async (e) => void seen.push(`${e.status}#${e.sequence}@${e.params?.delivery}`) });
    const res = await provider.sendSms(lc.credentials, { from: lc.phoneNumber, to: '+13125550201', body: 'Drill at 5', statusCallbackUrl: `${env.t.config.PUBLIC_URL}/webhooks/twilio/status?delivery=dx` });
    await env.carrier.settled();
    expect(env.carrier.messages.find((m) => m.sid === res.providerId)).toMatchObject({ to: '+13125550201', body: 'Drill at 5', status: 'delivered' });
    expect(env.carrier.callbacks.filter((c) => c.params.MessageSid === res.providerId).map((c) => c.status)).toEqual([200, 200, 200]);
    expect(seen).toEqual(['queued#0@dx', 'sent#1@dx', 'delivered#2@dx']);
  });

  it('a caller signing with the wrong token is refused before anything happens', async () => {
    const call = await env.carrier.placeInboundCall({ from: CALLER, to: line.phone, keys: '7377', authToken: 'forged' });
    expect(call.ended).toBe('http-error');
    expect(call.events[0]).toMatchObject({ kind: 'http-error', status: 403 });
  });
});
