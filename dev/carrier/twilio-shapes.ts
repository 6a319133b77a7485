/**
 * Resource bodies shaped like Twilio's 2010-04-01 API (see ../shared/twilio/twilio_api_v2010.json):
 * snake_case fields, RFC 2822 dates, `uri` with `.json`.
 */

export type DestinationBehaviour = {
  /** Refuse the REST request: e.g. `{ status: 400, code: 21211 }` (invalid number), 429/20429, 500. */
  error?: { status: number; code: number; message?: string };
  /** Fail only the first N requests to this number, then behave normally (retry tests). */
  errorTimes?: number;
  /** Outbound call outcome. Default `answer`. */
  answer?: 'answer' | 'no-answer' | 'busy' | 'failed';
  /** Keys the callee presses in successive `<Gather>`s. */
  keys?: string | string[];
  /** The callee leaves a voice message when asked. */
  voicemail?: boolean;
  answerDelayMs?: number;
  /** The carrier takes this long before it accepts (stores) a new message: a slow API. */
  acceptDelayMs?: number;
  /** A lagging carrier: the first status callback of a call to this number comes this late. */
  callbackLagMs?: number;
  /** Accept the first N new messages or calls to this number, then drop the connection instead of answering. */
  dropResponseTimes?: number;
  /** Final message status. Default `delivered`. */
  messageOutcome?: 'delivered' | 'undelivered' | 'failed';
  messageErrorCode?: number;
  /** Send status callbacks newest first (ordering tests). */
  reverseCallbacks?: boolean;
};

export type EmulatedMessage = {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  status: string;
  direction: 'outbound-api' | 'inbound' | 'outbound-reply';
  statusCallback: string | null;
  errorCode: number | null;
  dateCreated: Date;
  dateSent: Date | null;
  dateUpdated: Date;
};

export type EmulatedCall = {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  url: string | null;
  twiml: string | null;
  method: string;
  status: string;
  direction: 'outbound-api' | 'inbound';
  statusCallback: string | null;
  statusCallbackEvents: string[];
  sendDigits: string | null;
  timeout: number | null;
  startTime: Date | null;
  endTime: Date | null;
  duration: number | null;
  answeredBy: string | null;
  /** What the callee heard and did, once the call is over. */
  transcript: import('./call-player.js').CallTranscript | null;
  dateCreated: Date;
  dateUpdated: Date;
};

/** `Thu, 30 Jul 2015 20:12:31 +0000`, as Twilio writes dates. */
export const rfc2822 = (d: Date | null): string | null => (d ? d.toUTCString().replace('GMT', '+0000') : null);

export const messageJson = (m: EmulatedMessage) => ({
  account_sid: m.accountSid,
  api_version: '2010-04-01',
  body: m.body,
  date_created: rfc2822(m.dateCreated),
  date_sent: rfc2822(m.dateSent),
  date_updated: rfc2822(m.dateUpdated),
  direction: m.direction,
  error_code: m.errorCode,
  error_message: m.errorCode ? 'Message delivery failed' : null,
  from: m.from,
  messaging_service_sid: null,
  num_media: String(m.mediaUrls.length),
  num_segments: String(Math.max(1, Math.ceil(m.body.length / 153))),
  price: null,
  price_unit: 'USD',
  sid: m.sid,
  status: m.status,
  subresource_uris: { media: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}/Media.json` },
  to: m.to,
  uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
});

export const callJson = (c: EmulatedCall) => ({
  account_sid: c.accountSid,
  annotation: null,
  answered_by: c.answeredBy,
  api_version: '2010-04-01',
  caller_name: null,
  date_created: rfc2822(c.dateCreated),
  date_updated: rfc2822(c.dateUpdated),
  direction: c.direction,
  duration: c.duration === null ? null : String(c.duration),
  end_time: rfc2822(c.endTime),
  forwarded_from: null,
  from: c.from,
  from_formatted: c.from,
  group_sid: null,
  parent_call_sid: null,
  phone_number_sid: null,
  price: null,
  price_unit: 'USD',
  queue_time: '0',
  sid: c.sid,
  start_time: rfc2822(c.startTime),
  status: c.status,
  subresource_uris: { recordings: `/2010-04-01/Accounts/${c.accountSid}/Calls/${c.sid}/Recordings.json` },
  to: c.to,
  to_formatted: c.to,
  trunk_sid: null,
  uri: `/2010-04-01/Accounts/${c.accountSid}/Calls/${c.sid}.json`,
});

export const errorJson = (status: number, code: number, message: string) => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

export const defaultErrorMessage = (code: number): string =>
  ({
    21211: "The 'To' number is not a valid phone number.",
    21610: 'Attempt to send to unsubscribed recipient',
    20429: 'Too Many Requests',
    20404: 'The requested resource was not found',
    20003: 'Authenticate',
    21201: 'No called number is specified',
    21602: 'Message body is required.',
    21617: 'The concatenated message body exceeds the 1600 character limit.',
  })[code] ?? 'Error';
