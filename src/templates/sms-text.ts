/**
 * How a notification's text message is put together, and the carrier's length limit. Pure: no I/O.
 *
 * The limit: Twilio refuses a message body over 1,600 characters (error 21617). Characters are
 * counted as JavaScript counts them (UTF-16 code units): an emoji counts 2, as it does in the UCS-2
 * encoding texts with such characters are sent in. Workflow saves, activations and the planner
 * use the same composition, so what is checked is what is sent.
 */
import { findPlaceholders, render } from './templates.js';

/** The most characters the carrier accepts in one message body (Twilio: 1,600; more is 21617). */
export const SMS_MAX_CHARS = 1600;

/**
 * The least room a workflow must leave for `{{inbound_message}}` (what a texter wrote after the
 * code): one classic SMS segment. Less is refused when the workflow is saved.
 */
export const MIN_INBOUND_ROOM = 160;

/** Marks text that was shortened to fit. */
export const TRUNCATION_MARK = '…';

/** The length the carrier counts. */
export const smsLength = (text: string): number => text.length;

/**
 * `value` cut to at most `max` characters, ending with '…' when cut (a surrogate pair is never
 * split). `max` <= 0 gives ''.
 */
export const clip = (value: string, max: number): string => {
  if (smsLength(value) <= max) return value;
  if (max <= 0) return '';
  let cut = value.slice(0, max - TRUNCATION_MARK.length);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}${TRUNCATION_MARK}`;
};

export type PollText = { question: string; options: string[] };

/** The poll as text, for SMS and e-mail: answers come back by SMS reply with the option number. */
export const pollText = (poll: PollText): string =>
  `${poll.question}\n${poll.options.map((o, i) => `${i + 1}) ${o}`).join('\n')}\nReply with the number of your answer.`;

export type NotificationParts = {
  /** The rendered message. */
  text: string;
  /** Appended after a blank line (a prompt's output, when the action appends it). */
  promptOutput?: string | null;
  /** Appended on its own line (the attachment's short URL). */
  attachmentUrl?: string | null;
  /** Appended after a blank line. */
  poll?: PollText | null;
};

/** The notification text as texted and e-mailed: message, prompt output, attachment link, poll. */
export const composeNotification = (p: NotificationParts): string => {
  let out = p.text;
  if (p.promptOutput) out += `\n\n${p.promptOutput}`;
  if (p.attachmentUrl) out += `\n${p.attachmentUrl}`;
  if (p.poll) out += `\n\n${pollText(p.poll)}`;
  return out;
};

/**
 * Shortens a variable part of a text until the whole fits in `max`: `build(value)` gives the
 * whole text with that value in every place it appears. Returns the value to use (clipped with
 * '…', possibly '') — unchanged when the text fits, when the value does not appear in it, or when
 * the text is too long even without it (then no shortening of this value helps).
 */
export const fitValue = (build: (value: string) => string, value: string, max = SMS_MAX_CHARS): string => {
  if (smsLength(build(value)) <= max || smsLength(build('')) > max) return value;
  let v = value;
  for (let i = 0; i < 4 && v.length > 0; i++) {
    const len = smsLength(build(v));
    if (len <= max) return v;
    const perChar = smsLength(build(`${v}x`)) - len; // how many places the value fills
    if (perChar <= 0) return v;
    v = clip(v, smsLength(v) - Math.ceil((len - max) / perChar));
  }
  return smsLength(build(v)) <= max ? v : '';
};

/** What of a notification action decides its text's length. */
export type NotificationShape = { message: string; attachmentId?: string | null; poll?: PollText | null };

/**
 * The shortest a notification's text can be: its message with `[[placeholders]]` from
 * `placeholders` (empty when not given) and `{{fields}}` from `fields` (empty when not given:
 * contact fields, the inbound message and prompt output are known only when sending), plus the
 * attachment link (`attachmentLinkLength` characters) and the poll.
 */
export const fixedSmsLength = (
  a: NotificationShape, opts: { placeholders?: Record<string, string>; fields?: Record<string, string>; attachmentLinkLength: number },
): number => {
  const values = Object.fromEntries(findPlaceholders(a.message).map((n) => [n, opts.placeholders?.[n] ?? '']));
  return smsLength(composeNotification({
    text: render(a.message, values, opts.fields ?? {}),
    attachmentUrl: a.attachmentId ? 'x'.repeat(opts.attachmentLinkLength) : null,
    poll: a.poll,
  }));
};

/** Whether a text uses `{{inbound_message}}`. */
export const usesInboundMessage = (text: string): boolean => /\{\{\s*inbound_message\s*\}\}/.test(text);

/**
 * The save-time check for a text message that is only `{{fields}}` and `[[placeholders]]` over
 * fixed words (rule SMS actions, sequence SMS steps, call tracking's SMS to the caller): its
 * length with every field and placeholder empty — the least it can be — must fit SMS_MAX_CHARS,
 * and when it uses one of `inboundFields` (what a texter wrote) it must leave MIN_INBOUND_ROOM.
 * Returns the issue's message, or null when the text is fine (longer values are cut by the sender).
 */
export const savedSmsIssue = (text: string, opts: { inboundFields?: readonly string[] } = {}): string | null => {
  const blank = Object.fromEntries(findPlaceholders(text).map((n) => [n, '']));
  const fixed = smsLength(render(text, blank, {}));
  if (fixed > SMS_MAX_CHARS) return `the text is ${fixed} characters without its fields; the carrier accepts at most ${SMS_MAX_CHARS}: shorten it by ${fixed - SMS_MAX_CHARS}`;
  const inbound = (opts.inboundFields ?? []).find((f) => new RegExp(`\\{\\{\\s*${f.replace(/\./g, '\\.')}\\s*\\}\\}`).test(text));
  if (inbound && SMS_MAX_CHARS - fixed < MIN_INBOUND_ROOM) {
    return `the text is ${fixed} characters, leaving ${SMS_MAX_CHARS - fixed} for {{${inbound}}}; leave at least ${MIN_INBOUND_ROOM} `
      + `(shorten it by ${MIN_INBOUND_ROOM - (SMS_MAX_CHARS - fixed)})`;
  }
  return null;
};
