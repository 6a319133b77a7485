/**
 * Tracked calls: the `calls` row every feature reads (caller, line, source, start, outcome,
 * talk duration, recording) and its `tracked_calls` companion (forwarding plan, leg facts, the
 * once-only end marker).
 */
import type { Queryable } from '../db/db.js';
import type { VisitorData } from './dni-types.js';
import type { EndReason } from './tracking-types.js';

export type TrackedCall = {
  callId: string;
  accountId: string;
  lineId: string | null;
  providerCallId: string;
  caller: string;
  calledNumber: string | null;
  contactId: string | null;
  source: string;
  startedAt: Date;
  numbers: string[];
  strategy: 'sequential' | 'simultaneous';
  ringTimeoutSeconds: number;
  record: boolean;
  answeredAt: Date | null;
  talkSeconds: number | null;
  answeredNumber: string | null;
  lastLegStatus: string | null;
  recordingUrl: string | null;
  endedAt: Date | null;
  outcome: 'answered' | 'missed' | null;
  endReason: EndReason | null;
  endedBy: string | null;
  /** The website session the call was attributed to (Dynamic Number Insertion), or null. */
  visitor?: VisitorData | null;
};

const SELECT = `SELECT t.*, c.contact_id, c.to_number FROM tracked_calls t JOIN calls c ON c.id = t.call_id`;

export const toTrackedCall = (r: Record<string, any>): TrackedCall => ({
  callId: r.call_id, accountId: r.account_id, lineId: r.line_id, providerCallId: r.provider_call_id, caller: r.caller,
  calledNumber: r.to_number ?? null, contactId: r.contact_id ?? null, source: r.source, startedAt: r.started_at,
  numbers: r.forward_to, strategy: r.strategy, ringTimeoutSeconds: r.ring_timeout, record: r.record,
  answeredAt: r.answered_at, talkSeconds: r.talk_seconds, answeredNumber: r.answered_number, lastLegStatus: r.last_leg_status,
  recordingUrl: r.recording_url, endedAt: r.ended_at, outcome: r.outcome, endReason: r.end_reason, endedBy: r.ended_by,
  visitor: r.visitor ?? null,
});

export type NewTrackedCall = {
  accountId: string; lineId: string; contactId: string | null; providerCallId: string; caller: string; called: string;
  source: string; startedAt: Date; numbers: string[]; strategy: 'sequential' | 'simultaneous'; ringTimeoutSeconds: number; record: boolean;
  /** The DNI session the call is attributed to (its source is then `source`). */
  dniAssignmentId?: string | null; visitor?: VisitorData | null;
};

/**
 * Stores the call once (a carrier retry of the first webhook finds the first row and its plan).
 * Both statements run as one: the `calls` row and its tracking row exist together or not at all.
 */
export const insertTrackedCall = async (q: Queryable, c: NewTrackedCall): Promise<TrackedCall> => {
  await q.query(
    `WITH call AS (
       INSERT INTO calls (account_id, line_id, contact_id, provider_call_id, direction, from_number, to_number, source, status, started_at)
       VALUES ($1, $2, $3, $4, 'inbound', $5, $6, $7, 'ringing', $8)
       ON CONFLICT (provider_call_id) DO UPDATE SET line_id = COALESCE(calls.line_id, EXCLUDED.line_id),
         contact_id = COALESCE(calls.contact_id, EXCLUDED.contact_id), source = COALESCE(calls.source, EXCLUDED.source),
         from_number = COALESCE(calls.from_number, EXCLUDED.from_number), updated_at = now()
       WHERE calls.account_id = EXCLUDED.account_id
       RETURNING id, started_at
     )
     INSERT INTO tracked_calls (call_id, account_id, line_id, provider_call_id, caller, source, started_at, forward_to, strategy, ring_timeout, record,
                                dni_assignment_id, visitor)
     SELECT id, $1, $2, $4, $5, $7, started_at, $9, $10, $11, $12, $13, $14 FROM call
     ON CONFLICT (call_id) DO NOTHING`,
    [c.accountId, c.lineId, c.contactId, c.providerCallId, c.caller, c.called, c.source, c.startedAt, c.numbers, c.strategy, c.ringTimeoutSeconds, c.record,
      c.dniAssignmentId ?? null, c.visitor ? JSON.stringify(c.visitor) : null],
  );
  const found = await findTrackedCall(q, c.providerCallId);
  if (!found || found.accountId !== c.accountId) throw new Error('tracked call could not be stored');
  return found;
};

export const findTrackedCall = async (q: Queryable, providerCallId: string): Promise<TrackedCall | null> => {
  const r = await q.query(`${SELECT} WHERE t.provider_call_id = $1`, [providerCallId]);
  return r.rows[0] ? toTrackedCall(r.rows[0]) : null;
};

export const findTrackedCallById = async (q: Queryable, accountId: string, callId: string): Promise<TrackedCall | null> => {
  const r = await q.query(`${SELECT} WHERE t.account_id = $1 AND t.call_id = $2`, [accountId, callId]);
  return r.rows[0] ? toTrackedCall(r.rows[0]) : null;
};

