/**
 * TwiML of a callback's agent call (agent first): the agent who answers hears the whisper, then
 * the contact is dialled with the line's number as caller ID; the Dial action reports how the
 * contact leg ended. Pure; every text and attribute is escaped by xmlbuilder2.
 */
import { create } from 'xmlbuilder2';

export const CALLBACK_PROMPTS = {
  noAnswer: 'The contact did not answer. Goodbye.',
  busy: 'The contact is busy. Goodbye.',
  failed: 'The call to the contact could not be connected. Goodbye.',
  refused: 'This callback is no longer needed. Goodbye.',
} as const;

const doc = () => create({ version: '1.0', encoding: 'UTF-8' }).ele('Response');

/** The agent answered: the whisper, then `<Dial>` the contact (ringing `timeoutSeconds`). */
export const callbackAgentCall = (s: { whisper: string; contactNumber: string; callerId: string; dialActionUrl: string; timeoutSeconds?: number }): string => {
  const r = doc();
  r.ele('Say').txt(s.whisper);
  r.ele('Dial', { callerId: s.callerId, timeout: String(s.timeoutSeconds ?? 30), action: s.dialActionUrl, method: 'POST' })
    .ele('Number').txt(s.contactNumber);
  return r.end({ prettyPrint: false });
};

/** After the Dial: nothing more when they talked; otherwise the agent hears why. */
export const callbackDialEnded = (outcome: 'completed' | 'no_answer' | 'busy' | 'failed'): string => {
  const r = doc();
  if (outcome !== 'completed') r.ele('Say').txt(outcome === 'no_answer' ? CALLBACK_PROMPTS.noAnswer : outcome === 'busy' ? CALLBACK_PROMPTS.busy : CALLBACK_PROMPTS.failed);
  r.ele('Hangup');
  return r.end({ prettyPrint: false });
};

/** The callback was cancelled, or the contact asked not to be called, after the agent's phone rang. */
export const callbackRefused = (): string => {
  const r = doc();
  r.ele('Say').txt(CALLBACK_PROMPTS.refused);
  r.ele('Hangup');
  return r.end({ prettyPrint: false });
};
