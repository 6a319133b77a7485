/**
 * Call tracking's call flow: pure functions (state) -> TwiML, built with xmlbuilder2 (which
 * escapes every text and attribute). No I/O, no clock.
 *
 *   inbound call on a tracking line -> <Dial> the forward-to number(s), caller ID passed through
 *     simultaneous: every <Number> in one <Dial>; the first to answer takes the call
 *     sequential:   one <Number> per <Dial>; the Dial action asks for the next one after a miss
 *   Dial action (answered, or nothing left to ring) -> hang up; else the next number's <Dial>
 *
 * Every <Number> reports its leg's progress (initiated, ringing, answered, completed) to the
 * leg status URL; the <Dial> action URL is told how the dial ended.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

/** The URLs the flow names (absolute, under PUBLIC_URL, each carrying the tracked CallSid). */
export type TrackingUrls = {
  /** `/webhooks/twilio/tracking/dial?call=<CallSid>&step=N`: the <Dial> action of step N. */
  dialAction(step: number): string;
  /** `/webhooks/twilio/tracking/leg?call=<CallSid>&leg=N`: status of the leg to number N. */
  legStatus(leg: number): string;
  /** `/webhooks/twilio/tracking/recording?call=<CallSid>`: the recording is ready. */
  recording(): string;
  /** `/webhooks/twilio/tracking/whisper?call=<CallSid>`: TwiML played to whoever answers. */
  whisper(): string;
};

export const TRACKING_PROMPTS = {
  notConfigured: 'Sorry, this line is not configured yet. Goodbye.',
} as const;

export type ForwardState = {
  /** The caller's number, shown to the person answering; null when withheld (carrier default). */
  callerId: string | null;
  /** Forward-to numbers, E.164, in ring order. */
  numbers: string[];
  strategy: 'sequential' | 'simultaneous';
  ringTimeoutSeconds: number;
  record: boolean;
  /** Spoken to the person answering before the caller is connected. */
  whisper: boolean;
  urls: TrackingUrls;
};

const doc = () => create({ version: '1.0', encoding: 'UTF-8' }).ele('Response');
const end = (r: XMLBuilder): string => r.end({ prettyPrint: false });

const LEG_EVENTS = 'initiated ringing answered completed';

const number = (dial: XMLBuilder, s: ForwardState, leg: number): void => {
  const attrs: Record<string, string> = {
    statusCallback: s.urls.legStatus(leg),
    statusCallbackEvent: LEG_EVENTS,
    statusCallbackMethod: 'POST',
  };
  if (s.whisper) {
    attrs.url = s.urls.whisper();
    attrs.method = 'POST';
  }
  dial.ele('Number', attrs).txt(s.numbers[leg]!).up();
};

/**
 * The <Dial> of step `step`: sequential rings `numbers[step]` alone; simultaneous (step 0) rings
 * them all. `answerOnBridge` keeps the caller hearing the ringback until someone answers.
 */
export const forwardCall = (s: ForwardState, step = 0): string => {
  const attrs: Record<string, string> = {};
  if (s.callerId) attrs.callerId = s.callerId;
  attrs.timeout = String(s.ringTimeoutSeconds);
  attrs.action = s.urls.dialAction(step);
  attrs.method = 'POST';
  attrs.answerOnBridge = 'true';
  if (s.record) {
    attrs.record = 'record-from-answer';
    attrs.recordingStatusCallback = s.urls.recording();
    attrs.recordingStatusCallbackEvent = 'completed';
  }
  const dial = doc().ele('Dial', attrs);
  if (s.strategy === 'simultaneous') for (let i = 0; i < s.numbers.length; i++) number(dial, s, i);
  else number(dial, s, step);
  return end(dial.up());
};

/** After the last <Dial>: hang up (the Dial action's answer once the call is settled). */
export const hangup = (): string => end(doc().ele('Hangup').up());

/** Played to the person who answers before the caller is connected. */
export const whisper = (text: string): string => end(doc().ele('Say').txt(text).up());

/** An empty document: the answering leg is connected at once (no whisper configured). */
export const empty = (): string => end(doc());

/** A tracking line with nowhere to forward to. */
export const notConfigured = (): string => end(doc().ele('Say').txt(TRACKING_PROMPTS.notConfigured).up().ele('Hangup').up());
