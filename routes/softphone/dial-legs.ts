/**
 * The carrier following `<Dial><Number>…</Dial>` for the call player (`CallScript.dial`): each
 * number answers or not as scripted, the legs' `statusCallback`s are queued (initiated, ringing,
 * answered, completed), and the Dial action's parameters are returned. It imports nothing from
 * the player (no cycle): the player passes its event sink and its id maker in.
 */
type Params = Record<string, string>;
type El = { nodeName: string; textContent: string | null; getAttribute(n: string): string | null };

export type DialLegStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
/** How one dialled number behaves: answers and talks `talkSeconds` (status completed), or not. */
export type DialLegOutcome = { status: DialLegStatus; talkSeconds?: number };

/** The event a dialled leg adds to the call's transcript (one of call-player.ts's `CallEvent`s). */
export type DialLegEvent = { kind: 'dial-leg'; number: string; callSid: string; status: DialLegStatus; talkSeconds: number };

export type DialScript = Record<string, DialLegOutcome> | ((number: string, attempt: number) => DialLegOutcome);
export type DialCtx = { params: Params; callbacks: Array<{ url: string; params: Params }>; dialCounts: Map<string, number> };

const text = (el: El): string => (el.textContent ?? '').trim();
const absolute = (maybeRelative: string | null, base: string): string => (maybeRelative ? new URL(maybeRelative, base).toString() : base);

/** Plays the legs of a <Dial> of <Number>s; queues their callbacks; returns the Dial action's params. */
export const followDial = (
  dial: El, numbers: El[], docUrl: string, script: DialScript, push: (e: DialLegEvent) => void, ctx: DialCtx, fakeSid: (prefix: 'CA' | 'RE') => string,
): Params => {
  const p = ctx.params;
  const callerId = dial.getAttribute('callerId') ?? p.From ?? '';
  let winner: { sid: string; talk: number } | null = null;
  const legs = numbers.map((n) => {
    const number = text(n);
    const attempt = (ctx.dialCounts.get(number) ?? 0) + 1;
    ctx.dialCounts.set(number, attempt);
    const o = typeof script === 'function' ? script(number, attempt) : script[number] ?? { status: 'no-answer' as const };
    const sid = fakeSid('CA');
    let status: DialLegStatus = o.status;
    if (status === 'completed' && winner) status = 'canceled';
    const talk = status === 'completed' ? Math.max(1, o.talkSeconds ?? 30) : 0;
    if (status === 'completed') winner = { sid, talk };
    return { el: n, number, sid, status, talk };
  });
  for (const leg of legs) {
    // A number still ringing when another answered is canceled.
    if (winner && leg.status !== 'completed') leg.status = 'canceled';
    push({ kind: 'dial-leg', number: leg.number, callSid: leg.sid, status: leg.status, talkSeconds: leg.talk });
    const url = leg.el.getAttribute('statusCallback');
    if (!url) continue;
    const wanted = (leg.el.getAttribute('statusCallbackEvent') ?? 'completed').split(/[\s,]+/).filter(Boolean);
    const steps: Array<[string, string, Params]> = [['initiated', 'initiated', {}], ['ringing', 'ringing', {}]];
    if (leg.status === 'completed') steps.push(['answered', 'in-progress', {}], ['completed', 'completed', { CallDuration: String(leg.talk) }]);
    else steps.push(['completed', leg.status, { CallDuration: '0' }]);
    let seq = 0;
    for (const [event, status, extra] of steps) {
      if (!wanted.includes(event)) continue;
      ctx.callbacks.push({
        url: absolute(url, docUrl),
        params: {
          CallSid: leg.sid, ParentCallSid: p.CallSid ?? '', AccountSid: p.AccountSid ?? '', From: callerId, To: leg.number, Caller: callerId, Called: leg.number,
          Direction: 'outbound-dial', CallStatus: status, ApiVersion: '2010-04-01', CallbackSource: 'call-progress-events',
          SequenceNumber: String(seq++), Timestamp: new Date().toUTCString(), ...extra,
        },
      });
    }
  }
  const w = winner as { sid: string; talk: number } | null;
  const last = legs[legs.length - 1]!;
  const params: Params = {
    DialCallStatus: w ? 'completed' : legs.find((l) => l.status !== 'canceled')?.status ?? 'no-answer',
    DialCallDuration: String(w ? w.talk : 0),
    DialCallSid: w ? w.sid : last.sid,
  };
  const record = dial.getAttribute('record');
  if (w && record && record !== 'do-not-record' && record !== 'false') {
    const recSid = fakeSid('RE');
    const recUrl = `https://api.twilio.com/2010-04-01/Accounts/${p.AccountSid ?? ''}/Recordings/${recSid}`;
    Object.assign(params, { RecordingUrl: recUrl, RecordingSid: recSid, RecordingDuration: String(w.talk) });
    const rcb = dial.getAttribute('recordingStatusCallback');
    if (rcb) {
      ctx.callbacks.push({
        url: absolute(rcb, docUrl),
        params: { AccountSid: p.AccountSid ?? '', CallSid: p.CallSid ?? '', RecordingSid: recSid, RecordingUrl: recUrl, RecordingStatus: 'completed', RecordingDuration: String(w.talk), RecordingChannels: '1', RecordingSource: 'DialVerb' },
      });
    }
  }
  return params;
};
