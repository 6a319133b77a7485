import type { Queryable } from '../db/db.js';

/**
 * The event side of the outbox (topic `event`, `ref_id` = event id) and which consumers already
 * handled each event (`event_consumptions`).
 */

/** The consumers that already handled the event. */
export const consumersDone = async (q: Queryable, eventId: string): Promise<Set<string>> => {
  const res = await q.query('SELECT consumer FROM event_consumptions WHERE event_id = $1', [eventId]);
  return new Set(res.rows.map((r) => r.consumer as string));
};

/** Records that `consumer` handled the event (idempotent). */
export const markConsumed = async (q: Queryable, eventId: string, consumer: string): Promise<void> => {
  await q.query('INSERT INTO event_consumptions (event_id, consumer) VALUES ($1, $2) ON CONFLICT DO NOTHING', [eventId, consumer]);
};

/** Every consumer handled the event: stamps it processed and completes its outbox row. */
export const completeEvent = async (q: Queryable, eventId: string): Promise<void> => {
  await q.query(
    `WITH e AS (UPDATE events SET processed_at = COALESCE(processed_at, now()) WHERE id = $1)
     UPDATE outbox SET completed_at = now() WHERE topic = 'event' AND ref_id = $1::text AND completed_at IS NULL`,
    [eventId],
  );
};

export type DueOutboxRow = { id: number; eventId: string; dispatchedAt: Date | null };

/**
 * Locks (SKIP LOCKED, in the caller's transaction) incomplete event rows never dispatched, or
 * dispatched over `redispatchAfterMs` ago, with fewer than `maxDispatches` attempts; oldest first.
 */
export const lockDueEventOutbox = async (q: Queryable, redispatchAfterMs: number, maxDispatches: number, limit: number): Promise<DueOutboxRow[]> => {
  const res = await q.query(
    `SELECT id, ref_id, dispatched_at FROM outbox
      WHERE topic = 'event' AND completed_at IS NULL AND available_at <= now() AND attempts < $2
        AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => $1::double precision / 1000))
      ORDER BY id LIMIT $3
      FOR UPDATE SKIP LOCKED`,
    [redispatchAfterMs, maxDispatches, limit],
  );
  return res.rows.map((r) => ({ id: r.id, eventId: r.ref_id, dispatchedAt: r.dispatched_at }));
};

/** Stamps the rows `seen` dispatched now; only those `requeued` count an attempt. */
export const markOutboxSwept = async (q: Queryable, requeued: number[], seen: number[]): Promise<void> => {
  await q.query(
    `UPDATE outbox SET dispatched_at = now(), attempts = attempts + CASE WHEN id = ANY($1::bigint[]) THEN 1 ELSE 0 END
      WHERE id = ANY($2::bigint[])`,
    [requeued, seen],
  );
};

/** The fast path queued these events: their rows count one dispatch (rows already dispatched are left alone). */
export const markEventsDispatched = async (q: Queryable, eventIds: string[]): Promise<void> => {
  await q.query(
    `UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1
      WHERE topic = 'event' AND ref_id = ANY($1::text[]) AND dispatched_at IS NULL`,
    [eventIds],
  );
};

export const eventOutboxRepo = { consumersDone, markConsumed, completeEvent, lockDueEventOutbox, markOutboxSwept, markEventsDispatched };
export type EventOutboxRepo = typeof eventOutboxRepo;
