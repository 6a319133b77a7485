/**
 * Post-call workflow conditions: ALL must match. Pure — the evaluator counts the caller's
 * earlier calls first (`windowsNeeded`), then every condition is judged on the same facts, and
 * each result says why, for the log.
 */
import type { TrackedCall } from './tracked-calls-repo.js';
import type { TrackingCondition } from './tracking-types.js';

const E164 = /^\+[1-9]\d{6,14}$/;

export type ConditionResult = {
  index: number;
  type: TrackingCondition['type'];
  matched: boolean;
  /** Human-readable: "talk time 45 s > 10 s". */
  detail: string;
  actual: number | string | null;
};

export type Evaluation = { matched: boolean; reason: string | null; conditions: ConditionResult[] };

/** Call-count windows the conditions need: days, or null for all time (first call). */
export const windowsNeeded = (conditions: TrackingCondition[]): Array<number | null> => {
  const w = new Set<number | null>();
  for (const c of conditions) if (c.type === 'caller_frequency') w.add(c.operator === 'first_call' ? null : c.days);
  return [...w];
};

/** `counts.get(days)`: tracked calls from this caller in the window, this one included. */
export const evaluateConditions = (
  conditions: TrackingCondition[],
  call: Pick<TrackedCall, 'talkSeconds' | 'lineId' | 'source' | 'caller'>,
  counts: Map<number | null, number>,
): Evaluation => {
  const results = conditions.map((c, index): ConditionResult => {
    switch (c.type) {
      case 'duration': {
        const talk = call.talkSeconds ?? 0;
        const ok = c.operator === 'greater_than' ? talk > c.seconds : talk < c.seconds;
        const op = c.operator === 'greater_than' ? '>' : '<';
        return { index, type: c.type, matched: ok, actual: talk, detail: `talk time ${talk} s ${ok ? '' : 'not '}${op} ${c.seconds} s` };
      }
      case 'caller_frequency': {
        if (!E164.test(call.caller)) return { index, type: c.type, matched: false, actual: null, detail: 'caller number withheld: frequency unknown' };
        if (c.operator === 'first_call') {
          const n = counts.get(null) ?? 1;
          return { index, type: c.type, matched: n === 1, actual: n, detail: n === 1 ? 'first call from this caller' : `not the first call (call ${n} from this caller)` };
        }
        const n = counts.get(c.days) ?? 1;
        const ok = c.operator === 'at_least' ? n >= c.calls : n <= c.calls;
        const op = c.operator === 'at_least' ? 'at least' : 'at most';
        return { index, type: c.type, matched: ok, actual: n, detail: `${n} call(s) in the last ${c.days} day(s): ${ok ? '' : 'not '}${op} ${c.calls}` };
      }
      case 'source': {
        const byLine = !!call.lineId && c.lineIds.includes(call.lineId);
        const byCampaign = c.campaigns.some((x) => x.toLowerCase() === call.source.toLowerCase());
        const ok = byLine || byCampaign;
        return { index, type: c.type, matched: ok, actual: call.source, detail: ok ? `source "${call.source}" is listed` : `source "${call.source}" (line ${call.lineId ?? 'deleted'}) is not listed` };
      }
    }
  });
  const failed = results.find((r) => !r.matched);
  return { matched: !failed, reason: failed ? `conditions.${failed.index} (${failed.type}): ${failed.detail}` : null, conditions: results };
};
