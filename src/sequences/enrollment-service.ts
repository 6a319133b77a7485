import type { PoolClient } from 'pg';
import { isUuid, withTransaction, type Db } from '../db/db.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { findPlaceholders, missingPlaceholders } from '../templates/templates.js';
import type { Clock } from '../clock.js';
import type { EnrollmentTargetsRepo } from './enrollment-targets-repo.js';
import type { Enrollment, EnrollmentSource, EnrollmentsRepo } from './enrollments-repo.js';
import { definitionTexts, type SequenceDefinition } from './sequence-types.js';
import type { SequencesRepo } from './sequences-repo.js';

/**
 * Enrollment: putting contacts into a sequence (API, API trigger, rules) and taking them out.
 * A contact is in a given sequence at most once at a time (partial unique index on active rows);
 * without `allowReenrollment` a contact who went through it once is not enrolled again.
 * New enrollments are pinned to the sequence's current version and are due at once.
 */
export type EnrollInput = {
  contactIds: string[];
  placeholders?: Record<string, string>;
  context?: Record<string, unknown>;
  source?: EnrollmentSource;
  /** One enrollment per key (single contact only): a repeat returns the first. */
  idempotencyKey?: string;
};

export type SkipReason = 'already_enrolled' | 'previously_enrolled';
export type EnrollResult = { enrolled: Enrollment[]; skipped: Array<{ contactId: string; reason: SkipReason }>; existing: boolean };

export type EnrollmentServiceDeps = {
  db: Db;
  clock: Clock;
  sequences: Pick<SequencesRepo, 'findSequence' | 'findVersion'>;
  enrollments: Pick<EnrollmentsRepo,
    'findEnrollment' | 'findEnrollmentByKey' | 'insertHistory' | 'lockSequenceEnrollments' | 'insertEnrollments' | 'activeContactIds'
    | 'markUnenrolled' | 'unenrollActiveOfContact'>;
  contacts: Pick<EnrollmentTargetsRepo, 'existingContactIds' | 'findContactId'>;
};

