import { mapPgError, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { AppError, ConflictError } from '../errors.js';
import type { LineSettings } from './line-settings.js';

export type Line = {
  id: string;
  phoneNumber: string;
  name: string;
  provider: 'twilio' | 'simulator';
  carrierConnectionId: string | null;
  /** Twilio lines only: texts go out through this Messaging Service (`MG…`) instead of from the number. */
  messagingServiceSid: string | null;
  mode: 'activation' | 'tracking';
  greeting: string;
  settings: LineSettings;
  createdAt: Date;
  updatedAt: Date;
};

/** Every column of a line but its id and timestamps, as the service settled them. */
export type LineValues = {
  phoneNumber: string; name: string; provider: Line['provider']; carrierConnectionId: string | null; mode: Line['mode'];
  greeting: string; settings: LineSettings; messagingServiceSid: string | null;
};

export const toLine = (r: Record<string, any>): Line => ({
  id: r.id, phoneNumber: r.phone_number, name: r.name, provider: r.provider, carrierConnectionId: r.carrier_connection_id,
  messagingServiceSid: r.messaging_service_sid ?? null,
  mode: r.mode, greeting: r.greeting, settings: r.settings, createdAt: r.created_at, updatedAt: r.updated_at,
});

const numberTaken = () =>
  new ConflictError('phoneNumber: this number already belongs to a line', 'conflict', [{ path: 'phoneNumber', message: 'already belongs to a line' }]);

const mapLineError = (err: unknown): never => {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'lines_phone_uniq') throw numberTaken();
  if (e.code === '23503') throw new AppError('invalid_reference', 'carrierConnectionId: no such carrier connection', { status: 400, details: [{ path: 'carrierConnectionId', message: 'no such carrier connection' }] });
  return mapPgError(err);
};

/** The line in this account; `lock` takes its row lock for an edit. */
export const findLine = async (q: Queryable, accountId: string, id: string, lock = false): Promise<Line | null> => {
  const res = await q.query(`SELECT * FROM lines WHERE account_id = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [accountId, id]);
  return res.rows[0] ? toLine(res.rows[0]) : null;
};

export const listLines = async (q: Queryable, accountId: string, page: PageQuery): Promise<Page<Line>> => {
  const params: unknown[] = [accountId];
  const res = await q.query(`SELECT *, ${cursorColumn()} FROM lines WHERE account_id = $1 ${pageClause(page, params)}`, params);
  return toPage(res.rows, page, toLine);
};

export const carrierConnectionExists = async (q: Queryable, accountId: string, connectionId: string): Promise<boolean> => {
  const res = await q.query('SELECT 1 FROM carrier_connections WHERE account_id = $1 AND id = $2', [accountId, connectionId]);
  return (res.rowCount ?? 0) > 0;
};

/** 409 naming `phoneNumber` when any account has the number; 400 for an unknown carrier connection. */
export const insertLine = async (q: Queryable, accountId: string, v: LineValues): Promise<Line> => {
  const res = await q
    .query(
      `INSERT INTO lines (account_id, phone_number, name, provider, carrier_connection_id, mode, greeting, settings, messaging_service_sid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING *`,
      [accountId, v.phoneNumber, v.name, v.provider, v.carrierConnectionId, v.mode, v.greeting, JSON.stringify(v.settings), v.messagingServiceSid],
    )
    .catch(mapLineError);
  return toLine(res.rows[0]);
};

/** Replaces every column (errors as `insertLine`). */
export const updateLine = async (q: Queryable, accountId: string, id: string, v: LineValues): Promise<Line> => {
  const res = await q
    .query(
      `UPDATE lines SET phone_number = $3, name = $4, provider = $5, carrier_connection_id = $6, mode = $7, greeting = $8,
              settings = $9, messaging_service_sid = $10, updated_at = now()
        WHERE id = $1 AND account_id = $2 RETURNING *`,
      [id, accountId, v.phoneNumber, v.name, v.provider, v.carrierConnectionId, v.mode, v.greeting, JSON.stringify(v.settings), v.messagingServiceSid],
    )
    .catch(mapLineError);
  return toLine(res.rows[0]);
};

/** How a workflow uses a line. */
export type LineUse = 'code_activation' | 'conference' | 'pager';
export type LinkedWorkflow = { id: string; name: string; status: string; uses: LineUse[] };

/** Workflows (not deleted) whose current version uses the line, and how, oldest first. */
export const workflowsUsingLine = async (q: Queryable, accountId: string, id: string): Promise<LinkedWorkflow[]> => {
  const res = await q.query(
    `SELECT w.id, w.name, w.status,
            (w.code_line_id = $2) AS code,
            EXISTS (SELECT 1 FROM workflow_conference_lines c WHERE c.line_id = $2 AND c.workflow_id = w.id) AS conference,
            (v.definition->'actions') @> jsonb_build_array(jsonb_build_object('type', 'pager', 'lineId', $2::text)) AS pager
       FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
      WHERE w.account_id = $1 AND w.deleted_at IS NULL
        AND (w.code_line_id = $2
             OR EXISTS (SELECT 1 FROM workflow_conference_lines c WHERE c.line_id = $2 AND c.workflow_id = w.id)
             OR (v.definition->'actions') @> jsonb_build_array(jsonb_build_object('type', 'pager', 'lineId', $2::text)))
      ORDER BY w.created_at, w.id`,
    [accountId, id],
  );
  return res.rows.map((r) => ({
    id: r.id, name: r.name, status: r.status,
    uses: [r.code && 'code_activation', r.conference && 'conference', r.pager && 'pager'].filter(Boolean) as LineUse[],
  }));
};

export const deleteLine = async (q: Queryable, id: string): Promise<void> => {
  await q.query('DELETE FROM lines WHERE id = $1', [id]);
};

export const linesRepo = { findLine, listLines, carrierConnectionExists, insertLine, updateLine, workflowsUsingLine, deleteLine };
export type LinesRepo = typeof linesRepo;
