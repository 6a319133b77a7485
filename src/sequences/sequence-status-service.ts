import type { Db } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { EnrollmentStatusRepo } from './enrollment-status-repo.js';
import type { Enrollment, EnrollmentStatus, HistoryEntry } from './enrollments-repo.js';
import type { SequencesRepo } from './sequences-repo.js';

/**
 * Read side of sequences: where each contact is (step, next run time, history), counts per step,
 * and the execution history (read and purge). Everything is scoped by account.
 */
export type EnrollmentView = Enrollment & { sequenceName?: string; history?: HistoryEntry[] };
export type Page<T> = { data: T[]; nextCursor: string | null };

const encode = (t: Date, id: string) => Buffer.from(JSON.stringify({ t: t.toISOString(), id })).toString('base64url');
const decode = (c: string): { t: string; id: string } => {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (typeof v.t === 'string' && typeof v.id === 'string' && !Number.isNaN(Date.parse(v.t))) return v;
  } catch { /* fall through */ }
  throw ValidationError.field('cursor', 'is not a cursor returned by this list');
};

export type SequenceStatusServiceDeps = {
  db: Db;
  sequences: Pick<SequencesRepo, 'findSequence'>;
  status: Pick<EnrollmentStatusRepo,
    'historyOf' | 'listEnrollmentsPage' | 'findSequenceEnrollment' | 'contactExists' | 'contactEnrollments' | 'enrollmentCounts' | 'listHistory' | 'purgeHistory'>;
};

export const createSequenceStatusService = (deps: SequenceStatusServiceDeps) => {
  const { db, status: repo } = deps;
  const mustExist = async (accountId: string, sequenceId: string) => {
    if (!(await deps.sequences.findSequence(db, accountId, sequenceId))) throw new NotFoundError('sequence');
  };

  const historyOf = (enrollmentIds: string[], perEnrollment = 50): Promise<Map<string, HistoryEntry[]>> => repo.historyOf(db, enrollmentIds, perEnrollment);

  const listEnrollments = async (accountId: string, sequenceId: string, q: { status?: EnrollmentStatus; stepId?: string; contactId?: string; limit: number; cursor?: string }): Promise<Page<Enrollment>> => {
    await mustExist(accountId, sequenceId);
    const rows = await repo.listEnrollmentsPage(db, accountId, sequenceId, q, q.limit + 1, q.cursor ? decode(q.cursor) : undefined);
    const more = rows.length > q.limit;
    const data = more ? rows.slice(0, q.limit) : rows;
    const last = data[data.length - 1];
    return { data, nextCursor: more && last ? encode(last.enrolledAt, last.id) : null };
  };

  const getEnrollment = async (accountId: string, sequenceId: string, enrollmentId: string): Promise<EnrollmentView> => {
    const e = await repo.findSequenceEnrollment(db, accountId, sequenceId, enrollmentId);
    if (!e) throw new NotFoundError('enrollment');
    return { ...e, history: (await historyOf([e.id], 500)).get(e.id) ?? [] };
  };

  /** Every sequence the contact is or was in: step, next run time and recent history. */
  const contactStatus = async (accountId: string, contactId: string): Promise<EnrollmentView[]> => {
    if (!(await repo.contactExists(db, accountId, contactId))) throw new NotFoundError('contact');
    const rows = await repo.contactEnrollments(db, accountId, contactId);
    const history = await historyOf(rows.map((r) => r.id));
    return rows.map((r) => ({ ...r, history: history.get(r.id) ?? [] }));
  };

  /** Counts by status, and for active enrollments by version, step and what they wait for. */
  const stats = async (accountId: string, sequenceId: string) => {
    await mustExist(accountId, sequenceId);
    const counts = await repo.enrollmentCounts(db, sequenceId);
    const statuses: Record<EnrollmentStatus, number> = { active: 0, completed: 0, exited: 0, unenrolled: 0, failed: 0 };
    for (const r of counts.byStatus) statuses[r.status] = r.count;
    return {
      byStatus: statuses,
      total: Object.values(statuses).reduce((a, b) => a + b, 0),
      activeBySteps: counts.activeBySteps,
    };
  };

  const history = async (accountId: string, sequenceId: string, q: { enrollmentId?: string; contactId?: string; kind?: string; stepId?: string; limit: number; afterId?: number }): Promise<{ data: HistoryEntry[]; nextAfterId: number | null }> => {
    await mustExist(accountId, sequenceId);
    const rows = await repo.listHistory(db, accountId, sequenceId, q, q.limit + 1, q.afterId);
    const more = rows.length > q.limit;
    const data = more ? rows.slice(0, q.limit) : rows;
    return { data, nextAfterId: more ? data[data.length - 1]!.id : null };
  };

  /** Deletes execution history (older than `before`, of one enrollment, or all); returns the count. */
  const purgeHistory = async (accountId: string, sequenceId: string, q: { before?: Date; enrollmentId?: string }): Promise<number> => {
    await mustExist(accountId, sequenceId);
    return repo.purgeHistory(db, accountId, sequenceId, q);
  };

  return { listEnrollments, getEnrollment, contactStatus, stats, history, purgeHistory };
};
export type SequenceStatusService = ReturnType<typeof createSequenceStatusService>;
