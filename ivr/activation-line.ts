/**
 * The activation line's call flow: pure functions (state, input) -> TwiML, built with
 * xmlbuilder2 (which escapes every text and attribute). No I/O, no clock: the voice route
 * gathers the data, picks the step and sends the XML.
 *
 *   greeting -> Gather 4 keys -> code step
 *     wrong / no input / locked out (indistinguishable) -> try again, at most `maxAttempts`, then goodbye
 *     matched + voice message wanted -> Record (beep, max length) -> recording step
 *     matched -> activated: "<workflow> activated. Reaching N people." -> hang up
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

export const MAX_CODE_ATTEMPTS = 3;

/** The URLs the flow's TwiML names (absolute, under PUBLIC_URL). */
export type IvrUrls = {
  /** `/webhooks/twilio/voice/code?attempt=N` */
  code(attempt: number): string;
  /** `/webhooks/twilio/voice/recording?workflow=<id>` */
  recording(workflowId: string): string;
};

export const PROMPTS = {
  unknownLine: 'Sorry, this number is not in service. Goodbye.',
  withheldCaller: 'Sorry, this line cannot take calls from a withheld number. Goodbye.',
  notAllowed: 'Sorry, this line only accepts calls from registered contacts. Goodbye.',
  trackingNotConfigured: 'Sorry, this line is not configured yet. Goodbye.',
  enterCode: 'Please enter your four character code.',
  wrongCode: 'That code was not accepted.',
  noInput: 'We did not receive a code.',
  goodbye: 'Goodbye.',
  tooManyAttempts: 'Sorry, we could not accept your code. Goodbye.',
  recordPrompt: 'Please leave your message after the beep. Press the pound key when you are done.',
  apology: 'Sorry, we are having a technical problem. Please try again in a few minutes. Goodbye.',
} as const;

const doc = () => create({ version: '1.0', encoding: 'UTF-8' }).ele('Response');
const end = (r: XMLBuilder): string => r.end({ prettyPrint: false });

/** A spoken sentence, then hang up. */
export const sayAndHangup = (text: string): string => end(doc().ele('Say').txt(text).up().ele('Hangup').up());

/** The 4-key gather every code prompt uses; no finish key needed. */
const gatherCode = (r: XMLBuilder, urls: IvrUrls, attempt: number, sayings: string[]): XMLBuilder => {
  const g = r.ele('Gather', { input: 'dtmf', numDigits: '4', timeout: '8', action: urls.code(attempt), method: 'POST' });
  for (const s of sayings) g.ele('Say').txt(s).up();
  // No keys at all: the carrier runs the next verb, which asks again through the same step.
  return r.ele('Redirect', { method: 'POST' }).txt(urls.code(attempt)).up();
};

export type GreetingState = { greeting: string; urls: IvrUrls };
/** A known line answers: its greeting, then up to 4 keys. */
export const greeting = (s: GreetingState): string => end(gatherCode(doc(), s.urls, 1, [s.greeting]));

export type CodeRetryState = { urls: IvrUrls; attempt: number; maxAttempts?: number };
export type CodeRetryInput = { reason: 'wrong' | 'no-input' };
/**
 * After a wrong code (or no keys, or a caller locked out: the same words, so a guesser learns
 * nothing): ask again, or say goodbye once `attempt` was the last allowed try.
 */
export const codeRetry = (s: CodeRetryState, input: CodeRetryInput): string => {
  const max = s.maxAttempts ?? MAX_CODE_ATTEMPTS;
  const first = input.reason === 'wrong' ? PROMPTS.wrongCode : PROMPTS.noInput;
  if (s.attempt >= max) return end(doc().ele('Say').txt(`${first} ${PROMPTS.tooManyAttempts}`).up().ele('Hangup').up());
  return end(gatherCode(doc(), s.urls, s.attempt + 1, [first, PROMPTS.enterCode]));
};

export type RecordState = { urls: IvrUrls; workflowId: string; maxLengthSeconds: number };
/** The workflow wants a voice message: a beep, at most `maxLengthSeconds`, `#` to finish. */
export const recordMessage = (s: RecordState): string => {
  const r = doc()
    .ele('Say').txt(PROMPTS.recordPrompt).up()
    .ele('Record', { action: s.urls.recording(s.workflowId), method: 'POST', maxLength: String(s.maxLengthSeconds), playBeep: 'true', finishOnKey: '#', timeout: '5' }).up()
    // Nothing recorded (silence): the carrier runs the next verb and the workflow is activated without one.
    .ele('Redirect', { method: 'POST' }).txt(s.urls.recording(s.workflowId)).up();
  return end(r);
};

export type ActivatedInput = { workflowName: string; recipients: number };
/** Says which workflow was activated and how many people it reaches, then hangs up. */
export const activated = (input: ActivatedInput): string => {
  const people = input.recipients === 1 ? '1 person' : `${input.recipients} people`;
  return sayAndHangup(`${input.workflowName} has been activated. Reaching ${people}. Goodbye.`);
};

export const unknownLine = (): string => sayAndHangup(PROMPTS.unknownLine);
export const withheldCaller = (): string => sayAndHangup(PROMPTS.withheldCaller);
export const notAllowed = (): string => sayAndHangup(PROMPTS.notAllowed);
export const trackingNotConfigured = (): string => sayAndHangup(PROMPTS.trackingNotConfigured);
/** PostgreSQL or Redis failed mid-call: still TwiML, never a 5xx to the carrier. */
export const apology = (): string => sayAndHangup(PROMPTS.apology);
