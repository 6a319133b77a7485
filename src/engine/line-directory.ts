import type { LineCarrier } from '../carriers/carrier-credentials.js';

/**
 * Sending lines with their provider, decrypted credentials and pace, cached in memory for a few
 * seconds so a fan-out of thousands does not read the same line thousands of times. Credentials
 * stay in memory only.
 */
export type LineDirectory = { get(lineId: string): Promise<LineCarrier> };

export type LineDirectoryDeps = {
  /**
   * Reads one line with its decrypted credentials (src/carriers/carrier-credentials.ts
   * `loadLineCarrier`, wired in action-engine.ts); rejects with NotFoundError for an unknown line.
   */
  loadLine: (lineId: string) => Promise<LineCarrier>;
  ttlMs?: number;
};

export const createLineDirectory = (deps: LineDirectoryDeps): LineDirectory => {
  const ttl = deps.ttlMs ?? 10_000;
  const cache = new Map<string, { at: number; line: Promise<LineCarrier> }>();
  return {
    get(lineId) {
      const hit = cache.get(lineId);
      if (hit && Date.now() - hit.at < ttl) return hit.line;
      const line = deps.loadLine(lineId);
      line.catch(() => cache.delete(lineId));
      cache.set(lineId, { at: Date.now(), line });
      if (cache.size > 1000) cache.delete(cache.keys().next().value!);
      return line;
    },
  };
};

/** Messages or calls per second from this line, or null for no limit. */
export const linePace = (line: Pick<LineCarrier, 'settings'>, kind: 'sms' | 'calls', defaults: { sms: number; calls: number }): number | null => {
  const v = line.settings[kind === 'sms' ? 'smsPerSecond' : 'callsPerSecond'];
  const pace = typeof v === 'number' && v > 0 ? v : kind === 'sms' ? defaults.sms : defaults.calls;
  return pace > 0 ? pace : null;
};
