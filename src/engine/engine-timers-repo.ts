import type { Queryable } from '../db/db.js';

/**
 * `engine_timers`: a due check the engine owes an activation's action (today the conference
 * action's 2-minute "did anybody answer?"). A timer is open until `done_at` is set, once.
 */
export type TimerKey = { activationId: string; actionId: string };

/** Locks the open conference-retry timer of the action (FOR UPDATE); false if none is open. */
export const lockOpenConferenceTimer = async (q: Queryable, t: TimerKey): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM engine_timers WHERE activation_id = $1 AND action_id = $2 AND kind = 'conference_retry' AND done_at IS NULL FOR UPDATE`,
    [t.activationId, t.actionId],
  );
  return (res.rowCount ?? 0) > 0;
};

/** Closes the conference-retry timer with its outcome. */
export const closeConferenceTimer = async (q: Queryable, t: TimerKey, outcome: string): Promise<void> => {
  await q.query(
    `UPDATE engine_timers SET done_at = now(), outcome = $3 WHERE activation_id = $1 AND action_id = $2 AND kind = 'conference_retry'`,
    [t.activationId, t.actionId, outcome],
  );
};

/** Did anybody reached by the action answer (or acknowledge)? */
export const actionAnswered = async (q: Queryable, t: TimerKey): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM deliveries WHERE activation_id = $1 AND action_id = $2 AND status IN ('answered', 'acknowledged') LIMIT 1`,
    [t.activationId, t.actionId],
  );
  return (res.rowCount ?? 0) > 0;
};

/** Open timers more than 5 s past due (their job may be lost), at most 100. */
export const listOverdueTimers = async (q: Queryable): Promise<Array<TimerKey & { kind: 'conference_retry' }>> => {
  const res = await q.query(
    `SELECT activation_id, action_id, kind FROM engine_timers WHERE done_at IS NULL AND due_at < now() - interval '5 seconds' LIMIT 100`,
  );
  return res.rows.map((r) => ({ activationId: r.activation_id, actionId: r.action_id, kind: r.kind }));
};

export const engineTimersRepo = { lockOpenConferenceTimer, closeConferenceTimer, actionAnswered, listOverdueTimers };
export type EngineTimersRepo = typeof engineTimersRepo;
