import type { OptOutListener } from '../telephony/sms-keywords.js';
import type { Clock } from '../clock.js';
import type { EnrollmentsRepo } from './enrollments-repo.js';

/** The exit reason stored on an enrollment a carrier opt-out ended (as the `opted_out` exit's). */
export const OPT_OUT_REASON = 'opted_out';

export type SequenceOptOutDeps = { clock: Clock; enrollments: Pick<EnrollmentsRepo, 'exitActiveForPhone' | 'insertHistory'> };

/**
 * A carrier opt-out (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) ends every active enrollment
 * of the contacts with that number in that account at once, in the opt-out's transaction:
 * status `exited`, `exitReason: opted_out`, and an `exited` history row naming the keyword, as
 * status and event exits are recorded. Not waiting for the next step to come due means the
 * enrollment shows as ended right away and nothing more is sent on any channel. Idempotent: an
 * enrollment already ended is left as it is.
 */
export const createSequenceOptOutListener = (deps: SequenceOptOutDeps): OptOutListener => ({
  name: 'sequences',
  async onOptOut(tx, o) {
    const now = deps.clock.now();
    const ended = await deps.enrollments.exitActiveForPhone(tx, o.accountId, o.phone, OPT_OUT_REASON, now);
    await deps.enrollments.insertHistory(tx, ended.map((e) => ({
      accountId: e.accountId, sequenceId: e.sequenceId, enrollmentId: e.id, contactId: e.contactId, version: e.version,
      stepId: e.stepId, kind: 'exited', detail: { reason: OPT_OUT_REASON, keyword: o.keyword }, at: now,
    })));
  },
});
