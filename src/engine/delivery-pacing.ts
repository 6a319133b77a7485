import type { RateLimiter } from './rate-limiter.js';
import type { Delivery } from './deliveries-repo.js';
import { linePace, type LineDirectory } from './line-directory.js';

/**
 * How far ahead a booked slot may be and still be waited for inside the job. Short, because a
 * row waiting for its slot is claimed (`sending`): after a crash it would need a carrier lookup.
 */
export const PACE_HORIZON_MS = 300;

export type Paced = {
  /** Send now, each at `at` (epoch ms). */
  now: Array<{ row: Delivery; at: number }>;
  /** Give back and send later, each at its booked slot. */
  later: Array<{ row: Delivery; at: number }>;
  /** Rows whose line cannot be used (deleted): fail them. */
  broken: Array<{ row: Delivery; error: string }>;
};

const paceKind = (channel: string): 'sms' | 'calls' | null =>
  channel === 'sms' ? 'sms' : channel === 'voice' || channel === 'conference' || channel === 'pager' ? 'calls' : null;

/**
 * Spreads claimed deliveries over their lines' send schedules (`lines.settings.smsPerSecond`,
 * `callsPerSecond`, shared by every worker process through Redis). Rows of an unpaced line go
 * now. `reserved` rows already hold a slot (their `not_before`) from an earlier booking.
 */
export const paceRows = async (
  rows: Delivery[],
  deps: { lines: LineDirectory; limiter: RateLimiter; defaults: { sms: number; calls: number } },
  reserved: boolean,
): Promise<Paced> => {
  const out: Paced = { now: [], later: [], broken: [] };
  const groups = new Map<string, { pace: number; rows: Delivery[] }>();
  const t0 = Date.now();
  for (const row of rows) {
    const kind = paceKind(row.channel);
    const lineId = typeof row.payload.lineId === 'string' ? row.payload.lineId : '';
    if (!kind || !lineId) {
      out.now.push({ row, at: t0 });
      continue;
    }
    let pace: number | null;
    try {
      pace = linePace(await deps.lines.get(lineId), kind, deps.defaults);
    } catch {
      out.broken.push({ row, error: 'the sending line no longer exists' });
      continue;
    }
    if (pace === null) {
      out.now.push({ row, at: t0 });
    } else if (reserved) {
      out.now.push({ row, at: Math.max(t0, row.notBefore?.getTime() ?? t0) });
    } else {
      const key = `${lineId}-${kind}`;
      const g = groups.get(key) ?? { pace, rows: [] };
      g.rows.push(row);
      groups.set(key, g);
    }
  }
  for (const [key, g] of groups) {
    const r = await deps.limiter.reserve(`line-${key}`, g.pace, g.rows.length);
    const base = Date.now() + r.startInMs;
    g.rows.forEach((row, i) => {
      const at = Math.round(base + i * r.intervalMs);
      (at - Date.now() <= PACE_HORIZON_MS ? out.now : out.later).push({ row, at });
    });
  }
  return out;
};

/** Groups later rows into delayed batches, each spanning at most `PACE_HORIZON_MS` of slots and `maxSize` rows. */
export const laterBatches = (later: Paced['later'], maxSize: number): Array<{ ids: string[]; at: number }> => {
  const sorted = [...later].sort((a, b) => a.at - b.at);
  const batches: Array<{ ids: string[]; at: number }> = [];
  for (const { row, at } of sorted) {
    const last = batches[batches.length - 1];
    if (last && at - last.at <= PACE_HORIZON_MS && last.ids.length < maxSize) last.ids.push(row.id);
    else batches.push({ ids: [row.id], at });
  }
  return batches;
};
