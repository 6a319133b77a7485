/**
 * Dynamic Number Insertion storage: the account's DNI settings (public key, allowed origins,
 * session length), number pools per source with their tracking lines, and visitor assignments.
 */
import type { Queryable } from '../db/db.js';
import type { DniMatch, DniPool, DniSettings, Visit } from './dni-types.js';

const toSettings = (r: Record<string, any>): DniSettings => ({
  accountId: r.account_id, publicKey: r.public_key, allowedOrigins: r.allowed_origins, sessionMinutes: r.session_minutes,
});

export const findSettings = async (q: Queryable, accountId: string): Promise<DniSettings | null> => {
  const r = await q.query('SELECT * FROM dni_settings WHERE account_id = $1', [accountId]);
  return r.rows[0] ? toSettings(r.rows[0]) : null;
};

export const findSettingsByKey = async (q: Queryable, publicKey: string): Promise<DniSettings | null> => {
  const r = await q.query('SELECT * FROM dni_settings WHERE public_key = $1', [publicKey]);
  return r.rows[0] ? toSettings(r.rows[0]) : null;
};

/** The account's settings, created with `newKey` the first time (a concurrent first call keeps the winner's key). */
export const ensureSettings = async (q: Queryable, accountId: string, newKey: string): Promise<DniSettings> => {
  await q.query('INSERT INTO dni_settings (account_id, public_key) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING', [accountId, newKey]);
  return (await findSettings(q, accountId))!;
};

export const updateSettings = async (q: Queryable, accountId: string, s: { allowedOrigins: string[]; sessionMinutes: number }): Promise<void> => {
  await q.query(
    'UPDATE dni_settings SET allowed_origins = $2, session_minutes = $3, updated_at = now() WHERE account_id = $1',
    [accountId, s.allowedOrigins, s.sessionMinutes],
  );
};

export const setKey = async (q: Queryable, accountId: string, publicKey: string): Promise<void> => {
  await q.query('UPDATE dni_settings SET public_key = $2, updated_at = now() WHERE account_id = $1', [accountId, publicKey]);
};

const POOL_SELECT = `SELECT p.*, COALESCE(json_agg(json_build_object('id', l.id, 'phoneNumber', l.phone_number, 'name', l.name)
    ORDER BY pl.position) FILTER (WHERE l.id IS NOT NULL), '[]') AS lines
  FROM dni_pools p LEFT JOIN dni_pool_lines pl ON pl.pool_id = p.id LEFT JOIN lines l ON l.id = pl.line_id`;

