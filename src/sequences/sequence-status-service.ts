import type { Db } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { toEnrollment, toHistory, type Enrollment, type EnrollmentStatus, type HistoryEntry } from './enrollments-repo.js';
import { findSequence } from './sequences-repo.js';

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

export type SequenceStatusServiceDeps = { db: Db };

export const createSequenceStatusService = (deps: SequenceStatusServiceDeps) => {
  const { db } = deps;
  const mustExist = async (accountId: string, sequenceId: string) => {
    if (!(await findSequence(db, accountId, sequenceId))) throw new NotFoundError('sequence');
  };

  const historyOf = async (enrollmentIds: string[], perEnrollment = 50): Promise<Map<string, HistoryEntry[]>> => {
    const out = new Map<string, HistoryEntry[]>();
    if (enrollmentIds.length === 0) return out;
    const res = await db.query(
      `SELECT * FROM (SELECT h.*, row_number() OVER (PARTITION BY enrollment_id ORDER BY id DESC) AS rn
                        FROM sequence_history h WHERE enrollment_id = ANY($1::uuid[])) x
        WHERE rn <= $2 ORDER BY id`,
      [enrollmentIds, perEnrollment],
    );
    for (const r of res.rows) {
      const list = out.get(r.enrollment_id) ?? [];
      list.push(toHistory(r));
      out.set(r.enrollment_id, list);
    }
    return out;
  };

  const listEnrollments = async (accountId: string, sequenceId: string, q: { status?: EnrollmentStatus; stepId?: string; contactId?: string; limit: number; cursor?: string }): Promise<Page<Enrollment>> => {
    await mustExist(accountId, sequenceId);
    const params: unknown[] = [accountId, sequenceId];
    let where = 'account_id = $1 AND sequence_id = $2';
    if (q.status) { params.push(q.status); where += ` AND status = $${params.length}`; }
    if (q.stepId) { params.push(q.stepId); where += ` AND step_id = $${params.length}`; }
    if (q.contactId) { params.push(q.contactId); where += ` AND contact_id = $${params.length}`; }
    if (q.cursor) {
      const c = decode(q.cursor);
      params.push(c.t, c.id);
      where += ` AND (enrolled_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(q.limit + 1);
    const res = await db.query(`SELECT * FROM sequence_enrollments WHERE ${where} ORDER BY enrolled_at, id LIMIT $${params.length}`, params);
    const rows = res.rows.map(toEnrollment);
    const more = rows.length > q.limit;
    const data = more ? rows.slice(0, q.limit) : rows;
    const last = data[data.length - 1];
    return { data, nextCursor: more && last ? encode(last.enrolledAt, last.id) : null };
  };

  const getEnrollment = async (accountId: string, sequenceId: string, enrollmentId: string): Promise<EnrollmentView> => {
    const res = await db.query('SELECT * FROM sequence_enrollments WHERE account_id = $1 AND sequence_id = $2 AND id = $3', [accountId, sequenceId, enrollmentId]);
    if (!res.rows[0]) throw new NotFoundError('enrollment');
    const e = toEnrollment(res.rows[0]);
    return { ...e, history: (await historyOf([e.id], 500)).get(e.id) ?? [] };
  };

  /** Every sequence the contact is or was in: step, next run time and recent history. */
  const contactStatus = async (accountId: string, contactId: string): Promise<EnrollmentView[]> => {
    const c = await db.query('SELECT 1 FROM contacts WHERE account_id = $1 AND id = $2', [accountId, contactId]);
    if (!c.rows[0]) throw new NotFoundError('contact');
    const res = await db.query(
      `SELECT e.*, s.name AS sequence_name FROM sequence_enrollments e JOIN sequences s ON s.id = e.sequence_id
        WHERE e.account_id = $1 AND e.contact_id = $2 ORDER BY (e.status = 'active') DESC, e.enrolled_at DESC, e.id`,
      [accountId, contactId],
    );
    const history = await historyOf(res.rows.map((r) => r.id));
    return res.rows.map((r) => ({ ...toEnrollment(r), sequenceName: r.sequence_name, history: history.get(r.id) ?? [] }));
  };

  /** Counts by status, and for active enrollments by version, step and what they wait for. */
  const stats = async (accountId: string, sequenceId: string) => {
    await mustExist(accountId, sequenceId);
    const [byStatus, bySteps] = await Promise.all([
      db.query('SELECT status, count(*)::int AS n FROM sequence_enrollments WHERE sequence_id = $1 GROUP BY status', [sequenceId]),
      db.query(
        `SELECT version, step_id, waiting, count(*)::int AS n FROM sequence_enrollments
          WHERE sequence_id = $1 AND status = 'active' GROUP BY version, step_id, waiting ORDER BY version, step_id, waiting`,
        [sequenceId],
      ),
    ]);
    const statuses: Record<EnrollmentStatus, number> = { active: 0, completed: 0, exited: 0, unenrolled: 0, failed: 0 };
    for (const r of byStatus.rows) statuses[r.status as EnrollmentStatus] = r.n;
    return {
      byStatus: statuses,
      total: Object.values(statuses).reduce((a, b) => a + b, 0),
      activeBySteps: bySteps.rows.map((r) => ({ version: r.version as number, stepId: r.step_id as string | null, waiting: r.waiting as string, count: r.n as number })),
    };
  };

  const history = async (accountId: string, sequenceId: string, q: { enrollmentId?: string; contactId?: string; kind?: string; stepId?: string; limit: number; afterId?: number }): Promise<{ data: HistoryEntry[]; nextAfterId: number | null }> => {
    await mustExist(accountId, sequenceId);
    const params: unknown[] = [accountId, sequenceId];
    let where = 'account_id = $1 AND sequence_id = $2';
    if (q.enrollmentId) { params.push(q.enrollmentId); where += ` AND enrollment_id = $${params.length}`; }
    if (q.contactId) { params.push(q.contactId); where += ` AND contact_id = $${params.length}`; }
    if (q.kind) { params.push(q.kind); where += ` AND kind = $${params.length}`; }
    if (q.stepId) { params.push(q.stepId); where += ` AND step_id = $${params.length}`; }
    if (q.afterId) { params.push(q.afterId); where += ` AND id > $${params.length}`; }
    params.push(q.limit + 1);
    const res = await db.query(`SELECT * FROM sequence_history WHERE ${where} ORDER BY id LIMIT $${params.length}`, params);
    const rows = res.rows.map(toHistory);
    const more = rows.length > q.limit;
    const data = more ? rows.slice(0, q.limit) : rows;
    return { data, nextAfterId: more ? data[data.length - 1]!.id : null };
  };

  /** Deletes execution history (older than `before`, of one enrollment, or all); returns the count. */
  const purgeHistory = async (accountId: string, sequenceId: string, q: { before?: Date; enrollmentId?: string }): Promise<number> => {
    await mustExist(accountId, sequenceId);
    const params: unknown[] = [accountId, sequenceId];
    let where = 'account_id = $1 AND sequence_id = $2';
    if (q.before) { params.push(q.before); where += ` AND created_at < $${params.length}`; }
    if (q.enrollmentId) { params.push(q.enrollmentId); where += ` AND enrollment_id = $${params.length}`; }
    const res = await db.query(`DELETE FROM sequence_history WHERE ${where}`, params);
    return res.rowCount ?? 0;
  };

  return { listEnrollments, getEnrollment, contactStatus, stats, history, purgeHistory };
};
export type SequenceStatusService = ReturnType<typeof createSequenceStatusService>;
