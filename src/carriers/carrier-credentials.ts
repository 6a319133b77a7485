import type { SecretBox } from '../crypto.js';
import type { Queryable } from '../db/db.js';
import { NotFoundError } from '../errors.js';

/** A carrier account's REST credentials (Twilio Account SID and auth token). */
export type CarrierCredentials = { accountSid: string; authToken: string };

/** A line with what is needed to send from it: its provider and the decrypted carrier credentials. */
export type LineCarrier = {
  lineId: string;
  accountId: string;
  phoneNumber: string;
  mode: 'activation' | 'tracking';
  provider: 'twilio' | 'simulator';
  /** Null for the simulator. */
  credentials: CarrierCredentials | null;
  carrierConnectionId: string | null;
  /** Texts go out through this Twilio Messaging Service (Twilio picks the sender) instead of from `phoneNumber`. */
  messagingServiceSid: string | null;
  settings: Record<string, unknown>;
};

const SELECT = `SELECT l.id, l.account_id, l.phone_number, l.mode, l.provider, l.settings, l.carrier_connection_id,
                       l.messaging_service_sid, c.account_sid, c.auth_token_enc
                  FROM lines l LEFT JOIN carrier_connections c ON c.id = l.carrier_connection_id`;

const toLineCarrier = (secrets: Pick<SecretBox, 'open'>, r: Record<string, any>): LineCarrier => ({
  lineId: r.id,
  accountId: r.account_id,
  phoneNumber: r.phone_number,
  mode: r.mode,
  provider: r.provider,
  carrierConnectionId: r.carrier_connection_id,
  messagingServiceSid: r.messaging_service_sid ?? null,
  settings: r.settings,
  credentials: r.provider === 'twilio' && r.account_sid ? { accountSid: r.account_sid, authToken: secrets.open(r.auth_token_enc) } : null,
});

/**
 * Loads a line's provider and decrypted credentials for sending. Keep the result in memory
 * only: never log it, never return it from an API. Throws NotFoundError for an unknown line
 * (or one of another account when `accountId` is given).
 */
export const loadLineCarrier = async (db: Queryable, secrets: Pick<SecretBox, 'open'>, lineId: string, accountId?: string): Promise<LineCarrier> => {
  const res = await db.query(`${SELECT} WHERE l.id = $1 AND ($2::uuid IS NULL OR l.account_id = $2)`, [lineId, accountId ?? null]);
  if (!res.rows[0]) throw new NotFoundError('line');
  return toLineCarrier(secrets, res.rows[0]);
};

/**
 * The line that owns an E.164 number (numbers are unique across accounts), for inbound
 * webhooks: the signature is checked with the returned credentials. Null when unknown.
 */
export const findLineCarrierByNumber = async (db: Queryable, secrets: Pick<SecretBox, 'open'>, phoneNumber: string): Promise<LineCarrier | null> => {
  const res = await db.query(`${SELECT} WHERE l.phone_number = $1`, [phoneNumber]);
  return res.rows[0] ? toLineCarrier(secrets, res.rows[0]) : null;
};

/** Decrypted credentials of one carrier connection of an account (e.g. for a status callback). */
export const loadCarrierCredentials = async (db: Queryable, secrets: Pick<SecretBox, 'open'>, accountId: string, connectionId: string): Promise<CarrierCredentials> => {
  const res = await db.query('SELECT account_sid, auth_token_enc FROM carrier_connections WHERE account_id = $1 AND id = $2', [accountId, connectionId]);
  if (!res.rows[0]) throw new NotFoundError('carrier connection');
  return { accountSid: res.rows[0].account_sid, authToken: secrets.open(res.rows[0].auth_token_enc) };
};
