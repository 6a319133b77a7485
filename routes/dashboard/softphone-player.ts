/**
 * The softphone's carrier, one step at a time: where `routes/softphone/call-player.ts` plays a whole
 * call from a script, this stops at each `<Gather>` or `<Record>` and waits for the person at the
 * browser. Requests are signed exactly as the carrier signs them (same helper), so the gateway's
 * own webhooks, signature check included, handle the call.
 */
import { parseTwiml, postSigned, type PlayerTransport } from '../softphone/call-player.js';

/** What the caller experiences, in order. */
export type PhoneEvent =
  | { kind: 'say'; text: string }
  | { kind: 'play'; url: string }
  | { kind: 'pause'; seconds: number }
  | { kind: 'beep' }
  | { kind: 'dial'; to: string | null; conference: string | null }
  | { kind: 'message'; text: string }
  | { kind: 'you'; text: string }
  | { kind: 'ended'; reason: 'hangup' | 'reject' | 'end-of-call' | 'caller-hung-up' | 'error'; detail?: string };

/** Where the call stands between two browser requests (sealed into the state token). */
export type CallCursor = {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  /** The TwiML document being played and the verb waiting for input. */
  docUrl: string;
  doc: string;
  pos: number;
  requests: number;
};

export type Waiting =
  | { kind: 'gather'; numDigits: number | null; finishOnKey: string }
  | { kind: 'record'; maxLength: number | null };

export type StepResult = { events: PhoneEvent[]; waiting: Waiting | null; cursor: CallCursor | null };

export type CallerInput =
  | { kind: 'digits'; digits: string }
  | { kind: 'silence' }
  | { kind: 'voicemail'; recordingUrl: string; seconds: number }
  | { kind: 'hangup' };

type El = ReturnType<typeof parseTwiml>;
const MAX_REQUESTS = 30;

const elements = (node: El): El[] => Array.from(node.childNodes).filter((n) => n.nodeType === 1);
const text = (el: El): string => (el.textContent ?? '').trim();
const absolute = (u: string | null, base: string): string => (u ? new URL(u, base).toString() : base);

type Goto = { url: string; method: string; extra: Record<string, string> };

/** Standing parameters of every request of the call, as Twilio sends them for an inbound call. */
const callParams = (c: Pick<CallCursor, 'callSid' | 'accountSid' | 'from' | 'to'>, status: string) => ({
  CallSid: c.callSid, AccountSid: c.accountSid, From: c.from, To: c.to, Caller: c.from, Called: c.to,
  CallStatus: status, Direction: 'inbound', ApiVersion: '2010-04-01',
});

/**
 * Runs verbs of `doc` from `pos`, fetching the documents they lead to, until the call waits for
 * the caller or ends.
 */
const run = async (t: PlayerTransport, c: CallCursor, events: PhoneEvent[], start: Goto | null): Promise<StepResult> => {
  let next = start;
  let cur = c;
  for (;;) {
    if (next) {
      if (cur.requests >= MAX_REQUESTS) {
        events.push({ kind: 'ended', reason: 'error', detail: 'too many steps' });
        return { events, waiting: null, cursor: null };
      }
      const res = await postSigned(t, next.url, { ...callParams(cur, cur.requests === 0 ? 'ringing' : 'in-progress'), ...next.extra }, next.method);
      if (res.status !== 200) {
        events.push({ kind: 'ended', reason: 'error', detail: `the gateway answered ${res.status}` });
        return { events, waiting: null, cursor: null };
      }
      cur = { ...cur, docUrl: next.url, doc: res.body, pos: 0, requests: cur.requests + 1 };
      next = null;
    }
    const verbs = elements(parseTwiml(cur.doc));
    const out = interpret(verbs, cur, events);
    if (out.kind === 'goto') next = out.goto;
    else if (out.kind === 'wait') return { events, waiting: out.waiting, cursor: { ...cur, pos: out.pos } };
    else {
      events.push({ kind: 'ended', reason: out.reason });
      return { events, waiting: null, cursor: null };
    }
  }
};

type Outcome = { kind: 'goto'; goto: Goto } | { kind: 'wait'; waiting: Waiting; pos: number } | { kind: 'end'; reason: 'hangup' | 'reject' | 'end-of-call' };

