/**
 * How the carrier number behind a line should be set up, and what is wrong with it: pure
 * comparisons, no I/O (line-setup-service.ts reads the number from the carrier).
 */
import type { CarrierNumber, NumberUpdate } from './carrier-numbers-port.js';

/** Stable codes of what a check can find (docs/TWILIO.md). */
export type FindingCode =
  | 'public_url_not_https'
  | 'carrier_unreachable'
  | 'carrier_credentials_refused'
  | 'carrier_error'
  | 'number_not_found'
  | 'voice_url_elsewhere'
  | 'voice_method_wrong'
  | 'voice_application_set'
  | 'sms_url_elsewhere'
  | 'sms_method_wrong'
  | 'sms_application_set'
  | 'status_callback_missing'
  | 'status_callback_elsewhere';

/** `error`: calls or texts to the number do not reach Switchboard as they should; `warning`: something is lost or at risk. */
export type Finding = { code: FindingCode; severity: 'error' | 'warning'; message: string };

/** The webhooks a line's number needs (from PUBLIC_URL): what `configure` sets and the manual fallback. */
export type ExpectedWebhooks = { voiceUrl: string; voiceMethod: 'POST'; smsUrl: string; smsMethod: 'POST'; statusCallback: string; statusCallbackMethod: 'POST' };

export const expectedWebhooks = (publicUrl: string): ExpectedWebhooks => {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    voiceUrl: `${base}/webhooks/twilio/voice`, voiceMethod: 'POST',
    smsUrl: `${base}/webhooks/twilio/sms`, smsMethod: 'POST',
    statusCallback: `${base}/webhooks/twilio/status`, statusCallbackMethod: 'POST',
  };
};

/** The update that points the number at this gateway, and frees it from what would shadow the URLs. */
export const numberUpdate = (want: ExpectedWebhooks, number: CarrierNumber): NumberUpdate => ({
  voiceUrl: want.voiceUrl, voiceMethod: want.voiceMethod, smsUrl: want.smsUrl, smsMethod: want.smsMethod,
  statusCallback: want.statusCallback, statusCallbackMethod: want.statusCallbackMethod,
  clearVoiceApplication: Boolean(number.voiceApplicationSid || number.trunkSid),
  clearSmsApplication: Boolean(number.smsApplicationSid),
});

const sameUrl = (a: string | null, b: string) => (a ?? '').trim().replace(/\/+$/, '') === b.replace(/\/+$/, '');
/** Twilio's default method is POST when none is stored. */
const methodOf = (m: string | null) => (m ?? 'POST').toUpperCase();

/** PUBLIC_URL is what the carrier calls and what every webhook signature is checked against. */
export const publicUrlFindings = (publicUrl: string): Finding[] =>
  publicUrl.startsWith('https://')
    ? []
    : [{
      code: 'public_url_not_https', severity: 'warning',
      message: `PUBLIC_URL is ${publicUrl}, not an HTTPS address. Twilio must reach this gateway at a public HTTPS URL: `
        + 'set PUBLIC_URL to it (behind a proxy or tunnel, the external one), restart, and check again.',
    }];

/** What differs between the number as the carrier has it and what this gateway needs. */
export const numberFindings = (n: CarrierNumber, want: ExpectedWebhooks): Finding[] => {
  const out: Finding[] = [];
  const num = n.phoneNumber;
  if (n.voiceApplicationSid || n.trunkSid) {
    out.push({
      code: 'voice_application_set', severity: 'error',
      message: `Calls to ${num} go to ${n.voiceApplicationSid ? `the TwiML app ${n.voiceApplicationSid}` : `the SIP trunk ${n.trunkSid}`}, which overrides the number's voice URL.`,
    });
  }
  if (!sameUrl(n.voiceUrl, want.voiceUrl)) {
    out.push({
      code: 'voice_url_elsewhere', severity: 'error',
      message: n.voiceUrl
        ? `Calls to ${num} go to ${n.voiceUrl}, not to this gateway (${want.voiceUrl}): callers do not reach Switchboard.`
        : `${num} has no voice URL: callers do not reach Switchboard (it should be ${want.voiceUrl}).`,
    });
  } else if (methodOf(n.voiceMethod) !== want.voiceMethod) {
    out.push({ code: 'voice_method_wrong', severity: 'error', message: `Calls to ${num} are sent with HTTP ${methodOf(n.voiceMethod)}; this gateway needs POST.` });
  }
  if (n.smsApplicationSid) {
    out.push({ code: 'sms_application_set', severity: 'error', message: `Texts to ${num} go to the messaging app ${n.smsApplicationSid}, which overrides the number's SMS URL.` });
  }
  if (!sameUrl(n.smsUrl, want.smsUrl)) {
    out.push({
      code: 'sms_url_elsewhere', severity: 'error',
      message: n.smsUrl
        ? `Texts to ${num} go to ${n.smsUrl}, not to this gateway (${want.smsUrl}): texted codes and replies are not seen.`
        : `${num} has no SMS URL: texted codes and replies are not seen (it should be ${want.smsUrl}).`,
    });
  } else if (methodOf(n.smsMethod) !== want.smsMethod) {
    out.push({ code: 'sms_method_wrong', severity: 'error', message: `Texts to ${num} are sent with HTTP ${methodOf(n.smsMethod)}; this gateway needs POST.` });
  }
  if (!n.statusCallback) {
    out.push({
      code: 'status_callback_missing', severity: 'warning',
      message: `${num} has no call status callback: call history does not learn when inbound calls end or how long they lasted (it should be ${want.statusCallback}).`,
    });
  } else if (!sameUrl(n.statusCallback, want.statusCallback)) {
    out.push({
      code: 'status_callback_elsewhere', severity: 'warning',
      message: `Call status changes of ${num} go to ${n.statusCallback}, not to this gateway (${want.statusCallback}).`,
    });
  }
  return out;
};
