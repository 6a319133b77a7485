/**
 * The carrier's side of a call or text, as Twilio plays it: POSTs signed webhooks, follows the
 * TwiML returned (`<Gather action>`, `<Record action>`, `<Redirect>`, `<Dial>`, `<Play digits>`)
 * and records what the person on the line heard. Used by the dashboard softphone
 * (routes/api/v1/softphone-routes.ts, routes/dashboard/softphone-player.ts), by
 * `switchboard simulate call|sms` (src/cli-simulate.ts) and by the carrier emulator (dev/carrier,
 * tests only). No dependency on the gateway's code: only HTTP + TwiML.
 */
import twilio from 'twilio';
import { create } from 'xmlbuilder2';
import { followDial, type DialCtx, type DialLegEvent, type DialLegOutcome, type DialLegStatus } from './dial-legs.js';

export type { DialLegOutcome, DialLegStatus };

/** What happened on the line, in order. */
export type CallEvent =
  | { kind: 'say'; text: string }
  | { kind: 'play'; url: string }
  | { kind: 'play-digits'; digits: string }
  | { kind: 'pause'; seconds: number }
  | { kind: 'gather'; digits: string | null; numDigits: number | null }
  | { kind: 'record'; recorded: boolean; maxLength: number | null; beep: boolean }
  | { kind: 'dial'; number: string | null; sendDigits: string | null; conference: string | null; callerId: string | null; numbers?: string[] }
  /** A <Dial><Number> leg played with `CallScript.dial`: how that number answered. */
  | DialLegEvent
  | { kind: 'redirect'; url: string }
  | { kind: 'message'; to: string | null; text: string }
  | { kind: 'hangup' }
  | { kind: 'reject'; reason: string | null }
  | { kind: 'http-error'; url: string; status: number; body: string };

export type CallTranscript = {
  events: CallEvent[];
  /** Every `<Say>` text, in order: what the caller heard. */
  heard: string[];
  /** `<Play digits>` played into the call, in order. */
  playedDigits: string[];
  /** Conference rooms joined. */
  conferences: string[];
  /** How the call ended. */
  ended: 'hangup' | 'reject' | 'end-of-document' | 'http-error' | 'max-steps' | 'aborted';
  /** Number of TwiML documents fetched. */
  requests: number;
  /** Each TwiML document fetched, in order: the URL (query included) and the exact XML answered. */
  documents?: Array<{ url: string; twiml: string }>;
};

export type PlayerTransport = {
  /** Signs with the URL the carrier believes it calls (the gateway's PUBLIC_URL). */
  authToken: string;
  /** Maps a public URL to the address actually reached (a reverse proxy in miniature). */
  resolve?: (publicUrl: string) => string;
  fetch?: typeof fetch;
  /** Extra headers, e.g. `I-Twilio-Idempotency-Token`. */
  headers?: Record<string, string>;
};

export type CallScript = {
  /** Keys the callee presses, consumed by successive `<Gather>`s: a string (split by numDigits) or one entry per Gather. */
  keys?: string | string[];
  /** Leave a voice message when asked (`<Record>`). */
  voicemail?: { url: string; durationSeconds: number } | boolean;
  maxRequests?: number;
  /** Checked between verbs: the carrier hung up (REST update Status=completed). */
  aborted?: () => boolean;
  /**
   * Follow <Dial><Number> like the carrier: each number answers or not as scripted (by number,
   * or a function of the number and how many times it was dialled), the <Number statusCallback>
   * legs get signed initiated/ringing/answered/completed callbacks, and the Dial action is told
   * DialCallStatus, DialCallDuration, DialCallSid (and RecordingUrl when recording). Simultaneous
   * dials: the first answering number in document order wins, the others are canceled.
   * Without it, a Dial action is told `completed` after 30 s (the historical default).
   */
  dial?: Record<string, DialLegOutcome> | ((number: string, attempt: number) => DialLegOutcome);
  /** Sends leg/recording callbacks (the emulator records them); default: a signed POST. */
  sendCallback?: (url: string, params: Params) => Promise<void>;
};

type Params = Record<string, string>;