const toPool = (r: Record<string, any>): DniPool => ({
  id: r.id, source: r.source, default: r.is_default, match: r.match as DniMatch, lines: r.lines, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const listPools = async (q: Queryable, accountId: string): Promise<DniPool[]> => {
  const r = await q.query(`${POOL_SELECT} WHERE p.account_id = $1 GROUP BY p.id ORDER BY p.is_default, lower(p.source)`, [accountId]);
  return r.rows.map(toPool);
};

export const findPool = async (q: Queryable, accountId: string, id: string): Promise<DniPool | null> => {
  const r = await q.query(`${POOL_SELECT} WHERE p.account_id = $1 AND p.id = $2 GROUP BY p.id`, [accountId, id]);
  return r.rows[0] ? toPool(r.rows[0]) : null;
};

/** The lines named, as far as they are the account's: their mode and the pool they are in. */
export const linesForPool = async (q: Queryable, accountId: string, lineIds: string[]): Promise<Array<{ id: string; mode: string; poolId: string | null }>> => {
  const r = await q.query(
    `SELECT l.id, l.mode, pl.pool_id FROM lines l LEFT JOIN dni_pool_lines pl ON pl.line_id = l.id
      WHERE l.account_id = $1 AND l.id = ANY($2::uuid[])`,
    [accountId, lineIds],
  );
  return r.rows.map((x) => ({ id: x.id, mode: x.mode, poolId: x.pool_id }));
};

export type PoolRow = { source: string; isDefault: boolean; match: DniMatch };

export const insertPool = async (q: Queryable, accountId: string, p: PoolRow): Promise<string> => {
  const r = await q.query(
    'INSERT INTO dni_pools (account_id, source, is_default, match) VALUES ($1, $2, $3, $4) RETURNING id',
    [accountId, p.source, p.isDefault, JSON.stringify(p.match)],
  );
  return r.rows[0].id;
};

export const updatePool = async (q: Queryable, accountId: string, id: string, p: PoolRow): Promise<boolean> => {
  const r = await q.query(
    'UPDATE dni_pools SET source = $3, is_default = $4, match = $5, updated_at = now() WHERE account_id = $1 AND id = $2',
    [accountId, id, p.source, p.isDefault, JSON.stringify(p.match)],
  );
  return (r.rowCount ?? 0) > 0;
};

export const deletePool = async (q: Queryable, accountId: string, id: string): Promise<boolean> => {
  const r = await q.query('DELETE FROM dni_pools WHERE account_id = $1 AND id = $2', [accountId, id]);
  return (r.rowCount ?? 0) > 0;
};

/** Sets the pool's lines in order; lines kept keep their last assignment time (least-recently-assigned order). */
export const setPoolLines = async (q: Queryable, accountId: string, poolId: string, lineIds: string[]): Promise<void> => {
  await q.query('DELETE FROM dni_pool_lines WHERE pool_id = $1 AND NOT (line_id = ANY($2::uuid[]))', [poolId, lineIds]);
  await q.query(
    `INSERT INTO dni_pool_lines (line_id, pool_id, account_id, position)
     SELECT id, $1, $2, ord FROM unnest($3::uuid[]) WITH ORDINALITY AS t(id, ord)
     ON CONFLICT (line_id) DO UPDATE SET position = EXCLUDED.position WHERE dni_pool_lines.pool_id = EXCLUDED.pool_id`,
    [poolId, accountId, lineIds],
  );
};

/** The pools a visitor may match, with their match rules (no lines). */
export const poolRules = async (q: Queryable, accountId: string): Promise<Array<{ id: string; source: string; isDefault: boolean; match: DniMatch }>> => {
  const r = await q.query('SELECT id, source, is_default, match FROM dni_pools WHERE account_id = $1 ORDER BY created_at, id', [accountId]);
  return r.rows.map((x) => ({ id: x.id, source: x.source, isDefault: x.is_default, match: x.match }));
};

export type Assignment = {
  id: string; accountId: string; poolId: string | null; lineId: string; phoneNumber: string; visitorId: string; source: string;
  visit: Visit; reused: boolean; assignedAt: Date; lastSeenAt: Date; expiresAt: Date;
};

const toAssignment = (r: Record<string, any>): Assignment => ({
  id: r.id, accountId: r.account_id, poolId: r.pool_id, lineId: r.line_id, phoneNumber: r.phone_number, visitorId: r.visitor_id, source: r.source,
  visit: {
    utmSource: r.utm_source, utmMedium: r.utm_medium, utmCampaign: r.utm_campaign, referrerHost: r.referrer_host,
    clickIdType: r.click_id_type, clickId: r.click_id, landingPage: r.landing_page,
  },
  reused: r.reused, assignedAt: r.assigned_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at,
});

/**
 * The visitor's live assignment whose number is still in its pool, extended by `minutes` from
 * now (a page view keeps the session alive). Null: none, so a number is to be picked.
 */
export const renewAssignment = async (q: Queryable, accountId: string, visitorId: string, minutes: number): Promise<Assignment | null> => {
  const r = await q.query(
    `UPDATE dni_assignments a SET last_seen_at = now(), expires_at = now() + make_interval(mins => $3)
      WHERE a.id = (SELECT x.id FROM dni_assignments x JOIN dni_pool_lines pl ON pl.line_id = x.line_id AND pl.pool_id = x.pool_id
                     WHERE x.account_id = $1 AND x.visitor_id = $2 AND x.expires_at > now()
                     ORDER BY x.assigned_at DESC LIMIT 1)
      RETURNING a.*`,
    [accountId, visitorId, minutes],
  );
  return r.rows[0] ? toAssignment(r.rows[0]) : null;
};

/**
 * Locks the pool (assignments to one pool are picked one at a time across every web process)
 * and returns its next number: a line no live session holds, least recently assigned first;
 * when every number is held, the least recently assigned one (`busy`: it is reused).
 */
export const pickPoolLine = async (q: Queryable, poolId: string): Promise<{ lineId: string; phoneNumber: string; busy: boolean } | null> => {
  await q.query('SELECT id FROM dni_pools WHERE id = $1 FOR UPDATE', [poolId]);
  const r = await q.query(
    `SELECT pl.line_id, l.phone_number,
            EXISTS (SELECT 1 FROM dni_assignments a WHERE a.line_id = pl.line_id AND a.expires_at > now()) AS busy
       FROM dni_pool_lines pl JOIN lines l ON l.id = pl.line_id
      WHERE pl.pool_id = $1
      ORDER BY busy, pl.last_assigned_at NULLS FIRST, pl.position
      LIMIT 1`,
    [poolId],
  );
  return r.rows[0] ? { lineId: r.rows[0].line_id, phoneNumber: r.rows[0].phone_number, busy: r.rows[0].busy } : null;
};

export const insertAssignment = async (
  q: Queryable,
  a: { accountId: string; poolId: string; lineId: string; phoneNumber: string; visitorId: string; source: string; visit: Visit; reused: boolean; minutes: number },
): Promise<Assignment> => {
  const v = a.visit;
  const r = await q.query(
    `INSERT INTO dni_assignments (account_id, pool_id, line_id, phone_number, visitor_id, source, utm_source, utm_medium, utm_campaign,
                                  referrer_host, click_id_type, click_id, landing_page, reused, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now() + make_interval(mins => $15)) RETURNING *`,
    [a.accountId, a.poolId, a.lineId, a.phoneNumber, a.visitorId, a.source, v.utmSource, v.utmMedium, v.utmCampaign,
      v.referrerHost, v.clickIdType, v.clickId, v.landingPage, a.reused, a.minutes],
  );
  await q.query('UPDATE dni_pool_lines SET last_assigned_at = now() WHERE line_id = $1', [a.lineId]);
  return toAssignment(r.rows[0]);
};

/** The session a call to `lineId` at `at` belongs to: the most recently assigned one whose window holds `at`. */
export const sessionForCall = async (q: Queryable, accountId: string, lineId: string, at: Date): Promise<Assignment | null> => {
  const r = await q.query(
    `SELECT * FROM dni_assignments WHERE account_id = $1 AND line_id = $2 AND assigned_at <= $3 AND expires_at >= $3
      ORDER BY assigned_at DESC, id DESC LIMIT 1`,
    [accountId, lineId, at],
  );
  return r.rows[0] ? toAssignment(r.rows[0]) : null;
};

export const dniRepo = {
  findSettings, findSettingsByKey, ensureSettings, updateSettings, setKey,
  listPools, findPool, linesForPool, insertPool, updatePool, deletePool, setPoolLines, poolRules,
  renewAssignment, pickPoolLine, insertAssignment, sessionForCall,
};
export type DniRepo = typeof dniRepo;
