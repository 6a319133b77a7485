/**
 * Why a delivery did not reach its recipient, in words: the one mapping from stored codes
 * (a carrier's numeric error code, the engine's and adapters' own snake_case codes, skip
 * reasons) to text a dispatcher understands. The activation API and the live feed both call
 * `describeFailure` on the same stored fields, so a delivery reads the same whether the page
 * loaded it or the websocket pushed it. Words only: the code itself is returned beside them.
 */

/** Twilio's error codes most often seen on SMS and calls (twilio.com/docs/api/errors). */
const TWILIO: Record<string, string> = {
  20003: 'Carrier rejected the credentials',
  20404: 'Carrier could not find the resource',
  20429: 'Carrier rate limit reached',
  21210: 'Caller ID not verified with the carrier',
  21211: 'Invalid phone number',
  21212: 'Invalid sending number',
  21214: 'Phone number cannot be reached',
  21215: 'Calls to this region are not allowed (geo permissions)',
  21216: 'Number blocked by the carrier',
  21217: 'Phone number does not look valid',
  21219: 'Number not verified (trial account)',
  21408: 'Texts to this region are not allowed (geo permissions)',
  21601: 'Sending number cannot send texts',
  21602: 'Message body is empty',
  21606: 'Sending number cannot send texts',
  21608: 'Number not verified (trial account)',
  21610: 'Recipient has unsubscribed (replied STOP)',
  21611: 'Too many messages queued on the sending number',
  21612: 'Phone number cannot receive texts from this number',
  21614: 'Not a mobile number',
  21617: 'Message too long',
  21635: 'Landline: cannot receive texts',
  30001: 'Carrier queue overflow',
  30002: 'Carrier account suspended',
  30003: 'Unreachable destination handset',
  30004: 'Message blocked by the recipient or their carrier',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Filtered as spam by the carrier',
  30008: 'Unknown carrier error',
  30009: 'Message part missing',
  30010: 'Message price exceeds the limit',
  30032: 'Toll-free number not verified',
  30034: 'Sending number not registered for texting (A2P 10DLC)',
  13223: 'Invalid phone number format',
  13224: 'Invalid phone number',
  13225: 'Number forbidden by the carrier',
  13227: 'No permission to call this country',
};

/** The engine's and adapters' own codes (delivery worker, sweeper, status listener, senders). */
const ENGINE: Record<string, string> = {
  // skip reasons (stored in skip_reason)
  do_not_contact: 'On the do-not-contact list',
  opted_out_sms: 'Opted out of texts',
  opted_out_email: 'Opted out of e-mail',
  opted_out_voice: 'Opted out of calls',
  opted_out_push: 'Opted out of push notifications',
  opted_out_pager: 'Opted out of pages',
  no_phone: 'No phone number',
  no_email: 'No e-mail address',
  no_pager_number: 'No pager number',
  no_sending_line: 'No phone line to send from',
  // failures (stored in error_code)
  internal_error: 'Internal error while sending',
  provider_error: 'The provider refused the message',
  channel_unavailable: 'This delivery method is not set up',
  line_not_found: 'The sending line no longer exists',
  send_in_doubt: 'Not sent again: it may already have gone out',
  undelivered: 'Carrier could not deliver it',
  failed: 'Call failed',
  canceled: 'Call cancelled',
  no_route: 'No sending line or address',
  no_provider: 'The line\'s provider is not set up',
  no_credentials: 'The line has no carrier credentials',
  invalid_payload: 'Nothing to send',
  authorization_unreadable: 'Stored Authorization header cannot be read',
  ssrf_refused: 'Address not allowed (private or local network)',
  invalid_request: 'Invalid webhook request',
  timeout: 'Timed out',
  network: 'Network error',
  tls: 'Secure connection failed',
  too_many_redirects: 'Too many redirects',
  bad_redirect: 'Invalid redirect',
  invalid_address: 'Invalid e-mail address',
  smtp_rejected: 'Mail server rejected the address',
  smtp_connection: 'Could not reach the mail server',
  email_not_configured: 'E-mail is not set up',
  push_not_configured: 'Push notifications are not set up',
  no_push_token: 'No device registered for push',
  unregistered: 'Device no longer registered for push',
  no_push_subscription: 'No device registered for push',
  push_refused: 'The push service refused the notification',
  push_unavailable: 'The push service did not answer',
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection lost',
  ETIMEDOUT: 'Timed out',
  ECONNABORTED: 'Timed out',
  ENOTFOUND: 'Host not found',
  EAI_AGAIN: 'Host lookup failed',
};

const FAILED = new Set(['failed', 'no-answer', 'busy']);

/** Words for one code; a code not in the tables still gets words (never the bare code). */
export const failureWords = (code: string): string => {
  if (Object.hasOwn(TWILIO, code)) return TWILIO[code]!;
  if (Object.hasOwn(ENGINE, code)) return ENGINE[code]!;
  if (/^\d+$/.test(code)) return 'Carrier error';
  const http = /^http_(\d{3})$/.exec(code);
  if (http) return `Webhook answered HTTP ${http[1]}`;
  const smtp = /^smtp_(\d{3})$/.exec(code);
  if (smtp) return `Mail server answered ${smtp[1]}`;
  if (code.startsWith('opted_out_')) return `Opted out of ${code.slice('opted_out_'.length)}`;
  const words = code.replace(/[_-]+/g, ' ').trim().toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Failed';
};

/** A delivery's failure or skip as `{ failureReason, failureCode }`; both null when it did not fail. */
export type FailureDescription = { failureReason: string | null; failureCode: string | null };

/**
 * Skipped: the skip reason; failed, no-answer or busy: the stored error code (a retry's error on
 * a delivery still pending is not a failure yet, so it is not described).
 */
export const describeFailure = (d: { status: string; skipReason: string | null; errorCode: string | null }): FailureDescription => {
  const code = d.status === 'skipped' ? d.skipReason : FAILED.has(d.status) ? d.errorCode : null;
  return code ? { failureReason: failureWords(code), failureCode: code } : { failureReason: null, failureCode: null };
};