/** Signs and POSTs form params the way Twilio does; returns status and body. */
export const postSigned = async (t: PlayerTransport, url: string, params: Params, method = 'POST'): Promise<{ status: number; body: string }> => {
  const f = t.fetch ?? fetch;
  const target = t.resolve ? t.resolve(url) : url;
  if (method.toUpperCase() === 'GET') {
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    const signature = twilio.getExpectedTwilioSignature(t.authToken, u.toString(), {});
    const tu = new URL(t.resolve ? t.resolve(u.toString()) : u.toString());
    const res = await f(tu, { method: 'GET', headers: { 'x-twilio-signature': signature, ...t.headers } });
    return { status: res.status, body: await res.text() };
  }
  const signature = twilio.getExpectedTwilioSignature(t.authToken, url, params);
  const res = await f(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1', ...t.headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
};

type El = { nodeName: string; nodeType: number; textContent: string | null; childNodes: ArrayLike<El>; getAttribute(n: string): string | null };

const elements = (node: El): El[] => Array.from(node.childNodes).filter((n) => n.nodeType === 1);
const text = (el: El): string => (el.textContent ?? '').trim();
const absolute = (maybeRelative: string | null, base: string): string => (maybeRelative ? new URL(maybeRelative, base).toString() : base);

/** Parses a TwiML document; throws if it is not `<Response>`. */
export const parseTwiml = (xml: string): El => {
  const root = create(xml).root().node as unknown as El;
  if (root.nodeName !== 'Response') throw new Error(`TwiML root is <${root.nodeName}>, expected <Response>`);
  return root;
};

class KeyPad {
  private queue: string[];
  private chars: string;
  constructor(keys: string | string[] | undefined) {
    this.queue = Array.isArray(keys) ? [...keys] : [];
    this.chars = typeof keys === 'string' ? keys : '';
  }
  next(numDigits: number | null, finishOnKey: string): string | null {
    if (this.queue.length > 0) return this.queue.shift() ?? null;
    if (!this.chars) return null;
    let take: string;
    if (numDigits) {
      take = this.chars.slice(0, numDigits);
    } else {
      const i = finishOnKey ? this.chars.indexOf(finishOnKey) : -1;
      take = i >= 0 ? this.chars.slice(0, i + 1) : this.chars;
    }
    this.chars = this.chars.slice(take.length);
    return finishOnKey && take.endsWith(finishOnKey) ? take.slice(0, -1) : take;
  }
}

/**
 * Plays one call: fetches `url` with `params`, then follows the TwiML until a hang-up, the end
 * of a document, or `maxRequests` documents. `params` are the call's standing parameters
 * (CallSid, AccountSid, From, To, Direction, CallStatus) sent with every request.
 */
export const playCall = async (t: PlayerTransport, url: string, params: Params, script: CallScript = {}): Promise<CallTranscript> => {
  const tr: CallTranscript = { events: [], heard: [], playedDigits: [], conferences: [], ended: 'end-of-document', requests: 0, documents: [] };
  const keys = new KeyPad(script.keys);
  const dialCounts = new Map<string, number>();
  const maxRequests = script.maxRequests ?? 25;
  let next: { url: string; method: string; extra: Params } | null = { url, method: 'POST', extra: {} };

  const push = (e: CallEvent) => {
    tr.events.push(e);
    if (e.kind === 'say') tr.heard.push(e.text);
    if (e.kind === 'play-digits') tr.playedDigits.push(e.digits);
    if (e.kind === 'dial' && e.conference) tr.conferences.push(e.conference);
  };

  while (next) {
    if (tr.requests >= maxRequests) {
      tr.ended = 'max-steps';
      break;
    }
    if (script.aborted?.()) {
      tr.ended = 'aborted';
      break;
    }
    tr.requests += 1;
    const current: { url: string; method: string; extra: Params } = next;
    next = null;
    const res = await postSigned(t, current.url, { ...params, ...current.extra }, current.method);
    if (res.status !== 200) {
      push({ kind: 'http-error', url: current.url, status: res.status, body: res.body });
      tr.ended = 'http-error';
      break;
    }
    tr.documents?.push({ url: current.url, twiml: res.body });
    const root = parseTwiml(res.body);
    const callbacks: Array<{ url: string; params: Params }> = [];
    const outcome = runVerbs(elements(root), current.url, keys, script, push, { params, callbacks, dialCounts });
    for (const cb of callbacks) {
      if (script.sendCallback) await script.sendCallback(cb.url, cb.params);
      else await postSigned(t, cb.url, cb.params);
    }
    if (outcome.kind === 'goto') next = outcome.next;
    else {
      tr.ended = outcome.kind;
      break;
    }
  }
  return tr;
};

type Outcome =
  | { kind: 'goto'; next: { url: string; method: string; extra: Params } }
  | { kind: 'hangup' | 'reject' | 'end-of-document' };

const runVerbs = (verbs: El[], docUrl: string, keys: KeyPad, script: CallScript, push: (e: CallEvent) => void, ctx: DialCtx): Outcome => {
  for (const v of verbs) {
    const method = v.getAttribute('method') ?? 'POST';
    switch (v.nodeName) {
      case 'Say':
        push({ kind: 'say', text: text(v) });
        break;
      case 'Play': {
        const digits = v.getAttribute('digits');
        if (digits) push({ kind: 'play-digits', digits });
        else push({ kind: 'play', url: text(v) });
        break;
      }
      case 'Pause':
        push({ kind: 'pause', seconds: Number(v.getAttribute('length') ?? 1) });
        break;
      case 'Gather': {
        for (const inner of elements(v)) {
          if (inner.nodeName === 'Say') push({ kind: 'say', text: text(inner) });
          if (inner.nodeName === 'Play') push(inner.getAttribute('digits') ? { kind: 'play-digits', digits: inner.getAttribute('digits')! } : { kind: 'play', url: text(inner) });
        }
        const numDigits = v.getAttribute('numDigits') ? Number(v.getAttribute('numDigits')) : null;
        const digits = keys.next(numDigits, v.getAttribute('finishOnKey') ?? '#');
        push({ kind: 'gather', digits, numDigits });
        if (digits) return { kind: 'goto', next: { url: absolute(v.getAttribute('action'), docUrl), method, extra: { Digits: digits } } };
        if (v.getAttribute('actionOnEmptyResult') === 'true') return { kind: 'goto', next: { url: absolute(v.getAttribute('action'), docUrl), method, extra: { Digits: '' } } };
        break; // no input: the next verb runs
      }
      case 'Record': {
        const vm = script.voicemail;
        const maxLength = v.getAttribute('maxLength') ? Number(v.getAttribute('maxLength')) : null;
        push({ kind: 'record', recorded: Boolean(vm), maxLength, beep: v.getAttribute('playBeep') !== 'false' });
        if (vm) {
          const rec = typeof vm === 'object' ? vm : { url: 'https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE00000000000000000000000000000001', durationSeconds: 7 };
          return {
            kind: 'goto',
            next: {
              url: absolute(v.getAttribute('action'), docUrl),
              method,
              extra: { RecordingUrl: rec.url, RecordingSid: rec.url.split('/').pop() ?? 'RE0', RecordingDuration: String(rec.durationSeconds), Digits: 'hangup' },
            },
          };
        }
        break;
      }
      case 'Dial': {
        const inner = elements(v);
        const num = inner.find((e) => e.nodeName === 'Number');
        const conf = inner.find((e) => e.nodeName === 'Conference');
        push({
          kind: 'dial',
          number: num ? text(num) : inner.length === 0 ? text(v) : null,
          sendDigits: num?.getAttribute('sendDigits') ?? null,
          conference: conf ? text(conf) : null,
          callerId: v.getAttribute('callerId'),
          ...(script.dial ? { numbers: inner.filter((e) => e.nodeName === 'Number').map(text) } : {}),
        });
        const action = v.getAttribute('action');
        const numbers = inner.filter((e) => e.nodeName === 'Number');
        if (script.dial && numbers.length > 0) {
          const extra = followDial(v, numbers, docUrl, script.dial, push, ctx, fakeSid);
          if (action) return { kind: 'goto', next: { url: absolute(action, docUrl), method, extra } };
          break;
        }
        if (action) return { kind: 'goto', next: { url: absolute(action, docUrl), method, extra: { DialCallStatus: 'completed', DialCallDuration: '30' } } };
        break;
      }
      case 'Redirect': {
        const u = absolute(text(v) || null, docUrl);
        push({ kind: 'redirect', url: u });
        return { kind: 'goto', next: { url: u, method, extra: {} } };
      }
      case 'Message':
        push({ kind: 'message', to: v.getAttribute('to'), text: text(v) });
        break;
      case 'Hangup':
        push({ kind: 'hangup' });
        return { kind: 'hangup' };
      case 'Reject':
        push({ kind: 'reject', reason: v.getAttribute('reason') });
        return { kind: 'reject' };
      default:
        break; // verbs the player does not model are skipped, as a lenient carrier would
    }
  }
  return { kind: 'end-of-document' };
};

/** The replies in a messaging TwiML document (`<Message>` bodies). */
export const messageReplies = (xml: string): string[] => {
  if (!xml.trim()) return [];
  const root = parseTwiml(xml);
  return elements(root)
    .filter((e) => e.nodeName === 'Message')
    .map((e) => {
      const body = elements(e).find((c) => c.nodeName === 'Body');
      return body ? text(body) : text(e);
    });
};

/**
 * Twilio-shaped ids: prefix + 32 hex characters. Random ones come from `randomUUID` (Node hands
 * them out of a cached entropy pool): a `getRandomValues` call per id was 11 % of the emulator's
 * CPU in a 10,000-text fan-out.
 */
export const fakeSid = (prefix: 'CA' | 'SM' | 'RE' | 'AC' | 'PN', n?: number): string => {
  if (n !== undefined) return prefix + n.toString(16).padStart(32, '0');
  return prefix + crypto.randomUUID().replaceAll('-', '');
};
