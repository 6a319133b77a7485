import type { Queryable } from '../db/db.js';

/** The backlog figures read at scrape time (docs/METRICS.md). */
export type BacklogSnapshot = {
  /** Outbox rows not completed, per topic (`activation`, `event`). */
  outbox: Array<{ topic: string; undispatched: number; incomplete: number; oldestSeconds: number }>;
  openDeliveries: { pending: number; sending: number };
  /** Age of the oldest delivery still pending or sending; 0 when there is none. */
  oldestOpenSeconds: number;
  inDoubt: { claimExpired: number; maybeSent: number };
};

/**
 * Two small reads, each over a partial index that holds only unfinished rows, so their cost
 * follows the backlog, not the size of the tables: `outbox_incomplete_idx` (completed_at IS
 * NULL) and `deliveries_open_activation_idx` (open_phase = 0: pending or sending).
 * `inDoubtAfterMs` is SEND_IN_DOUBT_AFTER_MS: a `sending` row without a provider id claimed
 * longer ago than that is one the sweeper has to reconcile with the carrier.
 */
export const readBacklog = async (q: Queryable, inDoubtAfterMs: number): Promise<BacklogSnapshot> => {
  const [outbox, open] = await Promise.all([
    q.query(
      `SELECT topic, count(*) FILTER (WHERE dispatched_at IS NULL)::int AS undispatched, count(*)::int AS incomplete,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM outbox WHERE completed_at IS NULL GROUP BY topic`,
    ),
    q.query(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'sending')::int AS sending,
              COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest,
              count(*) FILTER (WHERE status = 'sending' AND provider_id IS NULL
                                 AND claimed_at < now() - make_interval(secs => $1::float8 / 1000))::int AS claim_expired,
              count(*) FILTER (WHERE status = 'pending' AND meta ? 'maybeSentSince')::int AS maybe_sent
         FROM deliveries WHERE open_phase = 0`,
      [inDoubtAfterMs],
    ),
  ]);
  const o = open.rows[0] ?? {};
  return {
    outbox: outbox.rows.map((r) => ({ topic: r.topic, undispatched: r.undispatched, incomplete: r.incomplete, oldestSeconds: Math.max(0, r.oldest) })),
    openDeliveries: { pending: o.pending ?? 0, sending: o.sending ?? 0 },
    oldestOpenSeconds: Math.max(0, o.oldest ?? 0),
    inDoubt: { claimExpired: o.claim_expired ?? 0, maybeSent: o.maybe_sent ?? 0 },
  };
};
