/**
 * Which carrier adapter and which credentials a line sends with. The composition root builds
 * the adapters (twilio over the SDK, simulator over PostgreSQL) and hands them to
 * `createProviderRegistry`; features (action engine, call tracking…) only see this port.
 */
import type { SecretBox } from '../crypto.js';
import type { Queryable } from '../db/db.js';
import { NotFoundError } from '../errors.js';
import { findLineById, findLineByNumber, findSealedTokensBySid, type GatewayLine } from './lines-repo.js';
import { SIMULATOR_ACCOUNT_SID, simulatorCredentials } from './simulator-credentials.js';
import type { CarrierCredentials, TelephonyProvider } from './telephony-port.js';

export type ProviderName = TelephonyProvider['name'];

/** A line's adapter, ready to send: `creds` is null for simulator lines. */
export type LineCarrier = {
  lineId: string;
  accountId: string;
  phoneNumber: string;
  provider: TelephonyProvider;
  creds: CarrierCredentials | null;
};

export interface TelephonyProviders {
  /** The adapter and decrypted credentials for a line of the account; NotFoundError if none. */
  forLine(accountId: string, lineId: string): Promise<LineCarrier>;
  /** Same, by the line's E.164 number (scoped to the account). */
  forNumber(accountId: string, phone: string): Promise<LineCarrier>;
  byName(name: ProviderName): TelephonyProvider;
  /**
   * Tokens that may sign a webhook from this carrier account (X-Twilio-Signature): the stored
   * connections' auth tokens, or the simulator token for SIMULATOR_ACCOUNT_SID. Empty if unknown.
   */
  signingTokens(accountSid: string): Promise<string[]>;
}

export type ProviderRegistryDeps = {
  db: Queryable;
  secrets: Pick<SecretBox, 'open'>;
  secretKey: string;
  providers: Record<ProviderName, TelephonyProvider>;
};

export const createProviderRegistry = (deps: ProviderRegistryDeps): TelephonyProviders => {
  const sim = simulatorCredentials(deps.secretKey);
  const carrierFor = (line: GatewayLine | null, accountId: string): LineCarrier => {
    if (!line || line.accountId !== accountId) throw new NotFoundError('line');
    const creds = line.provider === 'simulator' || !line.connectionAccountSid || !line.authTokenSealed
      ? null
      : { accountSid: line.connectionAccountSid, authToken: deps.secrets.open(line.authTokenSealed) };
    return { lineId: line.id, accountId: line.accountId, phoneNumber: line.phoneNumber, provider: deps.providers[line.provider], creds };
  };
  return {
    forLine: async (accountId, lineId) => carrierFor(await findLineById(deps.db, accountId, lineId), accountId),
    forNumber: async (accountId, phone) => carrierFor(await findLineByNumber(deps.db, phone), accountId),
    byName: (name) => deps.providers[name],
    async signingTokens(accountSid) {
      if (accountSid === SIMULATOR_ACCOUNT_SID) return [sim.authToken];
      if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) return [];
      const sealed = await findSealedTokensBySid(deps.db, accountSid);
      const out: string[] = [];
      for (const s of sealed) {
        try {
          out.push(deps.secrets.open(s));
        } catch {
          // sealed under another SECRET_KEY: cannot sign anything
        }
      }
      return out;
    },
  };
};
