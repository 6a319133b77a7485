import type { SecretBox } from '../crypto.js';
import type { Queryable } from '../db/db.js';
import { findSealedCredentials, findSealedLineCarrier, findSealedLineCarrierByNumber, type SealedLineCarrier } from './carriers-repo.js';
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

const open = (secrets: Pick<SecretBox, 'open'>, r: SealedLineCarrier): LineCarrier => {
  const { accountSid, authTokenSealed, ...line } = r;
  return { ...line, credentials: r.provider === 'twilio' && accountSid ? { accountSid, authToken: secrets.open(authTokenSealed!) } : null };
};

/**
 * Loads a line's provider and decrypted credentials for sending. Keep the result in memory
 * only: never log it, never return it from an API. Throws NotFoundError for an unknown line
 * (or one of another account when `accountId` is given). A helper over carriers-repo.ts that
 * decrypts what it reads, so its callers take a `Queryable` like a repository function.
 */
export const loadLineCarrier = async (db: Queryable, secrets: Pick<SecretBox, 'open'>, lineId: string, accountId?: string): Promise<LineCarrier> => {
  const row = await findSealedLineCarrier(db, lineId, accountId);
  if (!row) throw new NotFoundError('line');
  return open(secrets, row);
};

/**
 * The line that owns an E.164 number (numbers are unique across accounts), for inbound
 * webhooks: the signature is checked with the returned credentials. Null when unknown.
 */
export const findLineCarrierByNumber = async (db: Queryable, secrets: Pick<SecretBox, 'open'>, phoneNumber: string): Promise<LineCarrier | null> => {
  const row = await findSealedLineCarrierByNumber(db, phoneNumber);
  return row ? open(secrets, row) : null;
};

/** Decrypted credentials of one carrier connection of an account (e.g. for a status callback). */
export const loadCarrierCredentials = async (db: Queryable, secrets: Pick<SecretBox, 'open'>, accountId: string, connectionId: string): Promise<CarrierCredentials> => {
  const row = await findSealedCredentials(db, accountId, connectionId);
  if (!row) throw new NotFoundError('carrier connection');
  return { accountSid: row.accountSid, authToken: secrets.open(row.authTokenSealed) };
};
