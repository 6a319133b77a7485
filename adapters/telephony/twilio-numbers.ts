/**
 * `CarrierNumbers` over the official `twilio` SDK: reads a number of the account with the
 * IncomingPhoneNumbers list filtered by PhoneNumber, and updates exactly that number by its
 * `PN…` SID (POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json). With
 * `apiUrl` (TWILIO_API_URL) every call goes to that base URL (the carrier emulator in tests).
 *
 * Errors as the telephony provider (`toProviderError`): 5xx, network errors and timeouts are
 * retryable; 401 (20003) means the stored credentials were refused.
 */
import twilio from 'twilio';
import type { CarrierNumber, CarrierNumbers, NumberUpdate } from '../../src/lines/carrier-numbers-port.js';
import type { CarrierCredentials } from '../../src/engine/telephony-port.js';
import { TwilioHttpClient } from './twilio-http-client.js';
import { callCarrier } from './twilio-provider.js';

type NumberInstance = {
  sid: string; phoneNumber: string; voiceUrl: string | null; voiceMethod: string | null; smsUrl: string | null; smsMethod: string | null;
  statusCallback: string | null; statusCallbackMethod: string | null; voiceApplicationSid: string | null; smsApplicationSid: string | null; trunkSid: string | null;
};

const toNumber = (n: NumberInstance): CarrierNumber => ({
  sid: n.sid, phoneNumber: n.phoneNumber,
  voiceUrl: n.voiceUrl || null, voiceMethod: n.voiceMethod || null, smsUrl: n.smsUrl || null, smsMethod: n.smsMethod || null,
  statusCallback: n.statusCallback || null, statusCallbackMethod: n.statusCallbackMethod || null,
  voiceApplicationSid: n.voiceApplicationSid || null, smsApplicationSid: n.smsApplicationSid || null, trunkSid: n.trunkSid || null,
});

export const createTwilioNumbers = (opts: { apiUrl?: string; timeoutMs?: number } = {}): CarrierNumbers => {
  const httpClient = new TwilioHttpClient({ baseUrl: opts.apiUrl, timeoutMs: opts.timeoutMs ?? 15_000, maxSockets: 10 });
  const client = (creds: CarrierCredentials) => twilio(creds.accountSid, creds.authToken, { httpClient, autoRetry: false });
  return {
    async findNumber(creds, phoneNumber) {
      const found = await callCarrier('look up number', () => client(creds).incomingPhoneNumbers.list({ phoneNumber, limit: 20 }));
      // The filter also matches partial numbers: keep the exact one.
      const hit = (found as unknown as NumberInstance[]).find((n) => n.phoneNumber === phoneNumber);
      return hit ? toNumber(hit) : null;
    },
    async updateNumber(creds, sid, u: NumberUpdate) {
      const updated = await callCarrier('update number', () => client(creds).incomingPhoneNumbers(sid).update({
        voiceUrl: u.voiceUrl ?? '', voiceMethod: u.voiceMethod ?? 'POST', smsUrl: u.smsUrl ?? '', smsMethod: u.smsMethod ?? 'POST',
        statusCallback: u.statusCallback ?? '', statusCallbackMethod: u.statusCallbackMethod,
        ...(u.clearVoiceApplication ? { voiceApplicationSid: '', trunkSid: '' } : {}),
        ...(u.clearSmsApplication ? { smsApplicationSid: '' } : {}),
      }));
      return toNumber(updated as unknown as NumberInstance);
    },
  };
};
