import type { WorkflowChangeHook } from '../workflows/workflow-hooks.js';
import type { Clock } from '../clock.js';
import { createNextFn, planDue } from './schedule-plan.js';
import { scheduleSpecSchema } from '../calendar/schedule-types.js';
import type { SchedulesRepo } from './schedules-repo.js';
import { fromZod } from '../errors.js';

export type ScheduleHookDeps = {
  schedules: Pick<SchedulesRepo, 'accountTimezone' | 'deleteSchedules' | 'findScheduleForUpdate' | 'insertRuns' | 'upsertSchedule'>;
  clock: Clock;
};

/**
 * Keeps `workflow_schedules` in step with a workflow, inside the transaction that changes it:
 * - create / edit: the next occurrence is recomputed from now, so an edit takes effect from
 *   the next occurrence. An occurrence already due but not yet fired keeps its turn (the firing
 *   loop fires or records it), so an edit at 09:00:00.3 does not swallow 09:00.
 * - pause: the row stays, marked paused; its occurrences are recorded as skipped_paused.
 * - resume: occurrences due during the pause are recorded as skipped, the next one counts from now.
 * - delete, or schedule removed: the row goes (its run history stays).
 * It waits for a firing pass holding the row, so an edit and a firing never interleave.
 */
export const createScheduleHook = (deps: ScheduleHookDeps): WorkflowChangeHook => {
  const next = createNextFn(1000);
  const repo = deps.schedules;
  return async (tx, change) => {
    if (change.deleted || !change.definition.schedule) {
      await repo.deleteSchedules(tx, [change.workflowId]);
      return;
    }
    const parsed = scheduleSpecSchema.safeParse(change.definition.schedule);
    if (!parsed.success) throw fromZod(parsed.error, 'schedule');
    const spec = parsed.data;
    const timezone = spec.timezone ?? (await repo.accountTimezone(tx, change.accountId));
    const now = deps.clock.now();
    const paused = change.status === 'paused';
    const existing = await repo.findScheduleForUpdate(tx, change.workflowId);

    let nextRunAt: Date | null;
    const overdue = existing?.nextRunAt && existing.nextRunAt.getTime() <= now.getTime() ? existing.nextRunAt : null;
    if (overdue && existing!.paused && !paused) {
      // Resumed: what fell due while paused was skipped; record it, then count from now.
      const p = planDue({ spec: existing!.spec, timezone: existing!.timezone, from: overdue, now, graceMs: 0, paused: true, next });
      await repo.insertRuns(tx, p.decisions.map((d) => ({ workflowId: change.workflowId, accountId: change.accountId, occurrence: d.occurrence, status: 'skipped_paused' as const })));
      nextRunAt = next(spec, timezone, now);
    } else if (overdue) {
      nextRunAt = overdue;
    } else {
      nextRunAt = next(spec, timezone, now);
    }
    await repo.upsertSchedule(tx, {
      workflowId: change.workflowId,
      accountId: change.accountId,
      workflowVersion: change.version,
      spec,
      timezone,
      nextRunAt,
      paused,
    });
  };
};
