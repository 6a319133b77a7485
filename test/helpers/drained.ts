/**
 * "Nothing more happens", proved without a fixed sleep: wait until the runtime has no work left,
 * then assert. A sleep passes when the system is merely slow; this waits for the work itself.
 */
import { Queue } from 'bullmq';
import type { CarrierEmulator } from '../../dev/carrier/emulator.js';
import { queueNames } from '../../src/engine/queues.js';
import { EVENT_QUEUE } from '../../src/events/event-queue.js';
import type { Runtime } from '../../src/main.js';
import { RULE_ACTION_QUEUE } from '../../src/rules/rule-action-worker.js';
import { eventually } from './eventually.js';

/** Every BullMQ queue of the runtime (add a new queue here, or `drained` cannot see its jobs). */
const QUEUES = [...Object.values(queueNames), EVENT_QUEUE, RULE_ACTION_QUEUE];
const BUSY = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * Work the runtime still has to do, by table. Rows waiting for a later time (a rule action delayed
 * by hours, a callback scheduled for tomorrow) are not pending: only what is due now. `$1` is the
 * runtime's clock (rules, callbacks and sequences run on it; the engine runs on PostgreSQL's).
 */
const PENDING_SQL = `SELECT
  (SELECT count(*) FROM outbox WHERE completed_at IS NULL AND available_at <= now())::int AS "outbox rows",
  (SELECT count(*) FROM activations WHERE status IN ('queued', 'planning'))::int AS "activations not planned",
  (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending'))::int AS "deliveries pending or sending",
  (SELECT count(*) FROM engine_timers WHERE done_at IS NULL AND due_at <= now())::int AS "engine timers due",
  (SELECT count(*) FROM rule_pending_actions
    WHERE status IN ('pending', 'queued', 'running') AND due_at <= $1)::int AS "rule actions due",
  (SELECT count(*) FROM callbacks WHERE status = 'calling' OR (status = 'scheduled' AND due_at <= $1))::int AS "callbacks due",
  (SELECT count(*) FROM sequence_enrollments WHERE status = 'active' AND next_run_at <= $1)::int AS "enrollments due",
  (SELECT count(*) FROM tracking_logs WHERE status = 'running')::int AS "tracking logs running"`;

/** Rows that only grow while work happens: unchanged between two clean looks means nothing moved. */
const PROGRESS_SQL = `SELECT
  (SELECT count(*) FROM activations)::int AS activations, (SELECT count(*) FROM deliveries)::int AS deliveries,
  (SELECT count(*) FROM delivery_events)::int AS delivery_events, (SELECT count(*) FROM events)::int AS events,
  (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM rule_logs)::int AS rule_logs`;

export type DrainedOptions = {
  /** Also wait for the carrier emulator: no callback or call in flight, no new message or call. */
  carrier?: Pick<CarrierEmulator, 'settled' | 'messages' | 'calls' | 'callbacks'>;
  timeoutMs?: number;
};

/**
 * Resolves once the runtime is drained: no job waiting, running, delayed or prioritized in any of its
 * queues, no pending row (see PENDING_SQL), the carrier (if given) settled, and all of that seen
 * twice in a row with nothing having moved in between. Fails after `timeoutMs` naming what was
 * still pending.
 *
 * Only for a runtime whose workers do the work (`worker: true`, or workers of its own started
 * beside it on the same database and prefix): work that nobody takes never drains. A delayed job
 * counts as pending however far ahead it is due.
 */
export const drained = async (t: { rt: Pick<Runtime, 'infra'> }, opts: DrainedOptions = {}): Promise<void> => {
  const { db, redis, config, clock } = t.rt.infra;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const queues = QUEUES.map((name) => new Queue(name, { connection: redis, prefix: config.REDIS_PREFIX, skipWaitingForReady: true }));
  let pending: string[] = [];
  let lastProgress: string | null = null;
  try {
    await eventually(async () => {
      await opts.carrier?.settled();
      const jobs = await Promise.all(queues.map(async (q) => [q.name, await q.getJobCounts(...BUSY)] as const));
      const now = clock?.now() ?? new Date();
      const [rows, progress] = await Promise.all([db.query(PENDING_SQL, [now]), db.query(PROGRESS_SQL)]);
      pending = [
        ...jobs.flatMap(([name, c]) => BUSY.filter((s) => (c[s] ?? 0) > 0).map((s) => `${c[s]} ${s} in queue ${name}`)),
        ...Object.entries(rows.rows[0] as Record<string, number>).filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`),
      ];
      const c = opts.carrier;
      const seen = JSON.stringify([progress.rows[0], c?.messages.length, c?.calls.length, c?.callbacks.length]);
      const quiet = pending.length === 0 && seen === lastProgress;
      lastProgress = pending.length === 0 ? seen : null;
      return quiet;
    }, 'the runtime to drain', timeoutMs);
  } catch (e) {
    throw new Error(`not drained after ${timeoutMs} ms: ${pending.join(', ') || 'work still moving'}`, { cause: e });
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
};
