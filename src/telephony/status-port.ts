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
