/**
 * Reading call tracking: the tracked calls (`GET /v1/calls`) and every post-call workflow
 * evaluation (`GET /v1/tracking-logs`), newest first, filtered, keyset-paged. A log's action
 * results are joined with their deliveries' current status (queued, delivered, failed…).
 */
import type { Db } from '../db/db.js';
import { decodeCursor } from '../db/pagination.js';
import { NotFoundError } from '../errors.js';
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
export type TrackingLogView = {
  id: string; callId: string; workflowId: string; workflowName: string; trigger: string; caller: string; lineId: string | null; source: string;
  matched: boolean; reason: string | null; conditions: unknown[]; status: string; activationId: string | null; createdAt: Date;
  actions: Array<Omit<ActionResult, 'deliveryIds' | 'deliveryKeys'> & { deliveries: DeliveryView[] }>;
};

const encode = (t: string, id: string) => Buffer.from(JSON.stringify({ t, id })).toString('base64url');
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

const page = <T extends { id: string }>(rows: Array<Record<string, any>>, limit: number, map: (r: Record<string, any>) => T) => {
  const more = rows.length > limit;
  const slice = rows.slice(0, limit);
  const last = slice[slice.length - 1];
  return { data: slice.map(map), nextCursor: more && last ? encode(last._t, last._id) : null };
};

const toCallView = (r: Record<string, any>): TrackedCallView => ({
  id: r.call_id, callSid: r.provider_call_id, caller: r.caller, contactId: r.contact_id, lineId: r.line_id, source: r.source,
  status: r.ended_at ? 'ended' : 'in-progress', outcome: r.outcome, endReason: r.end_reason, talkSeconds: r.talk_seconds,
  recordingUrl: r.recording_url, forwardedTo: r.forward_to, ringStrategy: r.strategy, answeredBy: r.answered_number,
  startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at, visitor: r.visitor ?? null,
});

export const createTrackingLogsService = (deps: { db: Db }) => {
  const { db } = deps;

  const withDeliveries = async (accountId: string, rows: Array<Record<string, any>>): Promise<TrackingLogView[]> => {
    const ids = rows.flatMap((r) => (r.actions as ActionResult[]).flatMap((a) => a.deliveryIds ?? []));
    const found = ids.length === 0 ? { rows: [] } : await db.query(
      'SELECT id, channel, address, status, skip_reason, error_code, error_message FROM deliveries WHERE account_id = $1 AND id = ANY($2::uuid[])',
      [accountId, ids],
    );
    const byId = new Map(found.rows.map((d) => [d.id as string, {
      id: d.id, channel: d.channel, address: d.channel === 'webhook' ? null : d.address, status: d.status, skipReason: d.skip_reason, errorCode: d.error_code, errorMessage: d.error_message,
    } as DeliveryView]));
    return rows.map((r) => ({
      id: r.id, callId: r.call_id, workflowId: r.workflow_id, workflowName: r.workflow_name, trigger: r.trigger, caller: r.caller,
      lineId: r.line_id, source: r.source, matched: r.matched, reason: r.reason, conditions: r.conditions, status: r.status,
      activationId: r.activation_id, createdAt: r.created_at,
      actions: (r.actions as ActionResult[]).map(({ deliveryIds, deliveryKeys: _k, ...a }) => ({ ...a, deliveries: (deliveryIds ?? []).flatMap((id) => byId.get(id) ?? []) })),
    }));
  };

  return {
    async listCalls(accountId: string, f: CallFilter) {
      const params: unknown[] = [accountId];
      let sql = `SELECT t.*, c.contact_id, ${ts('t.started_at')} AS _t, t.call_id AS _id FROM tracked_calls t JOIN calls c ON c.id = t.call_id
                  WHERE t.account_id = $1${where(f, params, { time: 't.started_at', id: 't.call_id', line: 't.line_id', caller: 't.caller', source: 't.source' })}`;
      if (f.outcome) {
        params.push(f.outcome);
        sql += ` AND t.outcome = $${params.length}`;
      }
      params.push(f.limit + 1);
      const r = await db.query(`${sql} ORDER BY t.started_at DESC, t.call_id DESC LIMIT $${params.length}`, params);
      return page(r.rows, f.limit, toCallView);
    },

    /** One tracked call with every workflow evaluation it caused. */
    async getCall(accountId: string, id: string): Promise<TrackedCallView & { logs: TrackingLogView[] }> {
      const r = await db.query('SELECT t.*, c.contact_id FROM tracked_calls t JOIN calls c ON c.id = t.call_id WHERE t.account_id = $1 AND t.call_id = $2', [accountId, id]);
      if (!r.rows[0]) throw new NotFoundError('call');
      const logs = await db.query('SELECT * FROM tracking_logs WHERE account_id = $1 AND call_id = $2 ORDER BY created_at, id', [accountId, id]);
      return { ...toCallView(r.rows[0]), logs: await withDeliveries(accountId, logs.rows) };
    },

    async listLogs(accountId: string, f: LogFilter) {
      const params: unknown[] = [accountId];
      let sql = `SELECT *, ${ts('created_at')} AS _t, id AS _id FROM tracking_logs
                  WHERE account_id = $1${where(f, params, { time: 'created_at', id: 'id', line: 'line_id', caller: 'caller', source: 'source' })}`;
      for (const [col, v] of [['workflow_id', f.workflowId], ['call_id', f.callId], ['matched', f.matched]] as const) {
        if (v === undefined) continue;
        params.push(v);
        sql += ` AND ${col} = $${params.length}`;
      }
      params.push(f.limit + 1);
      const r = await db.query(`${sql} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
      const p = page(r.rows, f.limit, (x) => x as Record<string, any> & { id: string });
      return { data: await withDeliveries(accountId, p.data), nextCursor: p.nextCursor };
    },
  };
};

export type TrackingLogsService = ReturnType<typeof createTrackingLogsService>;