/** A leg was answered (first answer wins) and/or finished talking; harmless when repeated; frozen once the call ended. */
export const noteLeg = async (
  q: Queryable, callId: string,
  f: { answeredAt?: Date | null; number?: string | null; talkSeconds?: number | null; missedStatus?: string | null },
): Promise<void> => {
  await q.query(
    `UPDATE tracked_calls SET
       answered_at = COALESCE(answered_at, $2),
       answered_number = CASE WHEN $2::timestamptz IS NOT NULL OR $4::int IS NOT NULL THEN COALESCE(answered_number, $3) ELSE answered_number END,
       talk_seconds = GREATEST(talk_seconds, $4),
       last_leg_status = COALESCE($5, last_leg_status)
     WHERE call_id = $1 AND ended_at IS NULL`,
    [callId, f.answeredAt ?? null, f.number ?? null, f.talkSeconds ?? null, f.missedStatus ?? null],
  );
};

/** The recording may arrive after the call ended: kept on both rows whenever it comes. */
export const noteRecording = async (q: Queryable, callId: string, url: string): Promise<void> => {
  await q.query(
    `WITH t AS (UPDATE tracked_calls SET recording_url = $2 WHERE call_id = $1)
     UPDATE calls SET recording_url = $2, updated_at = now() WHERE id = $1`,
    [callId, url],
  );
};

export type CallEnd = {
  outcome: 'answered' | 'missed';
  reason: EndReason;
  talkSeconds: number;
  answeredNumber: string | null;
  recordingUrl: string | null;
  endedBy: 'dial-action' | 'leg-status' | 'call-status';
  at: Date;
};

/**
 * Ends the call exactly once, whatever process and whichever callback gets here first: the
 * conditional UPDATE (`ended_at IS NULL`) lets one transaction through; the others get null.
 * The winner also writes the outcome onto `calls`, the record other features read.
 */
export const endCall = async (q: Queryable, callId: string, e: CallEnd): Promise<TrackedCall | null> => {
  const r = await q.query(
    `UPDATE tracked_calls SET ended_at = $2, outcome = $3, end_reason = $4, talk_seconds = $5,
            answered_number = COALESCE(answered_number, $6), recording_url = COALESCE(recording_url, $7), ended_by = $8
      WHERE call_id = $1 AND ended_at IS NULL
      RETURNING *`,
    [callId, e.at, e.outcome, e.reason, e.talkSeconds, e.answeredNumber, e.recordingUrl, e.endedBy],
  );
  if (!r.rows[0]) return null;
  await syncCallRow(q, callId);
  return findTrackedCallById(q, r.rows[0].account_id, callId);
};

/**
 * Writes the tracked outcome onto `calls` (status, outcome, talk duration, times, recording).
 * Also used to put it back after a late carrier callback overwrote the generic columns.
 */
export const syncCallRow = async (q: Queryable, callId: string): Promise<void> => {
  await q.query(
    `UPDATE calls c SET outcome = t.outcome,
            status = CASE WHEN t.outcome = 'answered' THEN 'completed' ELSE t.end_reason END,
            duration_seconds = t.talk_seconds, answered_at = t.answered_at, ended_at = t.ended_at,
            recording_url = COALESCE(t.recording_url, c.recording_url), updated_at = now()
       FROM tracked_calls t
      WHERE c.id = $1 AND t.call_id = c.id AND t.ended_at IS NOT NULL
        AND (c.outcome IS DISTINCT FROM t.outcome OR c.duration_seconds IS DISTINCT FROM t.talk_seconds OR c.ended_at IS DISTINCT FROM t.ended_at
             OR c.answered_at IS DISTINCT FROM t.answered_at OR (t.recording_url IS NOT NULL AND c.recording_url IS DISTINCT FROM t.recording_url))`,
    [callId],
  );
};

/**
 * Tracked calls from `caller` to the account that started before this call (ties broken by
 * id), plus this one; `sinceDays` limits them to the window ending at this call's start.
 * Counted from stored rows, so concurrent calls and late callbacks never change the answer.
 */
export const countCallerCalls = async (q: Queryable, call: Pick<TrackedCall, 'accountId' | 'caller' | 'startedAt' | 'callId'>, sinceDays: number | null): Promise<number> => {
  const r = await q.query(
    `SELECT count(*)::int AS n FROM tracked_calls
      WHERE account_id = $1 AND caller = $2
        AND (started_at, call_id) <= ($3::timestamptz, $4::uuid)
        AND ($5::int IS NULL OR started_at >= $3::timestamptz - make_interval(days => $5::int))`,
    [call.accountId, call.caller, call.startedAt, call.callId, sinceDays],
  );
  return r.rows[0].n as number;
};

export const trackedCallsRepo = { insertTrackedCall, findTrackedCall, findTrackedCallById, noteLeg, noteRecording, endCall, syncCallRow, countCallerCalls };
export type TrackedCallsRepo = typeof trackedCallsRepo;