const interpret = (verbs: El[], c: CallCursor, events: PhoneEvent[]): Outcome => {
  for (let i = c.pos; i < verbs.length; i++) {
    const v = verbs[i]!;
    const method = v.getAttribute('method') ?? 'POST';
    switch (v.nodeName) {
      case 'Say':
        events.push({ kind: 'say', text: text(v) });
        break;
      case 'Play':
        events.push(v.getAttribute('digits') ? { kind: 'say', text: `(tones ${v.getAttribute('digits')})` } : { kind: 'play', url: text(v) });
        break;
      case 'Pause':
        events.push({ kind: 'pause', seconds: Number(v.getAttribute('length') ?? 1) });
        break;
      case 'Gather':
        for (const inner of elements(v)) if (inner.nodeName === 'Say') events.push({ kind: 'say', text: text(inner) });
        return { kind: 'wait', pos: i, waiting: { kind: 'gather', numDigits: v.getAttribute('numDigits') ? Number(v.getAttribute('numDigits')) : null, finishOnKey: v.getAttribute('finishOnKey') ?? '#' } };
      case 'Record':
        if (v.getAttribute('playBeep') !== 'false') events.push({ kind: 'beep' });
        return { kind: 'wait', pos: i, waiting: { kind: 'record', maxLength: v.getAttribute('maxLength') ? Number(v.getAttribute('maxLength')) : null } };
      case 'Dial': {
        const inner = elements(v);
        const num = inner.find((e) => e.nodeName === 'Number');
        const conf = inner.find((e) => e.nodeName === 'Conference');
        events.push({ kind: 'dial', to: num ? text(num) : inner.length === 0 ? text(v) : null, conference: conf ? text(conf) : null });
        const action = v.getAttribute('action');
        if (action) return { kind: 'goto', goto: { url: absolute(action, c.docUrl), method, extra: { DialCallStatus: 'completed', DialCallDuration: '30' } } };
        break;
      }
      case 'Redirect':
        return { kind: 'goto', goto: { url: absolute(text(v) || null, c.docUrl), method, extra: {} } };
      case 'Message':
        events.push({ kind: 'message', text: text(v) });
        break;
      case 'Hangup':
        return { kind: 'end', reason: 'hangup' };
      case 'Reject':
        return { kind: 'end', reason: 'reject' };
      default:
        break;
    }
  }
  return { kind: 'end', reason: 'end-of-call' };
};

/** Rings the line: the first webhook, then every verb up to the first question. */
export const startCall = (t: PlayerTransport, voiceUrl: string, call: Pick<CallCursor, 'callSid' | 'accountSid' | 'from' | 'to'>): Promise<StepResult> =>
  run(t, { ...call, docUrl: voiceUrl, doc: '<Response/>', pos: 0, requests: 0 }, [], { url: voiceUrl, method: 'POST', extra: {} });

/** Answers the verb the call waits on (keys, silence, a voice message) or hangs up. */
export const continueCall = async (t: PlayerTransport, c: CallCursor, input: CallerInput): Promise<StepResult> => {
  const verbs = elements(parseTwiml(c.doc));
  const v = verbs[c.pos];
  const events: PhoneEvent[] = [];
  if (input.kind === 'hangup' || !v) {
    events.push({ kind: 'ended', reason: 'caller-hung-up' });
    return { events, waiting: null, cursor: null };
  }
  const method = v.getAttribute('method') ?? 'POST';
  const action = absolute(v.getAttribute('action'), c.docUrl);
  if (v.nodeName === 'Gather') {
    if (input.kind === 'digits' && input.digits) {
      events.push({ kind: 'you', text: `pressed ${input.digits}` });
      return run(t, c, events, { url: action, method, extra: { Digits: input.digits } });
    }
    events.push({ kind: 'you', text: 'pressed nothing' });
    if (v.getAttribute('actionOnEmptyResult') === 'true') return run(t, c, events, { url: action, method, extra: { Digits: '' } });
    return run(t, { ...c, pos: c.pos + 1 }, events, null);
  }
  if (v.nodeName === 'Record') {
    if (input.kind === 'voicemail') {
      events.push({ kind: 'you', text: `left a ${input.seconds}-second voice message` });
      const sid = input.recordingUrl.split('/').pop() ?? 'RE0';
      return run(t, c, events, { url: action, method, extra: { RecordingUrl: input.recordingUrl, RecordingSid: sid, RecordingDuration: String(input.seconds), Digits: 'hangup' } });
    }
    events.push({ kind: 'you', text: 'said nothing' });
    return run(t, { ...c, pos: c.pos + 1 }, events, null);
  }
  return run(t, { ...c, pos: c.pos + 1 }, events, null);
};
