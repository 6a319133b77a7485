import type { FieldIssue } from '../errors.js';
import { fixedSmsLength, MIN_INBOUND_ROOM, SMS_MAX_CHARS, usesInboundMessage } from '../templates/sms-text.js';
import type { WorkflowInput } from './workflow-types.js';

/** Texted notifications: by SMS, or by push that falls back to SMS. */
const texts = (channels: readonly string[]) => channels.includes('sms') || channels.includes('push');

/**
 * Every notification that is texted must fit the carrier's limit (SMS_MAX_CHARS) with what is
 * known when the workflow is saved: its own words, the workflow's name, the attachment link
 * (`attachmentLinkLength` characters: PUBLIC_URL/a/<code>) and the poll; and when it uses
 * `{{inbound_message}}`, leave at least MIN_INBOUND_ROOM characters for it. An issue names
 * `actions.<i>.message`.
 */
export const checkTextLengths = (input: WorkflowInput, attachmentLinkLength: number): FieldIssue[] => {
  const issues: FieldIssue[] = [];
  input.actions.forEach((a, i) => {
    if (a.type !== 'notification' || !texts(a.channels)) return;
    const fixed = fixedSmsLength(a, { fields: { workflow_name: input.name }, attachmentLinkLength });
    const extras = [a.attachmentId ? `the attachment link (${attachmentLinkLength})` : null, a.poll ? 'the poll' : null].filter(Boolean);
    const withWhat = extras.length > 0 ? ` with ${extras.join(' and ')}` : '';
    if (fixed > SMS_MAX_CHARS) {
      issues.push({
        path: `actions.${i}.message`,
        message: `the text is ${fixed} characters${withWhat}; the carrier accepts at most ${SMS_MAX_CHARS}: shorten it by ${fixed - SMS_MAX_CHARS}`,
      });
    } else if (usesInboundMessage(a.message) && SMS_MAX_CHARS - fixed < MIN_INBOUND_ROOM) {
      issues.push({
        path: `actions.${i}.message`,
        message: `the text is ${fixed} characters${withWhat}, leaving ${SMS_MAX_CHARS - fixed} for {{inbound_message}}; `
          + `leave at least ${MIN_INBOUND_ROOM} (shorten it by ${MIN_INBOUND_ROOM - (SMS_MAX_CHARS - fixed)})`,
      });
    }
  });
  return issues;
};
