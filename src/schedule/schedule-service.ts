import { isUuid, type Db } from '../db/db.js';
import { AppError, NotFoundError } from '../errors.js';
import type { Clock } from '../clock.js';
import { describeOccurrence, nextOccurrences } from '../calendar/recurrence.js';
import { scheduleSpecSchema, type ScheduleSpec } from '../calendar/schedule-types.js';
import type { ScheduleRun, SchedulesRepo } from './schedules-repo.js';

export type ScheduleServiceDeps = { db: Db; schedules: Pick<SchedulesRepo, 'findScheduledWorkflow' | 'findSchedule' | 'listRuns'>; clock: Clock };

export const MAX_PREVIEW = 100;

export type SchedulePreview = {
  workflowId: string;
  timezone: string;
  paused: boolean;
  spec: ScheduleSpec;
  /** The stored next occurrence the firing loop will act on (null: none). */
  nextRunAt: string | null;
  occurrences: Array<{ local: string; utc: string; weekday: string }>;
};

/** Thrown for a workflow that has no schedule: a 400 naming the missing part. */
export class NoScheduleError extends AppError {
  constructor() {
    super('no_schedule', 'this workflow has no schedule', { status: 400, details: [{ path: 'schedule', message: 'is not set on this workflow' }] });
  }
}

/** Read side of schedules: what will run when, and what ran. Scoped by account (others' are 404). */
export const createScheduleService = (deps: ScheduleServiceDeps) => {
  const loadWorkflow = async (accountId: string, workflowId: string) => {
    if (!isUuid(workflowId)) throw new NotFoundError('workflow');
    const row = await deps.schedules.findScheduledWorkflow(deps.db, accountId, workflowId);
    if (!row) throw new NotFoundError('workflow');
    return row;
  };

  /** The next `count` (1..100) occurrences from now, in local time and UTC. */
  const preview = async (accountId: string, workflowId: string, count: number): Promise<SchedulePreview> => {
    const wf = await loadWorkflow(accountId, workflowId);
    if (wf.schedule === null || wf.schedule === undefined) throw new NoScheduleError();
    const spec = scheduleSpecSchema.parse(wf.schedule);
    const timezone = spec.timezone ?? wf.accountTimezone;
    const n = Math.max(1, Math.min(MAX_PREVIEW, Math.floor(count)));
    const stored = await deps.schedules.findSchedule(deps.db, accountId, workflowId);
    return {
      workflowId,
      timezone,
      paused: wf.status === 'paused',
      spec,
      nextRunAt: stored?.nextRunAt?.toISOString() ?? null,
      occurrences: nextOccurrences(spec, timezone, deps.clock.now(), n).map((d) => describeOccurrence(d, timezone)),
    };
  };

  /** The latest recorded occurrences (fired, missed, skipped_paused, failed), newest first. */
  const runs = async (accountId: string, workflowId: string, limit = 50): Promise<ScheduleRun[]> => {
    await loadWorkflow(accountId, workflowId);
    return deps.schedules.listRuns(deps.db, accountId, workflowId, Math.max(1, Math.min(500, limit)));
  };

  return { preview, runs };
};

export type ScheduleService = ReturnType<typeof createScheduleService>;
