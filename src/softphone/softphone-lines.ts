import { loadLineCarrier } from '../carriers/carrier-credentials.js';
import type { SecretBox } from '../crypto.js';
import type { Db } from '../db/db.js';
import { simulatorCredentials } from '../carriers/simulator-credentials.js';

/** How the carrier signs webhooks for a line: its number, and the account SID + token to sign with. */
export type LineSigning = { phoneNumber: string; accountSid: string; authToken: string };

export type SoftphoneLinesDeps = { db: Db; secrets: Pick<SecretBox, 'open'>; secretKey: string; publicUrl: string };

/**
 * What the dashboard softphone needs to play the carrier for a line: simulator lines sign with
 * the install's simulator token, Twilio lines with their connection's auth token, exactly as
 * the gateway's signature check expects. Secrets stay in memory; never returned by an API.
 */
export const createSoftphoneLines = (deps: SoftphoneLinesDeps) => ({
  /** The base URL the carrier calls (webhook URLs are signed against it). */
  publicUrl: deps.publicUrl,
  /** NotFoundError when the line does not exist in the account. */
  async lineSigning(accountId: string, lineId: string): Promise<LineSigning> {
    const line = await loadLineCarrier(deps.db, deps.secrets, lineId, accountId);
    const creds = line.credentials ?? simulatorCredentials(deps.secretKey);
    return { phoneNumber: line.phoneNumber, accountSid: creds.accountSid, authToken: creds.authToken };
  },
});

export type SoftphoneLines = ReturnType<typeof createSoftphoneLines>;
