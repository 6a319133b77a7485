/**
 * Port: a carrier account's phone numbers (Twilio IncomingPhoneNumbers), to check and set the
 * webhooks of the number behind a line. Implemented by adapters/telephony/twilio-numbers.ts over
 * the official SDK.
 *
 * Errors: `ProviderError` (src/errors.ts) as the telephony port: `retryable` for network errors,
 * timeouts and carrier 5xx; the carrier's status and code in `providerStatus` / `providerCode`
 * (401 / 20003: the credentials were refused).
 */
import type { CarrierCredentials } from '../engine/telephony-port.js';

/** Where the carrier sends a number's calls, texts and call status changes. */
export type NumberWebhooks = {
  voiceUrl: string | null;
  voiceMethod: string | null;
  smsUrl: string | null;
  smsMethod: string | null;
  statusCallback: string | null;
  statusCallbackMethod: string | null;
};

/** A number of the carrier account, as the carrier has it configured. */
export type CarrierNumber = NumberWebhooks & {
  /** The carrier's id of the number (`PN…`). */
  sid: string;
  phoneNumber: string;
  /** Set: the carrier ignores `voiceUrl` and asks this application (or SIP trunk) instead. */
  voiceApplicationSid: string | null;
  trunkSid: string | null;
  /** Set: the carrier ignores `smsUrl` and asks this application instead. */
  smsApplicationSid: string | null;
};

/**
 * What `configure` writes: the webhooks, and (the flags) empties the voice application / SIP
 * trunk or the SMS application that would otherwise take the number's calls or texts.
 */
export type NumberUpdate = Omit<NumberWebhooks, 'statusCallbackMethod'> & { statusCallbackMethod: string; clearVoiceApplication: boolean; clearSmsApplication: boolean };

export interface CarrierNumbers {
  /** The number in the account (looked up by its E.164 form), or null when the account has no such number. */
  findNumber(creds: CarrierCredentials, phoneNumber: string): Promise<CarrierNumber | null>;
  /** Changes exactly this number (by its `sid`) and returns it as the carrier now has it. */
  updateNumber(creds: CarrierCredentials, sid: string, update: NumberUpdate): Promise<CarrierNumber>;
}
