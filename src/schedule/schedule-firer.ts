import { randomUUID } from 'node:crypto';
import { insertActivationsBatch } from '../engine/activation-batch.js';
import type { BatchActivateItem } from '../engine/activation-types.js';
import type { ActivationBatchRepo } from '../engine/activation-batch-repo.js';
import type { ActivationDispatcher } from '../engine/activation-service.js';
import type { Activation } from '../engine/activation-types.js';
import { withTransaction, type Db } from '../db/db.js';
import { groupBy } from '../group-by.js';
import type { Clock } from '../clock.js';
import { createNextFn, occurrenceKey, planDue, type NextFn } from './schedule-plan.js';
import { scheduleSpecSchema } from '../calendar/schedule-types.js';
import type { ClaimedSchedule, NewRun, SchedulesRepo } from './schedules-repo.js';

export type ScheduleFirerDeps = {
  db: Db;
  schedules: Pick<SchedulesRepo, 'claimDueSchedules' | 'insertRuns' | 'advanceSchedules' | 'deleteSchedules'>;
  /** The statements of the activations created in bulk (src/engine/activation-batch.ts). */
  activations: Pick<ActivationBatchRepo, 'findExisting' | 'lockWorkflows' | 'insertActivationRows'>;
  clock: Clock;
  /** Occurrences older than this when first seen are recorded as missed, not fired. */
  graceMinutes: number;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /** Fast path to the action queue after commit; the outbox sweeper covers its failures. */
  dispatcher?: ActivationDispatcher;
  /**
   * Activations per planner job when the dispatcher takes batches (default 250): a pass of
   * 1,000 occurrences queues 4 jobs instead of 1,000.
   */
  planBatchSize?: number;
  /** Called once per activation created, after commit (feed, metrics). */
  onCreated?: (a: Activation) => void;
};

/** What one pass did. `fired` lists each created activation's occurrence (for lateness). */
export type FireResult = {
  claimed: number;
  fired: Array<{ workflowId: string; occurrence: Date; activationId: string }>;
  missed: number;
  skipped: number;
  failed: number;
  /** When the transaction committed, by the injected clock. */
  committedAt: Date;
};

type Work = { runs: NewRun[]; fires: Array<{ row: ClaimedSchedule; occurrence: Date }>; advances: Array<{ workflowId: string; nextRunAt: Date | null; timezone: string }>; deletes: string[] };

/**
 * Fires due schedule occurrences. One pass = one transaction: claim due rows (FOR UPDATE SKIP
 * LOCKED), create their activations and outbox rows in bulk, record each occurrence in
 * schedule_runs (missed, skipped, failed: a fired one is its activation) and advance next_run_at, then COMMIT. A crash before COMMIT leaves everything
 * as it was (another pass redoes it); after COMMIT everything is done; so no occurrence is lost
 * or doubled, whatever the number of processes. The idempotency key
 * `schedule:<workflow>:<occurrence>` makes even a re-fire harmless.
 */
