import type { PoolClient } from 'pg';
import type { LockedWorkflow } from '../engine/activation-batch-repo.js';
import { definitionPlaceholders } from '../workflows/workflow-definitions.js';
import type { Queryable } from '../db/db.js';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import type { ScheduleSpec } from '../calendar/schedule-types.js';

export type RunStatus = 'fired' | 'missed' | 'skipped_paused' | 'failed';

/** One schedule's stored state: the spec and its next occurrence. */
export type ScheduleRow = {
  workflowId: string;
  accountId: string;
  workflowVersion: number;
  spec: ScheduleSpec;
  timezone: string;
  nextRunAt: Date | null;
  paused: boolean;
  updatedAt: Date;
};

/** A due schedule as a firing loop claimed it, with what it needs to decide. */
export type ClaimedSchedule = {
  workflowId: string;
  accountId: string;
  /**
   * The stored spec as JSON text: many rows share one spec, so the firer parses each distinct
   * text once instead of every row's jsonb.
   */
  specText: string;
  timezone: string;
  nextRunAt: Date;
  paused: boolean;
  /** `spec.timezone`, else the account's zone as it is now. */
  effectiveTimezone: string;
  workflowPaused: boolean;
  workflowDeleted: boolean;
  /** The workflow's current version, read under the claim's `FOR SHARE` lock. */
  workflow: LockedWorkflow;
};

export type NewRun = {
  workflowId: string;
  accountId: string;
  occurrence: Date;
  status: RunStatus;
  activationId?: string | null;
  error?: string | null;
};

export type ScheduleRun = NewRun & { activationId: string | null; error: string | null; recordedAt: Date };

type Row = Record<string, any>;

const toSchedule = (r: Row): ScheduleRow => ({
  workflowId: r.workflow_id,
  accountId: r.account_id,
  workflowVersion: r.workflow_version,
  spec: r.spec,
  timezone: r.timezone,
  nextRunAt: r.next_run_at,
  paused: r.paused,
  updatedAt: r.updated_at,
});

export const findScheduleForUpdate = async (tx: PoolClient, workflowId: string): Promise<ScheduleRow | null> => {
  const res = await tx.query('SELECT * FROM workflow_schedules WHERE workflow_id = $1 FOR UPDATE', [workflowId]);
  return res.rows[0] ? toSchedule(res.rows[0]) : null;
};

export const findSchedule = async (q: Queryable, accountId: string, workflowId: string): Promise<ScheduleRow | null> => {
  const res = await q.query('SELECT * FROM workflow_schedules WHERE account_id = $1 AND workflow_id = $2', [accountId, workflowId]);
  return res.rows[0] ? toSchedule(res.rows[0]) : null;
};

export const upsertSchedule = async (tx: PoolClient, s: Omit<ScheduleRow, 'updatedAt'>): Promise<void> => {
  await tx.query(
    `INSERT INTO workflow_schedules (workflow_id, account_id, workflow_version, spec, timezone, next_run_at, paused)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (workflow_id) DO UPDATE SET
       workflow_version = EXCLUDED.workflow_version, spec = EXCLUDED.spec, timezone = EXCLUDED.timezone,
       next_run_at = EXCLUDED.next_run_at, paused = EXCLUDED.paused, updated_at = now()`,
    [s.workflowId, s.accountId, s.workflowVersion, JSON.stringify(s.spec), s.timezone, s.nextRunAt, s.paused],
  );
};

export const deleteSchedules = async (q: Queryable, workflowIds: string[]): Promise<void> => {
  if (workflowIds.length === 0) return;
  await q.query('DELETE FROM workflow_schedules WHERE workflow_id = ANY($1::uuid[])', [workflowIds]);
};

export const accountTimezone = async (q: Queryable, accountId: string): Promise<string> => {
  const res = await q.query('SELECT timezone FROM accounts WHERE id = $1', [accountId]);
  return res.rows[0]?.timezone ?? 'UTC';
};

/**
 * Claims up to `limit` schedules due at `now`, oldest first. Rows another loop holds are
 * skipped, and so are rows whose workflow is being changed right now (its change hook holds
 * the workflow row): they are left as they are for a later pass, never waited on, so claims
 * cannot deadlock with workflow edits. The locks last until the caller's transaction ends.
 */
export const claimDueSchedules = async (tx: PoolClient, now: Date, limit: number): Promise<ClaimedSchedule[]> => {
  // The definition is sent only when its text has a '[[' (a placeholder needs one; jsonb text
  // never escapes '['), and then checked exactly by definitionPlaceholders: most scheduled
  // workflows have none, and shipping and parsing every definition was most of the claim's cost.
  // The due rows are picked and locked first, through the due index (LIMIT before any join: a
  // join first read and sorted every due row of every schedule on each claim), then joined.
  const res = await tx.query(
    `WITH due AS (
       SELECT workflow_id, account_id, spec, timezone, next_run_at, paused FROM workflow_schedules
        WHERE next_run_at <= $1
        ORDER BY next_run_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     )
     SELECT s.workflow_id, s.account_id, s.spec::text AS spec_text, s.timezone,
            floor(extract(epoch FROM s.next_run_at) * 1000)::bigint AS next_run_ms, s.paused,
            COALESCE(s.spec->>'timezone', a.timezone) AS effective_timezone,
            w.status AS workflow_status, w.deleted_at IS NOT NULL AS workflow_deleted,
            v.id AS version_id, v.version AS current_version,
            CASE WHEN strpos(v.definition::text, '[[') > 0 THEN v.definition END AS definition
       FROM due s
       JOIN workflows w ON w.id = s.workflow_id
       JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
       JOIN accounts a ON a.id = s.account_id
      ORDER BY s.next_run_at
      FOR SHARE OF w SKIP LOCKED`,
    [now, limit],
  );
  return res.rows.map((r) => ({
    workflowId: r.workflow_id,
    accountId: r.account_id,
    specText: r.spec_text,
    timezone: r.timezone,
    nextRunAt: new Date(r.next_run_ms), // epoch ms: parsing 1,000 timestamp strings per claim showed in profiles
    paused: r.paused,
    effectiveTimezone: r.effective_timezone,
    workflowPaused: r.workflow_status === 'paused',
    workflowDeleted: r.workflow_deleted,
    workflow: {
      id: r.workflow_id, accountId: r.account_id, status: r.workflow_status, versionId: r.version_id, version: r.current_version,
      placeholders: r.definition ? definitionPlaceholders(r.definition as WorkflowDefinition) : [],
    },
  }));
};

