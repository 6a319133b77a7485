import type { Queryable } from '../db/db.js';
import { contactExists } from '../contacts/contacts-repo.js';
import { toEnrollment, toHistory, type Enrollment, type EnrollmentStatus, type HistoryEntry } from './enrollments-repo.js';

/** Read side of enrollments and their history (the status API), scoped by account and sequence. */

/** The last `perEnrollment` history entries of each enrollment, oldest first. */
export const historyOf = async (q: Queryable, enrollmentIds: string[], perEnrollment: number): Promise<Map<string, HistoryEntry[]>> => {
  const out = new Map<string, HistoryEntry[]>();
  if (enrollmentIds.length === 0) return out;
  const res = await q.query(
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

export type EnrollmentFilter = { status?: EnrollmentStatus; stepId?: string; contactId?: string };

/** Up to `limit` enrollments by enrolment time, after the (time, id) key `after`. */
export const listEnrollmentsPage = async (
  q: Queryable, accountId: string, sequenceId: string, f: EnrollmentFilter, limit: number, after?: { t: string; id: string },
): Promise<Enrollment[]> => {
  const params: unknown[] = [accountId, sequenceId];
  let where = 'account_id = $1 AND sequence_id = $2';
  if (f.status) { params.push(f.status); where += ` AND status = $${params.length}`; }
  if (f.stepId) { params.push(f.stepId); where += ` AND step_id = $${params.length}`; }
  if (f.contactId) { params.push(f.contactId); where += ` AND contact_id = $${params.length}`; }
  if (after) {
    params.push(after.t, after.id);
    where += ` AND (enrolled_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(limit);
  const res = await q.query(`SELECT * FROM sequence_enrollments WHERE ${where} ORDER BY enrolled_at, id LIMIT $${params.length}`, params);
  return res.rows.map(toEnrollment);
};

export const findSequenceEnrollment = async (q: Queryable, accountId: string, sequenceId: string, id: string): Promise<Enrollment | null> => {
  const res = await q.query('SELECT * FROM sequence_enrollments WHERE account_id = $1 AND sequence_id = $2 AND id = $3', [accountId, sequenceId, id]);
  return res.rows[0] ? toEnrollment(res.rows[0]) : null;
};

/** Every enrollment of the contact (active first, then newest) with its sequence's name. */
export const contactEnrollments = async (q: Queryable, accountId: string, contactId: string): Promise<Array<Enrollment & { sequenceName: string }>> => {
  const res = await q.query(
    `SELECT e.*, s.name AS sequence_name FROM sequence_enrollments e JOIN sequences s ON s.id = e.sequence_id
      WHERE e.account_id = $1 AND e.contact_id = $2 ORDER BY (e.status = 'active') DESC, e.enrolled_at DESC, e.id`,
    [accountId, contactId],
  );
  return res.rows.map((r) => ({ ...toEnrollment(r), sequenceName: r.sequence_name }));
};

/** Enrollments per status, and active ones per version, step and what they wait for. */
export const enrollmentCounts = async (q: Queryable, sequenceId: string) => {
  const [byStatus, bySteps] = await Promise.all([
    q.query('SELECT status, count(*)::int AS n FROM sequence_enrollments WHERE sequence_id = $1 GROUP BY status', [sequenceId]),
    q.query(
      `SELECT version, step_id, waiting, count(*)::int AS n FROM sequence_enrollments
        WHERE sequence_id = $1 AND status = 'active' GROUP BY version, step_id, waiting ORDER BY version, step_id, waiting`,
      [sequenceId],
    ),
  ]);
  return {
    byStatus: byStatus.rows.map((r) => ({ status: r.status as EnrollmentStatus, count: r.n as number })),
    activeBySteps: bySteps.rows.map((r) => ({ version: r.version as number, stepId: r.step_id as string | null, waiting: r.waiting as string, count: r.n as number })),
  };
};

export type HistoryFilter = { enrollmentId?: string; contactId?: string; kind?: string; stepId?: string };

/** Up to `limit` history entries by id, after `afterId`. */
export const listHistory = async (q: Queryable, accountId: string, sequenceId: string, f: HistoryFilter, limit: number, afterId?: number): Promise<HistoryEntry[]> => {
  const params: unknown[] = [accountId, sequenceId];
  let where = 'account_id = $1 AND sequence_id = $2';
  if (f.enrollmentId) { params.push(f.enrollmentId); where += ` AND enrollment_id = $${params.length}`; }
  if (f.contactId) { params.push(f.contactId); where += ` AND contact_id = $${params.length}`; }
  if (f.kind) { params.push(f.kind); where += ` AND kind = $${params.length}`; }
  if (f.stepId) { params.push(f.stepId); where += ` AND step_id = $${params.length}`; }
  if (afterId) { params.push(afterId); where += ` AND id > $${params.length}`; }
  params.push(limit);
  const res = await q.query(`SELECT * FROM sequence_history WHERE ${where} ORDER BY id LIMIT $${params.length}`, params);
  return res.rows.map(toHistory);
};

/** Deletes history older than `before`, of one enrollment, or all; the count. */
export const purgeHistory = async (q: Queryable, accountId: string, sequenceId: string, f: { before?: Date; enrollmentId?: string }): Promise<number> => {
  const params: unknown[] = [accountId, sequenceId];
  let where = 'account_id = $1 AND sequence_id = $2';
  if (f.before) { params.push(f.before); where += ` AND created_at < $${params.length}`; }
  if (f.enrollmentId) { params.push(f.enrollmentId); where += ` AND enrollment_id = $${params.length}`; }
  const res = await q.query(`DELETE FROM sequence_history WHERE ${where}`, params);
  return res.rowCount ?? 0;
};

export const enrollmentStatusRepo = {
  historyOf, listEnrollmentsPage, findSequenceEnrollment, contactExists, contactEnrollments, enrollmentCounts, listHistory, purgeHistory,
};
export type EnrollmentStatusRepo = typeof enrollmentStatusRepo;
