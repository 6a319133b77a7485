/**
 * Which carrier adapter and which credentials a line sends with. The composition root builds
 * the adapters (twilio over the SDK, simulator over PostgreSQL) and hands them to
 * `createProviderRegistry`; features (action engine, call tracking…) only see this port.
 */
import { loadLineCarrier, type LineCarrier } from '../carriers/carrier-credentials.js';
import type { SecretBox } from '../crypto.js';
import type { Queryable } from '../db/db.js';
import { findSealedTokensBySid } from './lines-repo.js';
import { SIMULATOR_ACCOUNT_SID, simulatorCredentials } from '../carriers/simulator-credentials.js';
import type { TelephonyProvider } from '../engine/telephony-port.js';

export type ProviderName = TelephonyProvider['name'];

export interface TelephonyProviders {
  /** Every configured adapter by name (what `createTelephonySender` takes). */
  readonly all: Record<ProviderName, TelephonyProvider>;
  /** A line of the account with its adapter and decrypted credentials; NotFoundError if none. */
  forLine(accountId: string, lineId: string): Promise<{ line: LineCarrier; provider: TelephonyProvider }>;
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
  /** How long webhook signing tokens are cached in this process (default 10 s; 0 = no cache). */
  tokenCacheMs?: number;
};

export const createProviderRegistry = (deps: ProviderRegistryDeps): TelephonyProviders => {
  const sim = simulatorCredentials(deps.secretKey);
  // Every webhook needs these: a short in-process cache (a rotated token is honoured for at
  // most `tokenCacheMs` more; an unknown SID is asked again after 2 s).
  const ttl = deps.tokenCacheMs ?? 10_000;
  const cache = new Map<string, { until: number; tokens: Promise<string[]> }>();
  const load = async (accountSid: string): Promise<string[]> => {
    const sealed = await findSealedTokensBySid(deps.db, accountSid);
    const out: string[] = [];
    for (const s of sealed) {
      try {
        out.push(deps.secrets.open(s));
      } catch {
        // sealed under another SECRET_KEY: it cannot sign anything
      }
    }
    return out;
  };
  return {
    all: deps.providers,
    async forLine(accountId, lineId) {
      const line = await loadLineCarrier(deps.db, deps.secrets, lineId, accountId);
      return { line, provider: deps.providers[line.provider] };
    },
    async signingTokens(accountSid) {
      if (accountSid === SIMULATOR_ACCOUNT_SID) return [sim.authToken];
      const now = Date.now();
      const hit = cache.get(accountSid); // only well-formed SIDs are ever cached
      if (hit && hit.until > now) return hit.tokens;
      if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) return [];
      const tokens = load(accountSid);
      cache.set(accountSid, { until: now + ttl, tokens });
      tokens.then((t) => { if (t.length === 0) cache.set(accountSid, { until: now + Math.min(ttl, 2_000), tokens }); }, () => cache.delete(accountSid));
      if (cache.size > 1000) cache.delete(cache.keys().next().value!);
      return tokens;
    },
  };
};
