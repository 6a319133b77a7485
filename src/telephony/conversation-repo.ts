/**
 * The conversation history the gateway writes: `messages` (every inbound and outbound text)
 * and `calls` (inbound calls to activation lines; carrier status of any call).
 */
import type { Queryable } from '../db/db.js';

export type NewMessage = {
  accountId: string;
  lineId: string | null;
  contactId: string | null;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  body: string;
  providerId: string | null;
  status: string;
  activationId?: string | null;
  meta?: Record<string, unknown>;
};

/**
 * Stores a message. With a provider id, a repeat (carrier retry) stores nothing and returns
 * the first row's id with `inserted: false`.
 */
export const insertMessage = async (q: Queryable, m: NewMessage): Promise<{ id: string; inserted: boolean }> => {
  const r = await q.query(
    `INSERT INTO messages (account_id, line_id, contact_id, direction, channel, from_address, to_address, body, provider_id, status, activation_id, meta)
     VALUES ($1, $2, $3, $4, 'sms', $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (account_id, direction, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [m.accountId, m.lineId, m.contactId, m.direction, m.from, m.to, m.body, m.providerId, m.status, m.activationId ?? null, JSON.stringify(m.meta ?? {})],
  );
  if (r.rows[0]) return { id: r.rows[0].id, inserted: true };
  const existing = await q.query('SELECT id FROM messages WHERE account_id = $1 AND direction = $2 AND provider_id = $3', [m.accountId, m.direction, m.providerId]);
  return { id: existing.rows[0].id, inserted: false };
};

export const linkMessageActivation = async (q: Queryable, messageId: string, activationId: string): Promise<void> => {
  await q.query('UPDATE messages SET activation_id = $2 WHERE id = $1 AND activation_id IS NULL', [messageId, activationId]);
};

/**
 * Links an inbound call to the activation it made (and its recording). An upsert: the call's
 * history row is written behind the greeting (inbound-call-writer.ts), so a code step handled
 * within those milliseconds — on this process or another — creates the row itself (caller's
 * contact looked up as the writer does) and the writer's later insert then leaves it alone.
 */
export const noteCallActivation = async (
  q: Queryable, call: { accountId: string; lineId: string; providerCallId: string; from: string; to: string }, activationId: string, recordingUrl: string | null,
): Promise<void> => {
  await q.query(
    `INSERT INTO calls AS c (account_id, line_id, contact_id, provider_call_id, direction, from_number, to_number, source, status, answered_at, meta, recording_url)
     VALUES ($1, $2, (SELECT k.id FROM contacts k WHERE k.account_id = $1 AND k.phone = $4 LIMIT 1), $3, 'inbound', $4, $5, 'ivr', 'in-progress', now(),
             jsonb_build_object('activationId', $6::text), $7)
     ON CONFLICT (provider_call_id) DO UPDATE SET meta = c.meta || jsonb_build_object('activationId', $6::text),
       recording_url = COALESCE($7, c.recording_url), updated_at = now()
     WHERE c.account_id = $1`,
    [call.accountId, call.lineId, call.providerCallId, call.from, call.to, activationId, recordingUrl],
  );
};

const FINAL_MESSAGE = ['delivered', 'undelivered', 'failed', 'read'];
const FINAL_CALL = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];

/**
 * Applies a message status callback unless an equal or later one was applied (by carrier
 * sequence number; without one, a final status is never replaced by an earlier stage).
 * Returns false when the row is unknown or the callback is stale.
 */
export const applyMessageStatus = async (
  q: Queryable,
  e: { accountId: string; providerId: string; status: string; errorCode: string | null; sequence: number | null },
): Promise<boolean> => {
  const r = await q.query(
    `UPDATE messages SET status = $3, error_code = COALESCE($4, error_code), last_sequence = COALESCE($5, last_sequence)
      WHERE account_id = $1 AND provider_id = $2 AND direction = 'outbound'
        AND CASE WHEN $5::int IS NOT NULL AND last_sequence IS NOT NULL THEN last_sequence < $5::int
                 ELSE NOT (status = ANY($6::text[])) OR $3 = 'read' END`,
    [e.accountId, e.providerId, e.status, e.errorCode, e.sequence, FINAL_MESSAGE],
  );
  return (r.rowCount ?? 0) > 0;
};

export type CallStatusRow = {
  accountId: string;
  lineId: string | null;
  providerCallId: string;
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string | null;
  status: string;
  durationSeconds: number | null;
  sequence: number | null;
};

/** Upserts a call's carrier status with the same ordering rule as messages. */
export const applyCallStatus = async (q: Queryable, e: CallStatusRow): Promise<boolean> => {
  const r = await q.query(
    `INSERT INTO calls AS c (account_id, line_id, provider_call_id, direction, from_number, to_number, status, duration_seconds, last_sequence,
                             answered_at, ended_at, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
             CASE WHEN $7 = 'in-progress' OR ($7 = 'completed' AND COALESCE($8, 0) > 0) THEN now() END,
             CASE WHEN $7 = ANY($10::text[]) THEN now() END,
             CASE WHEN $7 = 'completed' AND COALESCE($8, 0) > 0 THEN 'answered' WHEN $7 = ANY($10::text[]) THEN 'missed' END)
     ON CONFLICT (provider_call_id) DO UPDATE SET
       status = EXCLUDED.status,
       duration_seconds = COALESCE(EXCLUDED.duration_seconds, c.duration_seconds),
       last_sequence = COALESCE(EXCLUDED.last_sequence, c.last_sequence),
       answered_at = COALESCE(c.answered_at, EXCLUDED.answered_at),
       ended_at = COALESCE(c.ended_at, EXCLUDED.ended_at),
       outcome = COALESCE(EXCLUDED.outcome, c.outcome),
       updated_at = now()
     WHERE c.account_id = EXCLUDED.account_id
       AND CASE WHEN EXCLUDED.last_sequence IS NOT NULL AND c.last_sequence IS NOT NULL THEN c.last_sequence < EXCLUDED.last_sequence
                ELSE NOT (c.status = ANY($10::text[])) END`,
    [e.accountId, e.lineId, e.providerCallId, e.direction, e.from, e.to, e.status, e.durationSeconds, e.sequence, FINAL_CALL],
  );
  return (r.rowCount ?? 0) > 0;
};

export const conversationRepo = { insertMessage, linkMessageActivation, noteCallActivation, applyMessageStatus, applyCallStatus };
export type ConversationRepo = typeof conversationRepo;
