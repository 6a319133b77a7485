/**
 * Port: a carrier's REST side (the TwiML side lives in ivr/ and routes/webhooks/).
 * Implemented by adapters/telephony/twilio-provider.ts (official SDK) and simulator-provider.ts.
 *
 * Retry contract: methods throw `ProviderError` from src/errors.ts. `retryable: true` for
 * network failures, timeouts and carrier 5xx; `rateLimited: true` (and retryable) for the
 * carrier's 429; `retryable: false` for permanent refusals (invalid number, unverified
 * caller id…) with the carrier's own error code in `providerCode`.
 */
import type { CarrierCredentials } from '../carriers/carrier-credentials.js';

export type { CarrierCredentials };

export type OutboundSms = {
  /** The line's number; ignored when `messagingServiceSid` is given. */
  from: string;
  /** Send through this Twilio Messaging Service instead: the carrier picks the sender from its pool. */
  messagingServiceSid?: string | null;
  to: string;
  body: string;
  mediaUrls?: string[];
  statusCallbackUrl?: string;
};

export type OutboundCall = {
  from: string;
  to: string;
  /** The TwiML the carrier fetches when the callee answers. */
  twimlUrl: string;
  statusCallbackUrl?: string;
  /** Carrier status events to report: initiated, ringing, answered, completed. */
  statusEvents?: Array<'initiated' | 'ringing' | 'answered' | 'completed'>;
  timeoutSeconds?: number;
  /** DTMF to play once the call connects (`w` = half-second pause). */
  sendDigits?: string;
};

export type ProviderSendResult = { providerId: string; status: string };

export type ProviderStatus = {
  providerId: string;
  status: string;
  errorCode: string | null;
  durationSeconds: number | null;
};

export type ProviderMessage = {
  providerId: string; from: string; to: string; body: string; status: string; sentAt: Date | null;
  /** The Messaging Service the text went through, if any. */
  messagingServiceSid?: string | null;
};

export interface TelephonyProvider {
  readonly name: 'twilio' | 'simulator';
  sendSms(creds: CarrierCredentials | null, msg: OutboundSms): Promise<ProviderSendResult>;
  placeCall(creds: CarrierCredentials | null, call: OutboundCall): Promise<ProviderSendResult>;
  /** Null when the carrier does not know the id. */
  fetchMessageStatus(creds: CarrierCredentials | null, providerId: string): Promise<ProviderStatus | null>;
  fetchCallStatus(creds: CarrierCredentials | null, providerId: string): Promise<ProviderStatus | null>;
  /**
   * Messages from `from` to `to` the carrier accepted (created) since `since`, whether already
   * sent on or still queued (never filtered on the carrier's sent date, which a queued text lacks):
   * reconciles a send left in doubt. Bounded: the newest messages of the pair only. With
   * `messagingServiceSid` (a line that sends through a Messaging Service, whose sender the carrier
   * picks from a pool) the texts to `to` through that service, whatever number they left from.
   */
  findMessages(creds: CarrierCredentials | null, q: { from: string; to: string; since: Date; messagingServiceSid?: string | null }): Promise<ProviderMessage[]>;
  hangupCall(creds: CarrierCredentials | null, providerId: string): Promise<void>;
}
