/**
 * TwiML for the calls Switchboard places (notification, conference, pager). Pure: the route
 * gathers the data (delivery, URLs) and calls these; text is XML-escaped by xmlbuilder2.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

export const MAX_KEY_ATTEMPTS = 3;

const doc = (): { root: XMLBuilder; end: () => string } => {
  const d = create({ version: '1.0', encoding: 'UTF-8' });
  const root = d.ele('Response');
  return { root, end: () => d.end({ prettyPrint: false }) };
};

const gather = (root: XMLBuilder, action: string, timeoutSeconds = 8): XMLBuilder =>
  root.ele('Gather', { input: 'dtmf', numDigits: '1', timeout: String(timeoutSeconds), action, method: 'POST' });

const say = (parent: XMLBuilder, text: string): void => {
  parent.ele('Say').txt(text);
};

const goodbye = (root: XMLBuilder, text = 'Goodbye.'): void => {
  say(root, text);
  root.ele('Hangup');
};

export type PollPrompt = { question: string; options: string[] };

const pollOptionsText = (options: string[]): string => options.map((o, i) => `For ${o}, press ${i + 1}.`).join(' ');

const askPoll = (root: XMLBuilder, poll: PollPrompt, pollUrl: string): void => {
  const g = gather(root, pollUrl);
  say(g, poll.question);
  say(g, pollOptionsText(poll.options));
  goodbye(root, 'No answer was received. Goodbye.');
};

/**
 * A text-to-voice notification as the callee answers: the message twice, then "press 1 to
 * acknowledge" (one key, sent to `keysUrl`).
 */
export const notificationCall = (input: { text: string; keysUrl: string }): string => {
  const { root, end } = doc();
  const g = gather(root, input.keysUrl);
  say(g, input.text);
  g.ele('Pause', { length: '1' });
  say(g, input.text);
  say(g, 'Press 1 to acknowledge this message.');
  goodbye(root, 'No acknowledgement was received. Goodbye.');
  return end();
};

/**
 * The key pressed after a notification. `1` acknowledges (then the poll, if the action has one);
 * another key asks again, at most `MAX_KEY_ATTEMPTS` times in all.
 */
export const notificationKeys = (input: {
  digits: string;
  attempt: number;
  retryUrl: string;
  poll: (PollPrompt & { pollUrl: string }) | null;
}): string => {
  const { root, end } = doc();
  if (input.digits === '1') {
    if (input.poll) {
      say(root, 'Thank you. Your acknowledgement has been recorded.');
      askPoll(root, input.poll, input.poll.pollUrl);
    } else {
      goodbye(root, 'Thank you. Your acknowledgement has been recorded. Goodbye.');
    }
    return end();
  }
  if (input.attempt >= MAX_KEY_ATTEMPTS) {
    goodbye(root);
    return end();
  }
  say(root, 'Sorry, that key is not valid.');
  say(gather(root, input.retryUrl), 'Press 1 to acknowledge this message.');
  goodbye(root, 'No acknowledgement was received. Goodbye.');
  return end();
};

/** The key pressed for a poll: recorded, closed, or not an option (ask again, capped). */
export const pollAnswer = (input: {
  digits: string;
  attempt: number;
  poll: PollPrompt & { retryUrl: string };
  result: 'recorded' | 'closed' | 'invalid';
}): string => {
  const { root, end } = doc();
  if (input.result === 'recorded') {
    goodbye(root, `Thank you. Your answer, ${input.poll.options[Number(input.digits) - 1]}, has been recorded. Goodbye.`);
  } else if (input.result === 'closed') {
    goodbye(root, 'Sorry, this poll is closed. Goodbye.');
  } else if (input.attempt >= MAX_KEY_ATTEMPTS) {
    goodbye(root);
  } else {
    say(root, 'Sorry, that is not one of the options.');
    askPoll(root, input.poll, input.poll.retryUrl);
  }
  return end();
};

/** A conference call as each person answers: the intro, then the activation's conference. */
export const conferenceCall = (input: { intro: string; conferenceName: string }): string => {
  const { root, end } = doc();
  say(root, input.intro);
  root
    .ele('Dial')
    .ele('Conference', { startConferenceOnEnter: 'true', endConferenceOnExit: 'false', beep: 'true' })
    .txt(input.conferenceName);
  return end();
};

/** A pager call: play the pager message as DTMF (`w` = half-second pause), then hang up. */
export const pagerCall = (input: { digits: string }): string => {
  const { root, end } = doc();
  if (!/^[0-9#*w]+$/.test(input.digits)) {
    root.ele('Hangup');
    return end();
  }
  root.ele('Play', { digits: `ww${input.digits}` });
  root.ele('Hangup');
  return end();
};

/** A call whose delivery is unknown or not a call: a polite hang-up, never an error to the carrier. */
export const unknownCall = (): string => {
  const { root, end } = doc();
  goodbye(root, 'Sorry, this call could not be connected. Goodbye.');
  return end();
};
