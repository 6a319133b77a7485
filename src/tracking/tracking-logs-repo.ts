/**
 * Tracking logs (one row per call and post-call workflow: the evaluation and its action results)
 * and the read side of tracked calls, newest first, filtered, keyset-paged on (time, id).
 */
import type { Queryable } from '../db/db.js';
import { decodeCursor } from '../db/pagination.js';
import type { VisitorData } from './dni-types.js';
import type { ActionResult } from './tracking-actions.js';

export type CallFilter = { from?: Date; to?: Date; caller?: string; lineId?: string; source?: string; outcome?: 'answered' | 'missed'; limit: number; cursor?: string };
export type LogFilter = Omit<CallFilter, 'outcome'> & { workflowId?: string; callId?: string; matched?: boolean };

export type TrackedCallView = {
  id: string; callSid: string; caller: string; contactId: string | null; lineId: string | null; source: string;
  status: 'in-progress' | 'ended'; outcome: 'answered' | 'missed' | null; endReason: string | null; talkSeconds: number | null;
  recordingUrl: string | null; forwardedTo: string[]; ringStrategy: string; answeredBy: string | null;
  startedAt: Date; answeredAt: Date | null; endedAt: Date | null;
  /** The website session the call was attributed to (DNI): utm fields, referrer host, click id, landing page. */
  visitor: VisitorData | null;
};

export type DeliveryView = { id: string; channel: string; address: string | null; status: string; skipReason: string | null; errorCode: string | null; errorMessage: string | null };

/** A stored evaluation, its action results as written (with delivery ids). */
export type TrackingLogRow = {
  id: string; callId: string; workflowId: string; workflowName: string; trigger: string; caller: string; lineId: string | null; source: string;
  matched: boolean; reason: string | null; conditions: unknown[]; status: string; activationId: string | null; createdAt: Date; actions: ActionResult[];
};

/** A page row and its keyset key (microsecond timestamp text, id). */
export type Keyed<T> = { row: T; key: { t: string; id: string } };

