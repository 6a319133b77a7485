/**
 * What the emulated carrier does after accepting a REST request: moves messages through
 * queued -> sent -> delivered with signed status callbacks, and rings, answers and plays
 * outbound calls against the gateway's TwiML.
 */
import { playCall, type PlayerTransport } from '../../routes/softphone/call-player.js';
import type { DestinationBehaviour, EmulatedCall, EmulatedMessage } from './twilio-shapes.js';

export type DriverCtx = {
  transport: PlayerTransport;
  sendCallback(url: string, params: Record<string, string>): Promise<void>;
  delayMs: number;
  /** Waits `ms`, or less if the emulator releases held messages (reset, close, releaseQueued). */
  hold(ms: number): Promise<void>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Numbers callbacks (SequenceNumber from 0) and sends each at once, or, with `reverse`, holds
 * them and sends them newest first at the end (out-of-order delivery).
 */
const emitter = (ctx: DriverCtx, url: string | null, reverse: boolean) => {
  const held: Array<Record<string, string>> = [];
  let n = 0;
  return {
    async emit(p: Record<string, string>) {
      if (!url) return;
      const numbered = { ...p, SequenceNumber: String(n++) };
      if (reverse) held.push(numbered);
      else await ctx.sendCallback(url, numbered);
    },
    async end() {
      if (!url) return;
      for (const p of held.reverse()) {
        await sleep(ctx.delayMs);
        await ctx.sendCallback(url, p);
      }
    },
  };
};

export const runMessageCallbacks = async (ctx: DriverCtx, m: EmulatedMessage, b: DestinationBehaviour): Promise<void> => {
  const outcome = b.messageOutcome ?? 'delivered';
  const steps = outcome === 'failed' ? ['queued', 'failed'] : ['queued', 'sent', outcome];
  const out = emitter(ctx, m.statusCallback, Boolean(b.reverseCallbacks));
  for (const status of steps) {
    await sleep(ctx.delayMs);
    if (status === steps[1] && b.queuedForMs) await ctx.hold(b.queuedForMs);
    m.status = status;
    m.dateUpdated = new Date();
    // Twilio's date_sent: set when the carrier sends the text on, never while it is queued.
    if (status === 'sent') m.dateSent = m.dateUpdated;
    if (status !== 'queued' && status !== 'sent' && status !== 'delivered') m.errorCode = b.messageErrorCode ?? 30003;
    const p: Record<string, string> = {
      MessageSid: m.sid, SmsSid: m.sid, MessageStatus: status, SmsStatus: status,
      AccountSid: m.accountSid, From: m.from, To: m.to, ApiVersion: '2010-04-01',
      ...(m.messagingServiceSid ? { MessagingServiceSid: m.messagingServiceSid } : {}),
    };
    if (m.errorCode && status !== 'queued' && status !== 'sent') p.ErrorCode = String(m.errorCode);
    await out.emit(p);
  }
  await out.end();
};

const FINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

export const runOutboundCall = async (ctx: DriverCtx, c: EmulatedCall, b: DestinationBehaviour): Promise<void> => {
  const events = c.statusCallbackEvents.length > 0 ? c.statusCallbackEvents : ['completed'];
  const out = emitter(ctx, c.statusCallback, Boolean(b.reverseCallbacks));
  const record = async (event: string, extra: Record<string, string> = {}) => {
    if (!events.includes(event)) return;
    await out.emit({
      CallSid: c.sid, AccountSid: c.accountSid, From: c.from, To: c.to, Caller: c.from, Called: c.to, Direction: c.direction,
      CallStatus: c.status, ApiVersion: '2010-04-01', CallbackSource: 'call-progress-events', Timestamp: new Date().toUTCString(), ...extra,
    });
  };
  const set = (status: string) => {
    c.status = status;
    c.dateUpdated = new Date();
  };
  /** The next progress step, unless the call was hung up (REST Status=canceled) meanwhile: a canceled call never rings. */
  const progress = async (status: string) => {
    if (FINAL.has(c.status)) return;
    set(status);
    await record(status);
  };

  await sleep(ctx.delayMs + (b.callbackLagMs ?? 0));
  await progress('initiated');
  await progress('ringing');
  // Rings for answerDelayMs, or until the call is hung up (REST Status=canceled) meanwhile.
  for (const until = Date.now() + (b.answerDelayMs ?? 0); Date.now() < until && !FINAL.has(c.status);) await sleep(Math.min(20, until - Date.now()));
  if (FINAL.has(c.status)) {
    await record('completed', { CallDuration: '0', Duration: '0' });
  } else if ((b.answer ?? 'answer') !== 'answer') {
    set(b.answer ?? 'no-answer');
    c.endTime = new Date();
    c.duration = 0;
    await record('completed', { CallDuration: '0', Duration: '0' });
  } else {
    set('in-progress');
    c.startTime = new Date();
    c.answeredBy = 'human';
    await record('answered', { AnsweredBy: 'human' });
    const params = { CallSid: c.sid, AccountSid: c.accountSid, From: c.from, To: c.to, Caller: c.from, Called: c.to, Direction: c.direction, CallStatus: 'in-progress', AnsweredBy: 'human', ApiVersion: '2010-04-01' };
    if (c.url) {
      const tr = await playCall(ctx.transport, c.url, params, { keys: b.keys, voicemail: b.voicemail, dial: b.dial, aborted: () => FINAL.has(c.status) });
      if (c.sendDigits) {
        tr.events.unshift({ kind: 'play-digits', digits: c.sendDigits });
        tr.playedDigits.unshift(c.sendDigits);
      }
      c.transcript = tr;
    }
    c.endTime = c.endTime ?? new Date();
    c.duration = Math.max(1, Math.ceil((c.endTime.getTime() - c.startTime.getTime()) / 1000));
    set('completed');
    await record('completed', { CallDuration: String(c.duration), Duration: String(Math.ceil(c.duration / 60)) });
  }
  await out.end();
};
