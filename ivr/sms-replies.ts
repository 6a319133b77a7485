/**
 * Texts the SMS side of the activation line sends back, and the messaging TwiML carrying them.
 * Pure: the SMS route decides which, this file words it.
 */
import { create } from 'xmlbuilder2';

export const SMS_TEXT = {
  optedOut: 'You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.',
  optedIn: 'You have been resubscribed. Reply STOP to unsubscribe.',
  unknownCode: 'Code not recognised. Text your 4-character code, optionally followed by a message (e.g. "ABCD help at gate 4"). Reply HELP for help.',
  notAllowed: 'Sorry, this number only accepts codes from registered contacts.',
  apology: 'Sorry, we could not process your message. Please try again in a few minutes.',
} as const;

export const activatedText = (workflowName: string, recipients: number): string =>
  `${workflowName} activated. Reaching ${recipients === 1 ? '1 person' : `${recipients} people`}.`;

/** Sent after the confirmation when every message of the texted activation failed (src/delivery/sender-reports.ts). */
export const notSentText = (workflowName: string): string =>
  `${workflowName}: sending failed, nobody was reached. Please get help another way.`;

/** `<Response><Message>…</Message></Response>`, or an empty `<Response/>` when there is no reply. */
export const messagingResponse = (reply: string | null): string => {
  const r = create({ version: '1.0', encoding: 'UTF-8' }).ele('Response');
  if (reply) r.ele('Message').txt(reply).up();
  return r.end({ prettyPrint: false });
};

/** Every reply text the SMS side needs, as the composition root hands them to the service. */
export const smsReplyTexts = { ...SMS_TEXT, activated: activatedText };