const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** WHERE clauses shared by both lists; pushes parameters. Newest first by `timeCol`, then id. */
const where = (f: LogFilter & { outcome?: string }, params: unknown[], cols: { time: string; id: string; line: string; caller: string; source: string }) => {
  const parts: string[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    parts.push(sql.replace('?', `$${params.length}`));
  };
  if (f.from) add(`${cols.time} >= ?`, f.from);
  if (f.to) add(`${cols.time} < ?`, f.to);
  if (f.caller) add(`${cols.caller} = ?`, f.caller);
  if (f.lineId) add(`${cols.line} = ?`, f.lineId);
  if (f.source) add(`lower(${cols.source}) = lower(?)`, f.source);
  if (f.cursor) {
    const k = decodeCursor(f.cursor);
    params.push(k.t, k.id);
    parts.push(`(${cols.time}, ${cols.id}) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  return parts.map((p) => ` AND ${p}`).join('');
};

const toCallView = (r: Record<string, any>): TrackedCallView => ({
  id: r.call_id, callSid: r.provider_call_id, caller: r.caller, contactId: r.contact_id, lineId: r.line_id, source: r.source,
  status: r.ended_at ? 'ended' : 'in-progress', outcome: r.outcome, endReason: r.end_reason, talkSeconds: r.talk_seconds,
  recordingUrl: r.recording_url, forwardedTo: r.forward_to, ringStrategy: r.strategy, answeredBy: r.answered_number,
  startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at, visitor: r.visitor ?? null,
});

const toLogRow = (r: Record<string, any>): TrackingLogRow => ({
  id: r.id, callId: r.call_id, workflowId: r.workflow_id, workflowName: r.workflow_name, trigger: r.trigger, caller: r.caller,
  lineId: r.line_id, source: r.source, matched: r.matched, reason: r.reason, conditions: r.conditions, status: r.status,
  activationId: r.activation_id, createdAt: r.created_at, actions: r.actions,
});

/** Up to `limit` tracked calls matching the filter (cursor included), newest first. */
export const listTrackedCalls = async (q: Queryable, accountId: string, f: CallFilter, limit: number): Promise<Array<Keyed<TrackedCallView>>> => {
  const params: unknown[] = [accountId];
  let sql = `SELECT t.*, c.contact_id, ${ts('t.started_at')} AS _t, t.call_id AS _id FROM tracked_calls t JOIN calls c ON c.id = t.call_id
              WHERE t.account_id = $1${where(f, params, { time: 't.started_at', id: 't.call_id', line: 't.line_id', caller: 't.caller', source: 't.source' })}`;
  if (f.outcome) {
    params.push(f.outcome);
    sql += ` AND t.outcome = $${params.length}`;
  }
  params.push(limit);
  const r = await q.query(`${sql} ORDER BY t.started_at DESC, t.call_id DESC LIMIT $${params.length}`, params);
  return r.rows.map((x) => ({ row: toCallView(x), key: { t: x._t, id: x._id } }));
};

export const findTrackedCallView = async (q: Queryable, accountId: string, callId: string): Promise<TrackedCallView | null> => {
  const r = await q.query('SELECT t.*, c.contact_id FROM tracked_calls t JOIN calls c ON c.id = t.call_id WHERE t.account_id = $1 AND t.call_id = $2', [accountId, callId]);
  return r.rows[0] ? toCallView(r.rows[0]) : null;
};

/** Every evaluation of one call, oldest first. */
export const logsOfCall = async (q: Queryable, accountId: string, callId: string): Promise<TrackingLogRow[]> => {
  const r = await q.query('SELECT * FROM tracking_logs WHERE account_id = $1 AND call_id = $2 ORDER BY created_at, id', [accountId, callId]);
  return r.rows.map(toLogRow);
};

/** Up to `limit` evaluations matching the filter (cursor included), newest first. */
export const listTrackingLogs = async (q: Queryable, accountId: string, f: LogFilter, limit: number): Promise<Array<Keyed<TrackingLogRow>>> => {
  const params: unknown[] = [accountId];
  let sql = `SELECT *, ${ts('created_at')} AS _t, id AS _id FROM tracking_logs
              WHERE account_id = $1${where(f, params, { time: 'created_at', id: 'id', line: 'line_id', caller: 'caller', source: 'source' })}`;
  for (const [col, v] of [['workflow_id', f.workflowId], ['call_id', f.callId], ['matched', f.matched]] as const) {
    if (v === undefined) continue;
    params.push(v);
    sql += ` AND ${col} = $${params.length}`;
  }
  params.push(limit);
  const r = await q.query(`${sql} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
  return r.rows.map((x) => ({ row: toLogRow(x), key: { t: x._t, id: x._id } }));
};

/** The deliveries' current state (a webhook's address is not shown). */
export const deliveryViews = async (q: Queryable, accountId: string, ids: string[]): Promise<DeliveryView[]> => {
  if (ids.length === 0) return [];
  const r = await q.query(
    'SELECT id, channel, address, status, skip_reason, error_code, error_message FROM deliveries WHERE account_id = $1 AND id = ANY($2::uuid[])',
    [accountId, ids],
  );
  return r.rows.map((d) => ({
    id: d.id, channel: d.channel, address: d.channel === 'webhook' ? null : d.address, status: d.status, skipReason: d.skip_reason,
    errorCode: d.error_code, errorMessage: d.error_message,
  }));
};

/** The evaluation of this call by this workflow, if logged. */
export const findLogOfWorkflow = async (
  q: Queryable, callId: string, workflowId: string,
): Promise<{ id: string; status: string; actions: ActionResult[] } | null> => {
  const r = await q.query('SELECT id, status, actions FROM tracking_logs WHERE call_id = $1 AND workflow_id = $2', [callId, workflowId]);
  return r.rows[0] ? { id: r.rows[0].id, status: r.rows[0].status, actions: r.rows[0].actions } : null;
};

export type NewTrackingLog = Pick<TrackingLogRow,
  'callId' | 'workflowId' | 'workflowName' | 'trigger' | 'caller' | 'lineId' | 'source' | 'matched' | 'reason' | 'conditions' | 'status'> & { accountId: string };

/** Logs an evaluation once per (call, workflow): its id, or null when another run logged it first. */
export const insertTrackingLog = async (q: Queryable, l: NewTrackingLog): Promise<string | null> => {
  const r = await q.query(
    `INSERT INTO tracking_logs (account_id, call_id, workflow_id, workflow_name, trigger, caller, line_id, source, matched, reason, conditions, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (call_id, workflow_id) DO NOTHING RETURNING id`,
    [l.accountId, l.callId, l.workflowId, l.workflowName, l.trigger, l.caller, l.lineId, l.source, l.matched, l.reason, JSON.stringify(l.conditions), l.status],
  );
  return r.rows[0]?.id ?? null;
};

/** Stores the action results and status (and the activation, when given). */
export const updateTrackingLog = async (q: Queryable, id: string, actions: ActionResult[], status: 'running' | 'done', activationId?: string | null): Promise<void> => {
  await q.query('UPDATE tracking_logs SET actions = $2, status = $3, activation_id = COALESCE($4, activation_id) WHERE id = $1', [id, JSON.stringify(actions), status, activationId ?? null]);
};

export const trackingLogsRepo = {
  listTrackedCalls, findTrackedCallView, logsOfCall, listTrackingLogs, deliveryViews, findLogOfWorkflow, insertTrackingLog, updateTrackingLog,
};
export type TrackingLogsRepo = typeof trackingLogsRepo;
