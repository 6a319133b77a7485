/**
 * Port: inbound calls to a line in `tracking` mode are handed to the call-tracking feature.
 * The voice webhook has already verified the signature and found the line; the handler
 * answers with the TwiML document to return (built with ivr/), e.g. a `<Dial>` to the
 * forward-to number. It must be idempotent on `providerCallId` (carrier retries) and should
 * throw on failure: the caller then hears the gateway's apology.
 * Without a handler, tracking lines say they are not configured.
 */
export type TrackedInboundCall = {
  accountId: string;
  lineId: string;
  providerCallId: string;
  from: string;
  to: string;
  /** The caller's contact in the account, when the number is known. */
  contactId: string | null;
  /** Every parameter the carrier sent, for handlers that need more (CallerName, FromCity…). */
  carrierParams: Record<string, string>;
  at: Date;
};

export interface TrackingCallHandler {
  handleInboundCall(call: TrackedInboundCall): Promise<{ twiml: string }>;
}
