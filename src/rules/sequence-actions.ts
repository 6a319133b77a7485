import type { DomainEvent } from '../events/event-types.js';
import { fillFields } from '../templates/templates.js';
import { templateFields, type ContactSnapshot } from './fields.js';
import type { RuleAction } from './rule-types.js';

/**
 * Port: what the rule engine asks of sequences (implemented by src/sequences' enrollment
 * service, wired in main.ts). `enroll` is idempotent on (rule, event) and enrolls a contact at
 * most once at a time per sequence, also when two evaluations race (unique constraint); a
 * contact already in it, or a paused or archived sequence, is a result with a reason, not an
 * error. Missing placeholder values throw a 4xx AppError (the action fails, not retried).
 */
export type RuleSequences = {
  enrollByRule(input: { accountId: string; sequenceId: string; contactId: string; ruleId: string; eventId: string; placeholders?: Record<string, string> }):
    Promise<{ enrolled: true; enrollmentId: string } | { enrolled: false; reason: string }>;
  unenrollByRule(input: { accountId: string; sequenceId: string; contactId: string; ruleId: string }):
    Promise<{ unenrolled: true; enrollmentId: string } | { unenrolled: false; reason: string }>;
};

/** How a sequence action ended, for the pending row and the rule log. */
export type SequenceActionResult = {
  status: 'done' | 'skipped';
  /** executed | no_op (already enrolled, not enrolled) | refused (paused or archived sequence) | skipped (no contact). */
  outcome: 'executed' | 'no_op' | 'refused' | 'skipped';
  detail: Record<string, unknown>;
};

const refusals = new Set(['sequence_paused', 'sequence_archived']);

/** Runs `enroll_sequence` / `unenroll_sequence` for the rule's contact. */
export const runSequenceAction = async (
  port: RuleSequences, input: { accountId: string; ruleId: string; eventId: string; action: RuleAction; contact: ContactSnapshot | null; event: DomainEvent | null },
): Promise<SequenceActionResult> => {
  const { action: a, contact } = input;
  if (a.type !== 'enroll_sequence' && a.type !== 'unenroll_sequence') throw new Error(`${a.type} is not a sequence action`);
  if (!contact) return { status: 'skipped', outcome: 'skipped', detail: { reason: 'no_contact', sequenceId: a.sequenceId } };
  const base = { accountId: input.accountId, sequenceId: a.sequenceId, contactId: contact.id, ruleId: input.ruleId };
  if (a.type === 'unenroll_sequence') {
    const r = await port.unenrollByRule(base);
    return r.unenrolled
      ? { status: 'done', outcome: 'executed', detail: { sequenceId: a.sequenceId, enrollmentId: r.enrollmentId, unenrolled: true } }
      : { status: 'done', outcome: 'no_op', detail: { sequenceId: a.sequenceId, reason: r.reason } };
  }
  const fields = templateFields(contact, input.event);
  const placeholders = Object.fromEntries(Object.entries(a.placeholders).map(([k, v]) => [k, fillFields(v, fields)]));
  const r = await port.enrollByRule({ ...base, eventId: input.eventId, placeholders });
  if (r.enrolled) return { status: 'done', outcome: 'executed', detail: { sequenceId: a.sequenceId, enrollmentId: r.enrollmentId, enrolled: true } };
  if (refusals.has(r.reason)) return { status: 'skipped', outcome: 'refused', detail: { sequenceId: a.sequenceId, reason: r.reason } };
  return { status: 'done', outcome: 'no_op', detail: { sequenceId: a.sequenceId, reason: r.reason } };
};
