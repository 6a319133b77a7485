/**
 * Port: listeners told of every carrier status callback after it is verified and stored
 * (`POST /webhooks/twilio/status` and the URLs it names). Callbacks can arrive twice and out
 * of order: `sequence` (the carrier's SequenceNumber / CallbackSequence, when present) orders
 * them, and listeners must be idempotent.
 */
export type MessageStatusEvent = {
  accountId: string;
  providerId: string;
  status: string; // queued | sending | sent | delivered | undelivered | failed | read
  errorCode: string | null;
  sequence: number | null;
  /** Extra query parameters the callback URL carried (e.g. `delivery`). */
  params?: Record<string, string>;
  at: Date;
};

export type CallStatusEvent = {
  accountId: string;
  providerId: string;
  status: string; // queued | initiated | ringing | in-progress | completed | busy | no-answer | failed | canceled
  durationSeconds: number | null;
  answeredBy: string | null;
  sequence: number | null;
  from: string | null;
  to: string | null;
  direction: string | null;
  /** Extra query parameters the callback URL carried (e.g. `delivery`, `kind`). */
  params: Record<string, string>;
  at: Date;
};

export interface StatusListener {
  onMessageStatus?(e: MessageStatusEvent): Promise<void>;
  onCallStatus?(e: CallStatusEvent): Promise<void>;
}

/** What a verified carrier status callback (or a status fetched by SID) says, before it is matched to an account. */
type StatusInputCommon = {
  carrierAccountSid: string;
  providerId: string;
  status: string;
  sequence: number | null;
  from: string | null;
  to: string | null;
  params: Record<string, string>;
  at: Date;
};
export type MessageStatusInput = StatusInputCommon & {
  kind: 'message'; errorCode: string | null;
  /** The Messaging Service the text went through: its From is a number of the service's pool, not a line. */
  messagingServiceSid?: string | null;
};
export type CallStatusInput = StatusInputCommon & { kind: 'call'; durationSeconds: number | null; answeredBy: string | null; direction: string | null };
