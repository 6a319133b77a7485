import type { Queryable } from '../db/db.js';

/**
 * The activation outbox (`outbox` rows of topic `activation`): one per activation, written in the
 * activation's own transaction, completed once the planner has planned it. The relay's statements.
 */

/** One open outbox row the sweeper took (locked FOR UPDATE SKIP LOCKED in the caller's transaction). */
export type OutboxRow = { id: number; activationId: string; jobId: string | null; attempts: number };

/** Inserts the activation's outbox row (idempotent). */
export const insertActivationOutbox = async (q: Queryable, activationId: string): Promise<void> => {
  await q.query(`INSERT INTO outbox (topic, ref_id) VALUES ('activation', $1) ON CONFLICT DO NOTHING`, [activationId]);
};

/** Marks the activations' rows handed to the queue (fast path): counts one attempt each. */
export const markDispatched = async (q: Queryable, activationIds: string[]): Promise<void> => {
  await q.query(
    `UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1 WHERE topic = 'activation' AND ref_id = ANY($1::text[]) AND dispatched_at IS NULL`,
    [activationIds],
  );
};

/**
 * Open rows due for another look, oldest first, locked (SKIP LOCKED: any number of sweepers):
 * never dispatched and older than 2 s, or dispatched longer than `redispatchAfterMs` ago.
 */
export const lockDueOutbox = async (q: Queryable, redispatchAfterMs: number, limit: number): Promise<OutboxRow[]> => {
  const res = await q.query(
    `SELECT id, ref_id, job_id, attempts FROM outbox
      WHERE topic = 'activation' AND completed_at IS NULL AND available_at <= now()
        AND (dispatched_at IS NULL AND created_at < now() - interval '2 seconds'
             OR dispatched_at < now() - make_interval(secs => $1::double precision / 1000))
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [redispatchAfterMs, limit],
  );
  return res.rows.map((r) => ({ id: Number(r.id), activationId: r.ref_id, jobId: r.job_id, attempts: r.attempts }));
};

/** Closes one outbox row (its activation will not be planned again). */
export const completeOutboxRow = async (q: Queryable, id: number): Promise<void> => {
  await q.query('UPDATE outbox SET completed_at = now() WHERE id = $1', [id]);
};

/** The row's activation was queued again on its own job: counts an attempt, forgets the batch job. */
export const markRequeuedAlone = async (q: Queryable, id: number): Promise<void> => {
  await q.query('UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1, job_id = NULL WHERE id = $1', [id]);
};

/** Rows whose job Redis still holds: looked at again only after another `redispatchAfterMs`. */
export const touchDispatched = async (q: Queryable, ids: number[]): Promise<void> => {
  if (ids.length > 0) await q.query('UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])', [ids]);
};

export const outboxRepo = { insertActivationOutbox, markDispatched, lockDueOutbox, completeOutboxRow, markRequeuedAlone, touchDispatched };
export type OutboxRepo = typeof outboxRepo;
