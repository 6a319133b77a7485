import type { Queryable } from '../db/db.js';

/**
 * The activation outbox (`outbox` rows of topic `activation`): one per activation, written in the
 * activation's own transaction, completed once the planner has planned it. The relay's statements.
 */

/** One open outbox row the sweeper claimed. */
export type OutboxRow = { id: number; activationId: string; jobId: string | null; attempts: number };

/**
 * The statement that inserts the outbox rows (idempotent) of the activations a CTE named `cte`
 * returned, for the statement that writes them (activations-repo.ts `insertActivationIfCurrent`).
 */
export const activationOutboxOf = (cte: string) => `INSERT INTO outbox (topic, ref_id) SELECT 'activation', ${cte}.id::text FROM ${cte} ON CONFLICT DO NOTHING`;

/** Marks the activations' rows handed to the queue (fast path): counts one attempt each. */
export const markDispatched = async (q: Queryable, activationIds: string[]): Promise<void> => {
  await q.query(
    `UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1 WHERE topic = 'activation' AND ref_id = ANY($1::text[]) AND dispatched_at IS NULL`,
    [activationIds],
  );
};

/**
 * Claims open rows due for another look, oldest first, in one short statement (SKIP LOCKED: any
 * number of sweepers): never dispatched and older than 2 s, or dispatched longer than
 * `redispatchAfterMs` ago. Each claimed row's `dispatched_at` moves to now, so no sweeper looks at
 * it again before another `redispatchAfterMs`; the caller asks Redis about them afterwards, with
 * no row locked (the planner completing a row never waits behind a sweep).
 */
export const claimDueOutbox = async (q: Queryable, redispatchAfterMs: number, limit: number): Promise<OutboxRow[]> => {
  const res = await q.query(
    `UPDATE outbox o SET dispatched_at = now() FROM (
       SELECT id, dispatched_at AS was FROM outbox
        WHERE topic = 'activation' AND completed_at IS NULL AND available_at <= now()
          AND (dispatched_at IS NULL AND created_at < now() - interval '2 seconds'
               OR dispatched_at < now() - make_interval(secs => $1::double precision / 1000))
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) due
      WHERE o.id = due.id
      RETURNING o.id, o.ref_id, o.job_id, o.attempts`,
    [redispatchAfterMs, limit],
  );
  return res.rows.map((r) => ({ id: Number(r.id), activationId: r.ref_id, jobId: r.job_id, attempts: r.attempts }))
    .sort((x, y) => x.id - y.id);
};

/** Closes one outbox row unless the planner already did; true when this call closed it. */
export const closeOpenOutboxRow = async (q: Queryable, id: number): Promise<boolean> => {
  const res = await q.query('UPDATE outbox SET completed_at = now() WHERE id = $1 AND completed_at IS NULL', [id]);
  return (res.rowCount ?? 0) > 0;
};

/** The row's activation was queued again on its own job: counts an attempt, forgets the batch job. */
export const markRequeuedAlone = async (q: Queryable, id: number): Promise<void> => {
  await q.query('UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1, job_id = NULL WHERE id = $1', [id]);
};

export const outboxRepo = { markDispatched, claimDueOutbox, closeOpenOutboxRow, markRequeuedAlone };
export type OutboxRepo = typeof outboxRepo;