export const createScheduleFirer = (deps: ScheduleFirerDeps) => {
  const batchSize = deps.batchSize ?? 1000;
  const graceMs = deps.graceMinutes * 60_000;
  const next: NextFn = createNextFn();
  // Stored specs were validated on write; many rows share one, so parse each distinct one once.
  // The parsed object is shared by its rows, so the next-occurrence memo keys on it cheaply.
  const parsedSpecs = new Map<string, ReturnType<typeof scheduleSpecSchema.safeParse>>();
  const parseSpec = (text: string) => {
    let p = parsedSpecs.get(text);
    if (!p) {
      if (parsedSpecs.size > 10_000) parsedSpecs.clear();
      parsedSpecs.set(text, (p = scheduleSpecSchema.safeParse(JSON.parse(text))));
    }
    return p;
  };
  const planBatchSize = Math.max(1, deps.planBatchSize ?? 250);
  const batchDispatch = deps.dispatcher?.dispatchBatches ? deps.dispatcher : null;

  const plan = (rows: ClaimedSchedule[], now: Date): Work => {
    const work: Work = { runs: [], fires: [], advances: [], deletes: [] };
    for (const row of rows) {
      if (row.workflowDeleted) {
        work.deletes.push(row.workflowId);
        continue;
      }
      const parsed = parseSpec(row.specText);
      if (!parsed.success) {
        // Unreachable through the API (specs are validated on write); never loop on it.
        work.advances.push({ workflowId: row.workflowId, nextRunAt: null, timezone: row.timezone });
        work.runs.push({ workflowId: row.workflowId, accountId: row.accountId, occurrence: row.nextRunAt, status: 'failed', error: 'invalid schedule' });
        continue;
      }
      let p: ReturnType<typeof planDue>;
      try {
        p = planDue({
          spec: parsed.data, timezone: row.effectiveTimezone, from: row.nextRunAt, now, graceMs,
          paused: row.paused || row.workflowPaused, next,
        });
      } catch (err) {
        // One schedule that cannot be computed (a zone the tz database no longer knows) must
        // not stop the others: record it and park it until its workflow is saved again.
        work.advances.push({ workflowId: row.workflowId, nextRunAt: null, timezone: row.timezone });
        work.runs.push({ workflowId: row.workflowId, accountId: row.accountId, occurrence: row.nextRunAt, status: 'failed', error: `cannot compute the schedule: ${(err as Error).message}` });
        continue;
      }
      for (const d of p.decisions) {
        if (d.action === 'fire') work.fires.push({ row, occurrence: d.occurrence });
        else work.runs.push({ workflowId: row.workflowId, accountId: row.accountId, occurrence: d.occurrence, status: d.action });
      }
      work.advances.push({ workflowId: row.workflowId, nextRunAt: p.next, timezone: row.effectiveTimezone });
    }
    return work;
  };

  /** One claim-fire-advance transaction over at most `batchSize` due schedules. */
  const fireDue = async (): Promise<FireResult> => {
    const now = deps.clock.now();
    const created: Array<{ activation: Activation; jobId?: string }> = [];
    const out = await withTransaction(deps.db, async (tx) => {
      const rows = await deps.schedules.claimDueSchedules(tx, now, batchSize);
      const result: Omit<FireResult, 'committedAt'> = { claimed: rows.length, fired: [], missed: 0, skipped: 0, failed: 0 };
      if (rows.length === 0) return result;
      const work = plan(rows, now);
      // Most rows of a pass share one occurrence instant: format each instant once.
      const iso = new Map<number, string>();
      const isoOf = (d: Date) => {
        let v = iso.get(d.getTime());
        if (v === undefined) iso.set(d.getTime(), (v = d.toISOString()));
        return v;
      };
      const items: BatchActivateItem[] = work.fires.map((f) => {
        const at = isoOf(f.occurrence);
        return {
          accountId: f.row.accountId,
          workflowId: f.row.workflowId,
          source: 'schedule',
          idempotencyKey: occurrenceKey(f.row.workflowId, at),
          context: { scheduledFor: at, timezone: f.row.effectiveTimezone },
        };
      });
      const locked = new Map(rows.filter((r) => !r.workflowDeleted).map((r) => [r.workflowId, r.workflow]));
      // Job ids are chosen before the insert so each outbox row names its planner job.
      const planJobs = batchDispatch
        ? { size: planBatchSize, ids: Array.from({ length: Math.ceil(items.length / planBatchSize) }, () => `plan-${randomUUID()}`) }
        : undefined;
      const outcomes = await insertActivationsBatch(deps.activations, tx, items, locked, { planJobs });
      outcomes.forEach((o, i) => {
        const { row, occurrence } = work.fires[i]!;
        const base = { workflowId: row.workflowId, accountId: row.accountId, occurrence };
        if (o.status === 'rejected') {
          const status = o.code === 'workflow_paused' ? 'skipped_paused' : 'failed';
          work.runs.push({ ...base, status, error: status === 'failed' ? o.message : null });
          return;
        }
        // A fired occurrence is recorded by its activation (source `schedule`, key
        // `schedule:<workflow>:<occurrence>`, context.scheduledFor): `listRuns` reads it from there.
        result.fired.push({ workflowId: row.workflowId, occurrence, activationId: o.activation.id });
        if (o.status === 'created') created.push({ activation: o.activation, jobId: o.jobId });
      });
      await deps.schedules.insertRuns(tx, work.runs);
      await deps.schedules.advanceSchedules(tx, work.advances);
      await deps.schedules.deleteSchedules(tx, work.deletes);
      for (const r of work.runs) {
        if (r.status === 'missed') result.missed++;
        else if (r.status === 'skipped_paused') result.skipped++;
        else if (r.status === 'failed') result.failed++;
      }
      return result;
    });
    const committedAt = deps.clock.now();
    if (created.length > 0) {
      for (const c of created) deps.onCreated?.(c.activation);
      if (batchDispatch) {
        const batches = groupBy(created, (c) => c.jobId!);
        track(batchDispatch.dispatchBatches!([...batches].map(([jobId, cs]) => ({ jobId, activationIds: cs.map((c) => c.activation.id) }))));
      } else if (deps.dispatcher) track(deps.dispatcher.dispatch(created.map((c) => c.activation.id)));
    }
    return { ...out, committedAt };
  };

  // Dispatch runs beside the next pass instead of delaying it; a failure is the sweeper's job.
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    const done: Promise<void> = p.catch(() => undefined).finally(() => inflight.delete(done));
    inflight.add(done);
  };

  /** Waits for hand-offs to the dispatcher still in flight (graceful shutdown, tests). */
  const settle = async (): Promise<void> => {
    await Promise.allSettled([...inflight]);
  };

  return { fireDue, settle, batchSize };
};

export type ScheduleFirer = ReturnType<typeof createScheduleFirer>;
