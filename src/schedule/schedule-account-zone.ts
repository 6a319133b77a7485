import type { PoolClient } from 'pg';
import type { Clock } from '../clock.js';
import { createNextFn } from './schedule-plan.js';
import type { SchedulesRepo } from './schedules-repo.js';

/** Told inside the transaction that changes an account's zone (see accounts-service). */
export type AccountZoneHook = (tx: PoolClient, change: { accountId: string; timezone: string }) => Promise<void>;

/**
 * Keeps schedules that follow the account's zone in step with it: in the transaction that
 * changes the zone, every such schedule gets the new zone and its next occurrence recomputed
 * from now in it (paused ones too, so resuming counts right). An occurrence already due but not
 * yet fired keeps its turn, as on a workflow edit. One statement writes them all; any failure
 * rolls back the zone change with them.
 */
export const createAccountZoneHook = (deps: {
  schedules: Pick<SchedulesRepo, 'lockSchedulesFollowingAccount' | 'advanceSchedules'>;
  clock: Clock;
}): AccountZoneHook => {
  const next = createNextFn(1000);
  return async (tx, { accountId, timezone }) => {
    const rows = await deps.schedules.lockSchedulesFollowingAccount(tx, accountId);
    const now = deps.clock.now();
    await deps.schedules.advanceSchedules(tx, rows.map((r) => ({
      workflowId: r.workflowId,
      timezone,
      nextRunAt: r.nextRunAt && r.nextRunAt.getTime() <= now.getTime() ? r.nextRunAt : next(r.spec, timezone, now),
    })));
  };
};
