import { mapPgError, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { ConflictError } from '../errors.js';

/** A carrier account Switchboard sends through. The auth token is write-only. */
export type CarrierConnection = {
  id: string;
  provider: 'twilio';
  name: string;
  accountSid: string;
  authTokenSet: true;
  lineCount: number;
  createdAt: Date;
};

/** A line with its carrier connection's Account SID and still-sealed auth token (see carrier-credentials.ts). */
export type SealedLineCarrier = {
  lineId: string; accountId: string; phoneNumber: string; mode: 'activation' | 'tracking'; provider: 'twilio' | 'simulator';
  carrierConnectionId: string | null; messagingServiceSid: string | null; settings: Record<string, unknown>;
  accountSid: string | null; authTokenSealed: string | null;
};

const toConnection = (r: Record<string, any>): CarrierConnection => ({
  id: r.id, provider: r.provider, name: r.name, accountSid: r.account_sid, authTokenSet: true,
  lineCount: r.line_count ?? 0, createdAt: r.created_at,
});
const toSealedLine = (r: Record<string, any>): SealedLineCarrier => ({
  lineId: r.id, accountId: r.account_id, phoneNumber: r.phone_number, mode: r.mode, provider: r.provider,
  carrierConnectionId: r.carrier_connection_id, messagingServiceSid: r.messaging_service_sid ?? null, settings: r.settings,
  accountSid: r.account_sid ?? null, authTokenSealed: r.auth_token_enc ?? null,
});

const SELECT = `SELECT c.*, (SELECT count(*) FROM lines l WHERE l.carrier_connection_id = c.id) AS line_count`;
const LINE_SELECT = `SELECT l.id, l.account_id, l.phone_number, l.mode, l.provider, l.settings, l.carrier_connection_id,
                            l.messaging_service_sid, c.account_sid, c.auth_token_enc
                       FROM lines l LEFT JOIN carrier_connections c ON c.id = l.carrier_connection_id`;
const conflicts = { carrier_connections_account_id_account_sid_key: 'this account already has a connection for that Account SID' };

const mapConflict = (err: unknown): never => {
  try {
    return mapPgError(err, conflicts);
  } catch (e) {
    if (e instanceof ConflictError) throw new ConflictError(e.message, 'conflict', [{ path: 'accountSid', message: e.message }]);
    throw e;
  }
};

export const findConnection = async (q: Queryable, accountId: string, id: string): Promise<CarrierConnection | null> => {
  const res = await q.query(`${SELECT} FROM carrier_connections c WHERE c.account_id = $1 AND c.id = $2`, [accountId, id]);
  return res.rows[0] ? toConnection(res.rows[0]) : null;
};

export const listConnections = async (q: Queryable, accountId: string, page: PageQuery): Promise<Page<CarrierConnection>> => {
  const params: unknown[] = [accountId];
  const res = await q.query(`${SELECT}, ${cursorColumn('c')} FROM carrier_connections c WHERE c.account_id = $1 ${pageClause(page, params, 'c')}`, params);
  return toPage(res.rows, page, toConnection);
};

/** A Twilio connection; 409 naming `accountSid` when the account already has one for that SID. */
export const insertConnection = async (
  q: Queryable, accountId: string, c: { name: string; accountSid: string; authTokenSealed: string },
): Promise<{ id: string }> => {
  const res = await q
    .query(
      `INSERT INTO carrier_connections (account_id, provider, name, account_sid, auth_token_enc) VALUES ($1, 'twilio', $2, $3, $4) RETURNING id`,
      [accountId, c.name, c.accountSid, c.authTokenSealed],
    )
    .catch(mapConflict);
  return { id: res.rows[0].id };
};

/** Sets the given fields; false when no such connection. */
export const updateConnection = async (
  q: Queryable, accountId: string, id: string, patch: { name?: string; authTokenSealed?: string },
): Promise<boolean> => {
  const res = await q.query(
    `UPDATE carrier_connections SET name = COALESCE($3, name), auth_token_enc = COALESCE($4, auth_token_enc)
      WHERE account_id = $1 AND id = $2 RETURNING id`,
    [accountId, id, patch.name ?? null, patch.authTokenSealed ?? null],
  );
  return res.rows.length > 0;
};

/** False when no such connection; 409 (carrier_connection_in_use) while lines still send through it. */
export const deleteConnection = async (q: Queryable, accountId: string, id: string): Promise<boolean> => {
  const res = await q
    .query('DELETE FROM carrier_connections WHERE account_id = $1 AND id = $2', [accountId, id])
    .catch((err: { code?: string }) => {
      if (err.code === '23503') throw new ConflictError('lines still use this carrier connection: move or delete them first', 'carrier_connection_in_use');
      throw err;
    });
  return (res.rowCount ?? 0) > 0;
};

/** The line (of `accountId` when given) with its connection's sealed credentials. */
export const findSealedLineCarrier = async (q: Queryable, lineId: string, accountId?: string): Promise<SealedLineCarrier | null> => {
  const res = await q.query(`${LINE_SELECT} WHERE l.id = $1 AND ($2::uuid IS NULL OR l.account_id = $2)`, [lineId, accountId ?? null]);
  return res.rows[0] ? toSealedLine(res.rows[0]) : null;
};

/** The line that owns an E.164 number (unique across accounts), with its connection's sealed credentials. */
export const findSealedLineCarrierByNumber = async (q: Queryable, phoneNumber: string): Promise<SealedLineCarrier | null> => {
  const res = await q.query(`${LINE_SELECT} WHERE l.phone_number = $1`, [phoneNumber]);
  return res.rows[0] ? toSealedLine(res.rows[0]) : null;
};

/** A connection's Account SID and sealed auth token. */
export const findSealedCredentials = async (
  q: Queryable, accountId: string, connectionId: string,
): Promise<{ accountSid: string; authTokenSealed: string } | null> => {
  const res = await q.query('SELECT account_sid, auth_token_enc FROM carrier_connections WHERE account_id = $1 AND id = $2', [accountId, connectionId]);
  return res.rows[0] ? { accountSid: res.rows[0].account_sid, authTokenSealed: res.rows[0].auth_token_enc } : null;
};

export const carriersRepo = {
  findConnection, listConnections, insertConnection, updateConnection, deleteConnection, findSealedLineCarrier,
  findSealedLineCarrierByNumber, findSealedCredentials,
};
export type CarriersRepo = typeof carriersRepo;