/** Moves claimed schedules to their next occurrence (null: none left). */
export const advanceSchedules = async (tx: PoolClient, updates: Array<{ workflowId: string; nextRunAt: Date | null; timezone: string }>): Promise<void> => {
  if (updates.length === 0) return;
  await tx.query(
    `UPDATE workflow_schedules s SET next_run_at = u.next_run_at, timezone = u.timezone, updated_at = now()
       FROM json_to_recordset($1::json) AS u(workflow_id uuid, next_run_at timestamptz, timezone text)
      WHERE s.workflow_id = u.workflow_id`,
    [JSON.stringify(updates.map((u) => ({ workflow_id: u.workflowId, next_run_at: u.nextRunAt, timezone: u.timezone })))],
  );
};

/** Records what happened to occurrences that did not fire; an occurrence already recorded keeps its first record. */
export const insertRuns = async (q: Queryable, runs: NewRun[]): Promise<void> => {
  if (runs.length === 0) return;
  await q.query(
    `INSERT INTO schedule_runs (workflow_id, account_id, occurrence, status, activation_id, error)
     SELECT * FROM json_to_recordset($1::json)
       AS u(workflow_id uuid, account_id uuid, occurrence timestamptz, status text, activation_id uuid, error text)
     ON CONFLICT (workflow_id, occurrence) DO NOTHING`,
    [JSON.stringify(runs.map((r) => ({
      workflow_id: r.workflowId, account_id: r.accountId, occurrence: r.occurrence, status: r.status, activation_id: r.activationId, error: r.error,
    })))],
  );
};

/**
 * What happened to a workflow's past occurrences, newest first: fired ones are their activations
 * (source `schedule`, `context.scheduledFor` = the occurrence; not stored twice), the others
 * (missed, skipped while paused, failed) are `schedule_runs` rows. Rows of status `fired` stored
 * before activations became the record are read from the activations too, never twice.
 */
export const listRuns = async (q: Queryable, accountId: string, workflowId: string, limit: number): Promise<ScheduleRun[]> => {
  const res = await q.query(
    `SELECT * FROM (
       (SELECT occurrence, status, activation_id, error, recorded_at FROM schedule_runs
         WHERE account_id = $1 AND workflow_id = $2 AND status <> 'fired' ORDER BY occurrence DESC LIMIT $3)
       UNION ALL
       (SELECT (a.context->>'scheduledFor')::timestamptz, 'fired', a.id, NULL, a.created_at FROM activations a
         WHERE a.account_id = $1 AND a.workflow_id = $2 AND a.source = 'schedule' AND a.context ? 'scheduledFor'
         ORDER BY a.created_at DESC LIMIT $3)
     ) r ORDER BY occurrence DESC LIMIT $3`,
    [accountId, workflowId, limit],
  );
  return res.rows.map((r) => ({
    workflowId,
    accountId,
    occurrence: r.occurrence,
    status: r.status,
    activationId: r.activation_id,
    error: r.error,
    recordedAt: r.recorded_at,
  }));
};

/** The earliest next occurrence of any schedule: the firing loop sleeps until then. */
export const earliestDue = async (q: Queryable): Promise<Date | null> => {
  const res = await q.query('SELECT min(next_run_at) AS at FROM workflow_schedules');
  return res.rows[0]?.at ?? null;
};

/**
 * The account's schedules that name no zone of their own (they follow the account's), locked
 * for the caller's transaction: a firing pass holding one is waited for, never interleaved.
 */
export const lockSchedulesFollowingAccount = async (tx: PoolClient, accountId: string): Promise<ScheduleRow[]> => {
  const res = await tx.query(
    `SELECT * FROM workflow_schedules WHERE account_id = $1 AND spec->>'timezone' IS NULL
      ORDER BY workflow_id FOR UPDATE`,
    [accountId],
  );
  return res.rows.map(toSchedule);
};

/** A live workflow of the account with its current schedule (raw JSON, null when none) and the account's zone. */
export const findScheduledWorkflow = async (
  q: Queryable, accountId: string, workflowId: string,
): Promise<{ status: string; schedule: unknown; accountTimezone: string } | null> => {
  const res = await q.query(
    `SELECT w.status, v.definition->'schedule' AS schedule, a.timezone AS account_timezone
       FROM workflows w
       JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
       JOIN accounts a ON a.id = w.account_id
      WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL`,
    [accountId, workflowId],
  );
  const r = res.rows[0];
  return r ? { status: r.status, schedule: r.schedule, accountTimezone: r.account_timezone } : null;
};

export const schedulesRepo = {
  findScheduleForUpdate, findSchedule, upsertSchedule, deleteSchedules, accountTimezone, claimDueSchedules, advanceSchedules, insertRuns,
  listRuns, earliestDue, lockSchedulesFollowingAccount, findScheduledWorkflow,
};
export type SchedulesRepo = typeof schedulesRepo;
