import type { Queryable } from '../db/db.js';
import type { Signal } from './conditions.js';

/**
 * Stores the signal (idempotent on `ref`) only if the contact has an active enrollment, and makes
 * those enrollments due at `now`; true when it was newly stored.
 */
export const recordSignal = async (
  q: Queryable, accountId: string, contactId: string, s: Omit<Signal, 'at'> & { ref: string }, now: Date,
): Promise<boolean> => {
  const res = await q.query(
    `WITH ins AS (
       INSERT INTO sequence_signals (account_id, contact_id, kind, event_type, data, ref, at)
       SELECT $1, $2, $3, $4, $5, $6, $7
        WHERE EXISTS (SELECT 1 FROM sequence_enrollments WHERE contact_id = $2 AND account_id = $1 AND status = 'active')
       ON CONFLICT (account_id, ref) DO NOTHING RETURNING 1
     )
     UPDATE sequence_enrollments SET next_run_at = LEAST(COALESCE(next_run_at, $7), $7)
      WHERE contact_id = $2 AND account_id = $1 AND status = 'active' AND EXISTS (SELECT 1 FROM ins)
     RETURNING id`,
    [accountId, contactId, s.kind, s.eventType, JSON.stringify(s.data), s.ref, now],
  );
  return (res.rowCount ?? 0) > 0;
};

/** Whether one of the contact's active enrollments waits at a `replied` branch right now. */
export const isWaitingForReply = async (q: Queryable, accountId: string, contactId: string): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM sequence_enrollments e JOIN sequence_versions v ON v.id = e.version_id
      WHERE e.account_id = $1 AND e.contact_id = $2 AND e.status = 'active' AND e.waiting = 'branch'
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(v.definition->'steps') st
                     WHERE st->>'id' = e.step_id AND st->'branch'->'condition'->>'type' = 'replied')
      LIMIT 1`,
    [accountId, contactId],
  );
  return !!res.rows[0];
};

/** The contacts' signals since `since`, oldest first, by contact. */
export const loadSignals = async (q: Queryable, contactIds: string[], since: Date): Promise<Map<string, Signal[]>> => {
  const out = new Map<string, Signal[]>();
  if (contactIds.length === 0) return out;
  const res = await q.query(
    'SELECT contact_id, kind, event_type, data, at FROM sequence_signals WHERE contact_id = ANY($1::uuid[]) AND at >= $2 ORDER BY at',
    [contactIds, since],
  );
  for (const r of res.rows) {
    const list = out.get(r.contact_id) ?? [];
    list.push({ kind: r.kind, eventType: r.event_type, data: r.data ?? {}, at: r.at });
    out.set(r.contact_id, list);
  }
  return out;
};

export const sequenceSignalsRepo = { recordSignal, isWaitingForReply, loadSignals };
export type SequenceSignalsRepo = typeof sequenceSignalsRepo;
