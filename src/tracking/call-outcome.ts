/**
 * How a tracked call ends, decided from whichever carrier report arrives: the <Dial> action,
 * a Dial leg's status, or the call's own final status. Pure: the service applies the verdict
 * with a conditional UPDATE, so only the first verdict counts.
 */
import type { CallEnd, TrackedCall } from './tracked-calls-repo.js';
import type { EndReason } from './tracking-types.js';

export type Verdict = Omit<CallEnd, 'endedBy' | 'at' | 'recordingUrl'>;

const MISSED = new Set<EndReason>(['no-answer', 'busy', 'failed', 'canceled']);
export const FINAL_CALL_STATUSES = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

const missedReason = (status: string): EndReason => (MISSED.has(status as EndReason) ? (status as EndReason) : 'failed');
const answered = (call: TrackedCall, talkSeconds: number, number: string | null = null): Verdict =>
  ({ outcome: 'answered', reason: 'completed', talkSeconds: Math.max(0, Math.round(talkSeconds)), answeredNumber: number ?? call.answeredNumber });
const missed = (reason: EndReason): Verdict => ({ outcome: 'missed', reason, talkSeconds: 0, answeredNumber: null });

/**
 * The <Dial> of `step` ended with `status` (DialCallStatus). Answered: the call is over.
 * Missed: ring the next number (sequential, unless the caller hung up), or the call is over.
 */
export const afterDial = (
  call: TrackedCall, d: { step: number; status: string; durationSeconds: number | null },
): { kind: 'next'; step: number } | { kind: 'end'; verdict: Verdict } => {
  if (d.status === 'completed' || d.status === 'answered') {
    const number = call.strategy === 'sequential' ? call.numbers[d.step] ?? null : null;
    return { kind: 'end', verdict: answered(call, d.durationSeconds ?? call.talkSeconds ?? 0, number) };
  }
  const reason = missedReason(d.status);
  const next = d.step + 1;
  if (call.strategy === 'sequential' && reason !== 'canceled' && next < call.numbers.length) return { kind: 'next', step: next };
  return { kind: 'end', verdict: missed(reason) };
};

/** What a leg status tells: facts to keep, and the end when the answered leg has hung up. */
export const fromLegStatus = (
  call: TrackedCall, l: { leg: number; status: string; durationSeconds: number | null; at: Date },
): { facts: { answeredAt?: Date; number?: string | null; talkSeconds?: number; missedStatus?: string }; verdict: Verdict | null } => {
  const number = call.numbers[l.leg] ?? null;
  if (l.status === 'in-progress' || l.status === 'answered') return { facts: { answeredAt: l.at, number }, verdict: null };
  if (l.status === 'completed' && (l.durationSeconds ?? 0) > 0) {
    const talk = l.durationSeconds!;
    const answeredAt = new Date(l.at.getTime() - talk * 1000);
    return { facts: { answeredAt, number, talkSeconds: talk }, verdict: answered(call, talk, number) };
  }
  if (MISSED.has(l.status as EndReason)) return { facts: { missedStatus: l.status }, verdict: null };
  return { facts: {}, verdict: null };
};

/**
 * The call itself reached a final status (the caller's leg). A leg that answered makes it an
 * answered call; otherwise missed, for the reason the carrier gave or the last leg's miss
 * ("completed" with nobody answering means the caller gave up: canceled).
 */
export const fromCallStatus = (call: TrackedCall, s: { status: string; at: Date }): Verdict | null => {
  if (!FINAL_CALL_STATUSES.has(s.status)) return null;
  if (call.answeredAt || (call.talkSeconds ?? 0) > 0) {
    const talk = call.talkSeconds ?? (call.answeredAt ? (s.at.getTime() - call.answeredAt.getTime()) / 1000 : 0);
    return answered(call, talk);
  }
  if (s.status !== 'completed') return missed(missedReason(s.status));
  return missed(call.lastLegStatus && MISSED.has(call.lastLegStatus as EndReason) ? (call.lastLegStatus as EndReason) : 'canceled');
};
