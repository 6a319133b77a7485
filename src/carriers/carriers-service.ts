import type { SecretBox } from '../crypto.js';
import { mapPgError, type Db } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError } from '../errors.js';

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

export type CarrierConnectionInput = { name?: string; accountSid: string; authToken: string };

const toConnection = (r: Record<string, any>): CarrierConnection => ({
  id: r.id, provider: r.provider, name: r.name, accountSid: r.account_sid, authTokenSet: true,
  lineCount: r.line_count ?? 0, createdAt: r.created_at,
});

const SELECT = `SELECT c.*, (SELECT count(*) FROM lines l WHERE l.carrier_connection_id = c.id) AS line_count`;
const conflicts = { carrier_connections_account_id_account_sid_key: 'this account already has a connection for that Account SID' };

export type CarriersServiceDeps = { db: Db; secrets: Pick<SecretBox, 'seal'> };

/**
 * Carrier connections (Twilio Account SID + auth token). The token is sealed with SECRET_KEY
 * before it is stored and never leaves the service; see carrier-credentials.ts to use it.
 */
export const createCarriersService = (deps: CarriersServiceDeps) => {
  const { db, secrets } = deps;

  const get = async (accountId: string, id: string): Promise<CarrierConnection> => {
    const res = await db.query(`${SELECT} FROM carrier_connections c WHERE c.account_id = $1 AND c.id = $2`, [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('carrier connection');
    return toConnection(res.rows[0]);
  };

  const list = async (accountId: string, q: PageQuery): Promise<Page<CarrierConnection>> => {
    const params: unknown[] = [accountId];
    const res = await db.query(`${SELECT}, ${cursorColumn('c')} FROM carrier_connections c WHERE c.account_id = $1 ${pageClause(q, params, 'c')}`, params);
    return toPage(res.rows, q, toConnection);
  };

  const create = async (accountId: string, input: CarrierConnectionInput): Promise<CarrierConnection> => {
    const res = await db
      .query(
        `INSERT INTO carrier_connections (account_id, provider, name, account_sid, auth_token_enc) VALUES ($1, 'twilio', $2, $3, $4) RETURNING id`,
        [accountId, input.name ?? '', input.accountSid, secrets.seal(input.authToken)],
      )
      .catch((err) => mapConflict(err));
    return get(accountId, res.rows[0].id);
  };

  /** Renames, or rotates the auth token (the Account SID of a connection never changes). */
  const update = async (accountId: string, id: string, patch: { name?: string; authToken?: string }): Promise<CarrierConnection> => {
    const res = await db.query(
      `UPDATE carrier_connections SET name = COALESCE($3, name), auth_token_enc = COALESCE($4, auth_token_enc)
        WHERE account_id = $1 AND id = $2 RETURNING id`,
      [accountId, id, patch.name ?? null, patch.authToken ? secrets.seal(patch.authToken) : null],
    );
    if (!res.rows[0]) throw new NotFoundError('carrier connection');
    return get(accountId, id);
  };

  /** Refuses (409) while lines still send through the connection. */
  const remove = async (accountId: string, id: string): Promise<void> => {
    const res = await db
      .query('DELETE FROM carrier_connections WHERE account_id = $1 AND id = $2', [accountId, id])
      .catch((err: { code?: string }) => {
        if (err.code === '23503') throw new ConflictError('lines still use this carrier connection: move or delete them first', 'carrier_connection_in_use');
        throw err;
      });
    if (!res.rowCount) throw new NotFoundError('carrier connection');
  };

  return { get, list, create, update, remove };
};

const mapConflict = (err: unknown): never => {
  try {
    return mapPgError(err, conflicts);
  } catch (e) {
    if (e instanceof ConflictError) throw new ConflictError(e.message, 'conflict', [{ path: 'accountSid', message: e.message }]);
    throw e;
  }
};

export type CarriersService = ReturnType<typeof createCarriersService>;
