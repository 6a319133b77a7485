/**
 * Resource bodies shaped like Twilio's 2010-04-01 API (see ../shared/twilio/twilio_api_v2010.json):
 * snake_case fields, RFC 2822 dates, `uri` with `.json`.
 */
import type { DialScript } from '../../routes/softphone/dial-legs.js';

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
  /**
   * The carrier keeps each new message to this number `queued` this long (a paced line, a long
   * queue): `date_sent` stays null and no callback follows `queued` until then (or `releaseQueued()`).
   */
  queuedForMs?: number;
  /**
   * With `dropResponseTimes`: the connection is lost at once, before the carrier has stored the
   * message or call, which it still does `acceptDelayMs` later (a proxy gave up on a slow carrier).
   */
  dropBeforeAccept?: boolean;
  /** A lagging carrier: the first status callback of a call to this number comes this late. */
  callbackLagMs?: number;
  /** Accept the first N new messages or calls to this number, then drop the connection instead of answering. */
  dropResponseTimes?: number;
  /** Final message status. Default `delivered`. */
  messageOutcome?: 'delivered' | 'undelivered' | 'failed';
  messageErrorCode?: number;
  /** Send status callbacks newest first (ordering tests). */
  reverseCallbacks?: boolean;
  /** An answered outbound call whose TwiML has <Dial><Number>: how each dialled number answers (see call-player `CallScript.dial`). */
  dial?: DialScript;
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
  /** When the carrier sent it on: null while it is accepted or queued (as Twilio's `date_sent`). */
  dateSent: Date | null;
  dateUpdated: Date;
  /** Sent with MessagingServiceSid: `from` was picked from the service's sender pool. */
  messagingServiceSid?: string | null;
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
  transcript: import('../../routes/softphone/call-player.js').CallTranscript | null;
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
  messaging_service_sid: m.messagingServiceSid ?? null,
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
    21701: 'The Messaging Service does not exist',
    21704: 'The Messaging Service contains no phone numbers',
  })[code] ?? 'Error';

/**
 * Twilio's DateSent / DateSent< / DateSent> (GMT): a `YYYY-MM-DD` date compares whole days (on,
 * on or before, on or after); a date-time (what the SDK sends) compares instants, inclusive. Only
 * a message with a `date_sent` matches. Returns the bad parameter's name if one does not parse.
 */
export const dateSentFilter = (q: Record<string, string>): ((d: Date | null) => boolean) | string => {
  const tests: Array<(d: Date) => boolean> = [];
  for (const [key, cmp] of [['DateSent', 0], ['DateSent<', -1], ['DateSent>', 1]] as const) {
    const v = q[key];
    if (v === undefined) continue;
    const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
    const at = new Date(dayOnly ? `${v}T00:00:00Z` : v);
    if (Number.isNaN(at.getTime())) return key;
    const from = at.getTime();
    const to = dayOnly ? from + 86_400_000 - 1 : from;
    tests.push((d) => (cmp === 0 ? d.getTime() >= from && d.getTime() <= to : cmp < 0 ? d.getTime() <= to : d.getTime() >= from));
  }
  return (d) => tests.length === 0 || (d !== null && tests.every((t) => t(d)));
};

/** One page of a Twilio list (PageSize default 50, max 1000; Page from 0), with next_page_uri. */
export const listPage = (url: string, q: Record<string, string>, all: unknown[], key: string) => {
  const pageSize = Math.min(1000, Math.max(1, Number(q.PageSize ?? 50) || 50));
  const page = Math.max(0, Number(q.Page ?? 0) || 0);
  const items = all.slice(page * pageSize, (page + 1) * pageSize);
  const [path] = url.split('?');
  const uriOf = (n: number) => {
    const p = new URLSearchParams(q);
    p.set('PageSize', String(pageSize));
    p.set('Page', String(n));
    if (n > 0) p.set('PageToken', `PA${n}`);
    else p.delete('PageToken');
    return `${path}?${p.toString()}`;
  };
  return {
    [key]: items, end: page * pageSize + Math.max(0, items.length - 1), first_page_uri: uriOf(0),
    next_page_uri: (page + 1) * pageSize < all.length ? uriOf(page + 1) : null,
    page, page_size: pageSize, previous_page_uri: page > 0 ? uriOf(page - 1) : null, start: page * pageSize, uri: url,
  };
};
