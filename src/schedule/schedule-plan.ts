import { nextOccurrences } from '../calendar/recurrence.js';
import type { ScheduleSpec } from '../calendar/schedule-types.js';

/** What to do with one due occurrence. */
export type OccurrenceDecision = { occurrence: Date; action: 'fire' | 'missed' | 'skipped_paused' };

export type Plan = { decisions: OccurrenceDecision[]; next: Date | null };

/** Bounds the catch-up after very long downtime; the rest is settled on the next pass. */
const MAX_DECISIONS = 1000;

/** Memoised `nextOccurrences(spec, tz, after, 1)`: many schedules share spec, zone and time. */
export type NextFn = (spec: ScheduleSpec, tz: string, after: Date) => Date | null;

export const createNextFn = (maxEntries = 50_000): NextFn => {
  const cache = new Map<string, Date | null>();
  const specKeys = new WeakMap<object, string>();
  return (spec, tz, after) => {
    let sk = specKeys.get(spec);
    if (sk === undefined) specKeys.set(spec, (sk = JSON.stringify(spec)));
    const key = `${tz}|${after.getTime()}|${sk}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const next = nextOccurrences(spec, tz, after, 1)[0] ?? null;
    if (cache.size >= maxEntries) cache.clear();
    cache.set(key, next);
    return next;
  };
};

/**
 * Decides every occurrence from `from` up to `now`: paused -> skipped_paused; later than the
 * grace window -> missed (recorded, not fired); otherwise fire. `next` is the first occurrence
 * after `now` (or after the last decided one when catch-up was cut short). Pure.
 */
export const planDue = (input: {
  spec: ScheduleSpec;
  timezone: string;
  from: Date;
  now: Date;
  graceMs: number;
  paused: boolean;
  next: NextFn;
}): Plan => {
  const decisions: OccurrenceDecision[] = [];
  const nowMs = input.now.getTime();
  let occ: Date | null = input.from;
  while (occ && occ.getTime() <= nowMs && decisions.length < MAX_DECISIONS) {
    const action = input.paused ? 'skipped_paused' : nowMs - occ.getTime() > input.graceMs ? 'missed' : 'fire';
    decisions.push({ occurrence: occ, action });
    occ = input.next(input.spec, input.timezone, occ);
  }
  return { decisions, next: occ };
};

/**
 * `schedule:<workflowId>:<occurrence ISO>`: one activation per occurrence, whoever fires it.
 * `occurrence` may be given already formatted (`toISOString()`), as the firer does once per instant.
 */
export const occurrenceKey = (workflowId: string, occurrence: Date | string): string =>
  `schedule:${workflowId}:${typeof occurrence === 'string' ? occurrence : occurrence.toISOString()}`;
