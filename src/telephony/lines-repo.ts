/**
 * Read-only queries the telephony gateway needs on lines and their carrier connections.
 * (Line CRUD belongs to the lines API; this only looks lines up.)
 */
import type { Queryable } from '../db/db.js';

export type LineSettings = {
  /** Only callers/texters whose number belongs to a contact of the account may activate. */
  knownContactsOnly?: boolean;
  [k: string]: unknown;
};

export type GatewayLine = {
  id: string;
  accountId: string;
  phoneNumber: string;
  name: string;
  provider: 'twilio' | 'simulator';
  mode: 'activation' | 'tracking';
  greeting: string;
  settings: LineSettings;
  /** The carrier account that owns the number (twilio lines). */
  connectionAccountSid: string | null;
  /** Sealed with SecretBox; open only where a token is needed. */
  authTokenSealed: string | null;
};

const SELECT = `SELECT l.id, l.account_id, l.phone_number, l.name, l.provider, l.mode, l.greeting, l.settings,
                       c.account_sid, c.auth_token_enc
                  FROM lines l LEFT JOIN carrier_connections c ON c.id = l.carrier_connection_id`;

const toLine = (r: Record<string, any>): GatewayLine => ({
  id: r.id,
  accountId: r.account_id,
  phoneNumber: r.phone_number,
  name: r.name,
  provider: r.provider,
  mode: r.mode,
  greeting: r.greeting,
  settings: r.settings ?? {},
  connectionAccountSid: r.account_sid ?? null,
  authTokenSealed: r.auth_token_enc ?? null,
});

/** The line that owns an E.164 number (numbers are unique across accounts). */
export const findLineByNumber = async (q: Queryable, phone: string): Promise<GatewayLine | null> => {
  const r = await q.query(`${SELECT} WHERE l.phone_number = $1`, [phone]);
  return r.rows[0] ? toLine(r.rows[0]) : null;
};

/**
 * A line of the carrier account that sends through this Messaging Service: whose is a status
 * callback of a text that left from the service's pool (its From is no line's number).
 */
export const findLineByMessagingService = async (q: Queryable, serviceSid: string, carrierAccountSid: string): Promise<GatewayLine | null> => {
  const r = await q.query(`${SELECT} WHERE l.messaging_service_sid = $1 AND c.account_sid = $2 ORDER BY l.created_at, l.id LIMIT 1`, [serviceSid, carrierAccountSid]);
  return r.rows[0] ? toLine(r.rows[0]) : null;
};

export const findLineById = async (q: Queryable, accountId: string, lineId: string): Promise<GatewayLine | null> => {
  const r = await q.query(`${SELECT} WHERE l.account_id = $1 AND l.id = $2`, [accountId, lineId]);
  return r.rows[0] ? toLine(r.rows[0]) : null;
};

/** Sealed auth tokens of every stored connection to this carrier account (one per Switchboard account using it). */
export const findSealedTokensBySid = async (q: Queryable, accountSid: string): Promise<string[]> => {
  const r = await q.query('SELECT auth_token_enc FROM carrier_connections WHERE account_sid = $1', [accountSid]);
  return r.rows.map((x) => x.auth_token_enc as string);
};

export const gatewayLinesRepo = { findLineByNumber, findLineByMessagingService, findLineById, findSealedTokensBySid };
export type GatewayLinesRepo = typeof gatewayLinesRepo;
