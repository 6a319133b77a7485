import type { Queryable } from '../db/db.js';

/** One contact's run through one sequence version. */
export type Enrollment = {
  id: string;
  accountId: string;
  sequenceId: string;
  versionId: string;
  version: number;
  contactId: string;
  status: EnrollmentStatus;
  source: EnrollmentSource;
  stepIndex: number;
  stepId: string | null;
  waiting: Waiting;
  stepEnteredAt: Date;
  waitUntil: Date | null;
  nextRunAt: Date | null;
  attempts: number;
  placeholders: Record<string, string>;
  state: EnrollmentState;
  context: Record<string, unknown>;
  exitReason: string | null;
  error: string | null;
  enrolledAt: Date;
  endedAt: Date | null;
};
export type EnrollmentStatus = 'active' | 'completed' | 'exited' | 'unenrolled' | 'failed';
export type EnrollmentSource = 'api' | 'rule' | 'trigger' | 'template';
export type Waiting = 'ready' | 'delay' | 'branch' | 'quiet_hours' | 'retry' | 'none';
/**
 * `ran`: when each step was last entered (ISO), for branches' "since step X"; `sent`: the
 * e-mail delivery each email send step queued, for "opened e-mail" branches and exits.
 */
export type EnrollmentState = { ran?: Record<string, string>; sent?: Record<string, string> };

export type HistoryEntry = {
  id: number;
  enrollmentId: string;
  sequenceId: string;
  contactId: string | null;
  version: number;
  stepId: string | null;
  kind: string;
  detail: Record<string, unknown>;
  at: Date;
};
export type NewHistory = Omit<HistoryEntry, 'id'> & { accountId: string };

type Row = Record<string, any>;

export const toEnrollment = (r: Row): Enrollment => ({
  id: r.id, accountId: r.account_id, sequenceId: r.sequence_id, versionId: r.version_id, version: r.version, contactId: r.contact_id,
  status: r.status, source: r.source, stepIndex: r.step_index, stepId: r.step_id, waiting: r.waiting, stepEnteredAt: r.step_entered_at,
  waitUntil: r.wait_until, nextRunAt: r.next_run_at, attempts: r.attempts, placeholders: r.placeholders ?? {}, state: r.state ?? {},
  context: r.context ?? {}, exitReason: r.exit_reason, error: r.error, enrolledAt: r.enrolled_at, endedAt: r.ended_at,
});

export const toHistory = (r: Row): HistoryEntry => ({
  id: Number(r.id), enrollmentId: r.enrollment_id, sequenceId: r.sequence_id, contactId: r.contact_id, version: r.version,
  stepId: r.step_id, kind: r.kind, detail: r.detail ?? {}, at: r.created_at,
});

/** Many history rows in one statement. */
export const insertHistory = async (q: Queryable, rows: NewHistory[]): Promise<void> => {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO sequence_history (account_id, sequence_id, enrollment_id, contact_id, version, step_id, kind, detail, created_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::jsonb[], $9::timestamptz[])`,
    [rows.map((r) => r.accountId), rows.map((r) => r.sequenceId), rows.map((r) => r.enrollmentId), rows.map((r) => r.contactId),
      rows.map((r) => r.version), rows.map((r) => r.stepId), rows.map((r) => r.kind), rows.map((r) => JSON.stringify(r.detail)), rows.map((r) => r.at)],
  );
};

/** The fields the engine changes after running an enrollment. */
export type EnrollmentUpdate = Pick<Enrollment, 'id' | 'status' | 'stepIndex' | 'stepId' | 'waiting' | 'stepEnteredAt' | 'waitUntil' | 'nextRunAt' | 'attempts' | 'state' | 'exitReason' | 'error' | 'endedAt'>;

/** Writes many engine results in one statement (rows are locked by the caller's claim). */
export const applyUpdates = async (q: Queryable, rows: EnrollmentUpdate[], now: Date): Promise<void> => {
  if (rows.length === 0) return;
  await q.query(
    `UPDATE sequence_enrollments e SET status = u.status, step_index = u.step_index, step_id = u.step_id, waiting = u.waiting,
            step_entered_at = u.step_entered_at, wait_until = u.wait_until, next_run_at = u.next_run_at, attempts = u.attempts,
            state = u.state, exit_reason = u.exit_reason, error = u.error, ended_at = u.ended_at, updated_at = $14
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[],
                   $9::int[], $10::jsonb[], $11::text[], $12::text[], $13::timestamptz[])
            AS u(id, status, step_index, step_id, waiting, step_entered_at, wait_until, next_run_at, attempts, state, exit_reason, error, ended_at)
      WHERE e.id = u.id`,
    [rows.map((r) => r.id), rows.map((r) => r.status), rows.map((r) => r.stepIndex), rows.map((r) => r.stepId), rows.map((r) => r.waiting),
      rows.map((r) => r.stepEnteredAt), rows.map((r) => r.waitUntil), rows.map((r) => r.nextRunAt), rows.map((r) => r.attempts),
      rows.map((r) => JSON.stringify(r.state)), rows.map((r) => r.exitReason), rows.map((r) => r.error), rows.map((r) => r.endedAt), now],
  );
};

/**
 * Claims up to `limit` active enrollments due at `now`, oldest first, locking them for the
 * caller's transaction; rows another process holds are skipped, never waited for.
 */
export const claimDue = async (q: Queryable, now: Date, limit: number): Promise<Enrollment[]> => {
  const res = await q.query(
    `SELECT * FROM sequence_enrollments WHERE status = 'active' AND next_run_at <= $1
      ORDER BY next_run_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return res.rows.map(toEnrollment);
};