export const createEnrollmentService = (deps: EnrollmentServiceDeps) => {
  const { db, clock, enrollments } = deps;

  const enrollTx = async (tx: PoolClient, accountId: string, sequenceId: string, input: EnrollInput): Promise<EnrollResult> => {
    const s = await deps.sequences.findSequence(tx, accountId, sequenceId);
    if (!s) throw new NotFoundError('sequence');
    if (input.idempotencyKey) {
      const prior = await enrollments.findEnrollmentByKey(tx, accountId, input.idempotencyKey);
      if (prior) return { enrolled: [prior], skipped: [], existing: true };
    }
    if (s.status === 'paused') throw new ConflictError('sequence is paused: it takes no new enrollments', 'sequence_paused');
    const v = await deps.sequences.findVersion(tx, s.id, s.currentVersion);
    if (!v) throw new NotFoundError('sequence version');
    const placeholders = input.placeholders ?? {};
    const missing = missingPlaceholders(findPlaceholders(...definitionTexts(v.definition as SequenceDefinition)), placeholders);
    if (missing.length > 0) {
      throw new ValidationError(`missing placeholder values: ${missing.join(', ')}`,
        missing.map((name) => ({ path: `placeholders.${name}`, message: 'is required' })), 'missing_placeholders');
    }
    const ids = [...new Set(input.contactIds)];
    const bad = input.contactIds.map((id, i) => ({ id, i })).filter((x) => !isUuid(x.id));
    if (bad.length) throw new ValidationError('contact ids must be UUIDs', bad.map((x) => ({ path: `contactIds.${x.i}`, message: 'must be a UUID' })));
    const known = await deps.contacts.existingContactIds(tx, accountId, ids);
    const unknown = input.contactIds.map((id, i) => ({ id, i })).filter((x) => !known.has(x.id));
    if (unknown.length) throw new ValidationError('unknown contacts', unknown.slice(0, 50).map((x) => ({ path: `contactIds.${x.i}`, message: 'no such contact in this account' })));

    // Serialise enrollments of one sequence so the "never enrolled before" check cannot race.
    await enrollments.lockSequenceEnrollments(tx, s.id);
    const now = clock.now();
    const enrolled = await enrollments.insertEnrollments(tx, {
      accountId, sequenceId: s.id, versionId: v.id, version: v.version, contactIds: ids, source: input.source ?? 'api', now,
      placeholders, context: input.context ?? {}, idempotencyKey: input.idempotencyKey ?? null, allowReenrollment: s.allowReenrollment,
    });
    const got = new Set(enrolled.map((e) => e.contactId));
    const rest = ids.filter((id) => !got.has(id));
    let skipped: EnrollResult['skipped'] = [];
    if (rest.length) {
      const active = await enrollments.activeContactIds(tx, s.id, rest);
      skipped = rest.map((contactId) => ({ contactId, reason: active.has(contactId) ? 'already_enrolled' : 'previously_enrolled' }));
    }
    await enrollments.insertHistory(tx, enrolled.map((e) => ({
      accountId, sequenceId: s.id, enrollmentId: e.id, contactId: e.contactId, version: e.version, stepId: null, kind: 'enrolled',
      detail: { source: e.source, ...(input.context ? { context: input.context } : {}) }, at: now,
    })));
    return { enrolled, skipped, existing: false };
  };

  /** Enrolls one or many contacts (all must exist in the account; bad input writes nothing). */
  const enroll = (accountId: string, sequenceId: string, input: EnrollInput): Promise<EnrollResult> => {
    if (input.idempotencyKey && input.contactIds.length !== 1) throw ValidationError.field('contactIds', 'an idempotent trigger enrolls exactly one contact');
    return withTransaction(db, (tx) => enrollTx(tx, accountId, sequenceId, input));
  };

  /** API trigger: finds the contact by id, phone or e-mail and enrolls it, idempotent on the key. */
  const trigger = async (accountId: string, sequenceId: string, input: {
    contactId?: string; phone?: string; email?: string; placeholders?: Record<string, string>; context?: Record<string, unknown>; idempotencyKey?: string;
  }): Promise<EnrollResult> => {
    const id = await deps.contacts.findContactId(db, accountId, input);
    if (!id) throw new NotFoundError('contact');
    return enroll(accountId, sequenceId, { contactIds: [id], placeholders: input.placeholders, context: input.context, source: 'trigger', idempotencyKey: input.idempotencyKey });
  };

  /**
   * For the rule engine (its `RuleSequences` port): enrolls a contact because a rule fired.
   * Idempotent on (rule, event); at most one active enrollment per contact and sequence (the
   * partial unique index, under the per-sequence lock), so two evaluations racing enroll once.
   * A contact already (or previously) in the sequence, or a paused or archived sequence, is an
   * outcome, not an error; missing placeholder values still throw (400).
   */
  const enrollByRule = async (input: { accountId: string; sequenceId: string; contactId: string; ruleId: string; eventId: string; placeholders?: Record<string, string> }):
    Promise<{ enrolled: true; enrollmentId: string } | { enrolled: false; reason: SkipReason | 'sequence_paused' | 'sequence_archived' }> => {
    try {
      const r = await enroll(input.accountId, input.sequenceId, {
        contactIds: [input.contactId], placeholders: input.placeholders, source: 'rule',
        context: { ruleId: input.ruleId, eventId: input.eventId }, idempotencyKey: `rule:${input.ruleId}:${input.eventId}`,
      });
      return r.enrolled[0] ? { enrolled: true, enrollmentId: r.enrolled[0].id } : { enrolled: false, reason: r.skipped[0]?.reason ?? 'already_enrolled' };
    } catch (err) {
      if (err instanceof ConflictError && err.code === 'sequence_paused') return { enrolled: false, reason: 'sequence_paused' };
      // findSequence skips archived (deleted) sequences: gone or archived both refuse the same way.
      if (err instanceof NotFoundError) return { enrolled: false, reason: 'sequence_archived' };
      throw err;
    }
  };

  /** For the rule engine: ends the contact's active enrollment in the sequence; `{ unenrolled: false }` when it has none. */
  const unenrollByRule = async (input: { accountId: string; sequenceId: string; contactId: string; ruleId: string }):
    Promise<{ unenrolled: true; enrollmentId: string } | { unenrolled: false; reason: 'not_enrolled' }> =>
    withTransaction(db, async (tx) => {
      const now = clock.now();
      const e = await enrollments.unenrollActiveOfContact(tx, input.accountId, input.sequenceId, input.contactId, 'rule', now);
      if (!e) return { unenrolled: false, reason: 'not_enrolled' };
      await enrollments.insertHistory(tx, [{
        accountId: input.accountId, sequenceId: e.sequenceId, enrollmentId: e.id, contactId: e.contactId, version: e.version, stepId: e.stepId,
        kind: 'unenrolled', detail: { reason: 'rule', ruleId: input.ruleId }, at: now,
      }]);
      return { unenrolled: true, enrollmentId: e.id };
    });

  /** Takes a contact out of a sequence now; nothing more is sent. Ended enrollments are a 409. */
  const unenroll = async (accountId: string, sequenceId: string, enrollmentId: string, reason = 'api'): Promise<Enrollment> =>
    withTransaction(db, async (tx) => {
      const e = await enrollments.findEnrollment(tx, accountId, enrollmentId, true);
      if (!e || e.sequenceId !== sequenceId) throw new NotFoundError('enrollment');
      if (e.status !== 'active') throw new ConflictError(`enrollment is already ${e.status}`, 'enrollment_ended');
      const now = clock.now();
      const ended = await enrollments.markUnenrolled(tx, e.id, reason, now);
      await enrollments.insertHistory(tx, [{ accountId, sequenceId, enrollmentId: e.id, contactId: e.contactId, version: e.version, stepId: e.stepId, kind: 'unenrolled', detail: { reason }, at: now }]);
      return ended;
    });

  return { enroll, trigger, enrollByRule, unenrollByRule, unenroll };
};
export type EnrollmentService = ReturnType<typeof createEnrollmentService>;