export const findEnrollment = async (q: Queryable, accountId: string, id: string, lock = false): Promise<Enrollment | null> => {
  const res = await q.query(`SELECT * FROM sequence_enrollments WHERE account_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [accountId, id]);
  return res.rows[0] ? toEnrollment(res.rows[0]) : null;
};

/**
 * Ends, now, every active enrollment of the account's contacts with this phone number (an
 * opt-out): status `exited` with `reason`. Rows the runner holds are waited for, then re-checked,
 * so an enrollment the runner just completed stays completed. Returns the enrollments ended.
 */
export const exitActiveForPhone = async (q: Queryable, accountId: string, phone: string, reason: string, now: Date): Promise<Enrollment[]> => {
  const res = await q.query(
    `UPDATE sequence_enrollments e SET status = 'exited', waiting = 'none', next_run_at = NULL, wait_until = NULL,
            exit_reason = $3, ended_at = $4, updated_at = $4
      WHERE e.account_id = $1 AND e.status = 'active'
        AND e.contact_id IN (SELECT c.id FROM contacts c WHERE c.account_id = $1 AND c.phone = $2)
      RETURNING e.*`,
    [accountId, phone, reason, now],
  );
  return res.rows.map(toEnrollment);
};

/** Ends the contact's active enrollment in the sequence as `unenrolled` (locked by the UPDATE); null when none is active. */
export const unenrollActiveOfContact = async (q: Queryable, accountId: string, sequenceId: string, contactId: string, reason: string, now: Date): Promise<Enrollment | null> => {
  const res = await q.query(
    `UPDATE sequence_enrollments SET status = 'unenrolled', waiting = 'none', next_run_at = NULL, ended_at = $4, exit_reason = $5, updated_at = $4
      WHERE account_id = $1 AND sequence_id = $2 AND contact_id = $3 AND status = 'active' RETURNING *`,
    [accountId, sequenceId, contactId, now, reason],
  );
  return res.rows[0] ? toEnrollment(res.rows[0]) : null;
};

/** The enrollment an idempotent trigger made with this key, if any. */
export const findEnrollmentByKey = async (q: Queryable, accountId: string, key: string): Promise<Enrollment | null> => {
  const res = await q.query('SELECT * FROM sequence_enrollments WHERE account_id = $1 AND idempotency_key = $2', [accountId, key]);
  return res.rows[0] ? toEnrollment(res.rows[0]) : null;
};

/** Serialises enrollments of one sequence until the transaction ends (the "never enrolled before" check cannot race). */
export const lockSequenceEnrollments = async (q: Queryable, sequenceId: string): Promise<void> => {
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sequence-enroll:${sequenceId}`]);
};

export type NewEnrollments = {
  accountId: string; sequenceId: string; versionId: string; version: number; contactIds: string[]; source: EnrollmentSource; now: Date;
  placeholders: Record<string, string>; context: Record<string, unknown>; idempotencyKey: string | null; allowReenrollment: boolean;
};

/**
 * Enrolls the contacts, due at `now`: a contact already active in the sequence (partial unique
 * index), or — without `allowReenrollment` — ever enrolled in it, is left out. The new rows.
 */
export const insertEnrollments = async (q: Queryable, n: NewEnrollments): Promise<Enrollment[]> => {
  const res = await q.query(
    `INSERT INTO sequence_enrollments (account_id, sequence_id, version_id, version, contact_id, source, step_id, next_run_at,
                                       placeholders, context, idempotency_key, enrolled_at, step_entered_at, updated_at)
     SELECT $1, $2, $3, $4, c.id, $5, NULL, $6, $7, $8, $9, $6, $6, $6 FROM unnest($10::uuid[]) AS c(id)
      WHERE $11::boolean OR NOT EXISTS (SELECT 1 FROM sequence_enrollments p WHERE p.sequence_id = $2 AND p.contact_id = c.id)
     ON CONFLICT (sequence_id, contact_id) WHERE status = 'active' DO NOTHING
     RETURNING *`,
    [n.accountId, n.sequenceId, n.versionId, n.version, n.source, n.now, JSON.stringify(n.placeholders), JSON.stringify(n.context),
      n.idempotencyKey, n.contactIds, n.allowReenrollment],
  );
  return res.rows.map(toEnrollment);
};

/** The contacts among `contactIds` with an active enrollment in the sequence. */
export const activeContactIds = async (q: Queryable, sequenceId: string, contactIds: string[]): Promise<Set<string>> => {
  const res = await q.query(`SELECT contact_id FROM sequence_enrollments WHERE sequence_id = $1 AND status = 'active' AND contact_id = ANY($2::uuid[])`, [sequenceId, contactIds]);
  return new Set(res.rows.map((r) => r.contact_id as string));
};

/** Ends an enrollment as `unenrolled` (the caller checked it is active). */
export const markUnenrolled = async (q: Queryable, id: string, reason: string, now: Date): Promise<Enrollment> => {
  const res = await q.query(
    `UPDATE sequence_enrollments SET status = 'unenrolled', waiting = 'none', next_run_at = NULL, ended_at = $2, exit_reason = $3, updated_at = $2
      WHERE id = $1 RETURNING *`,
    [id, now, reason],
  );
  return toEnrollment(res.rows[0]);
};

export const countActiveEnrollments = async (q: Queryable, sequenceId: string): Promise<number> => {
  const res = await q.query(`SELECT count(*)::int AS n FROM sequence_enrollments WHERE sequence_id = $1 AND status = 'active'`, [sequenceId]);
  return res.rows[0].n;
};

export const enrollmentsRepo = {
  insertHistory, applyUpdates, claimDue, findEnrollment, exitActiveForPhone, unenrollActiveOfContact, findEnrollmentByKey,
  lockSequenceEnrollments, insertEnrollments, activeContactIds, markUnenrolled, countActiveEnrollments,
};
export type EnrollmentsRepo = typeof enrollmentsRepo;
