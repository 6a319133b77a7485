import { describe, expect, it } from 'vitest';
import { afterDial, fromCallStatus, fromLegStatus } from '../../src/tracking/call-outcome.js';
import type { TrackedCall } from '../../src/tracking/tracked-calls-repo.js';
import { evaluateConditions, windowsNeeded } from '../../src/tracking/tracking-conditions.js';
import { trackingWorkflowInputSchema } from '../../src/tracking/tracking-types.js';

const call = (over: Partial<TrackedCall> = {}): TrackedCall => ({
  callId: 'c1', accountId: 'a1', lineId: 'l1', providerCallId: 'CA1', caller: '+14155550100', calledNumber: '+14155550199', contactId: null,
  source: 'Spring', startedAt: new Date('2025-01-01T10:00:00Z'), numbers: ['+14155550111', '+14155550122'], strategy: 'sequential',
  ringTimeoutSeconds: 20, record: false, answeredAt: null, talkSeconds: null, answeredNumber: null, lastLegStatus: null, recordingUrl: null,
  endedAt: null, outcome: null, endReason: null, endedBy: null, ...over,
});
const at = new Date('2025-01-01T10:01:00Z');

describe('tracked call outcome', () => {
  it('Dial action: answered ends the call with the talk time; a sequential miss rings the next number; the last miss ends it', () => {
    expect(afterDial(call(), { step: 1, status: 'completed', durationSeconds: 45 })).toEqual({
      kind: 'end', verdict: { outcome: 'answered', reason: 'completed', talkSeconds: 45, answeredNumber: '+14155550122' },
    });
    expect(afterDial(call(), { step: 0, status: 'no-answer', durationSeconds: 0 })).toEqual({ kind: 'next', step: 1 });
    expect(afterDial(call(), { step: 0, status: 'busy', durationSeconds: 0 })).toEqual({ kind: 'next', step: 1 });
    expect(afterDial(call(), { step: 1, status: 'busy', durationSeconds: 0 })).toMatchObject({ kind: 'end', verdict: { outcome: 'missed', reason: 'busy', talkSeconds: 0 } });
    // The caller hung up while ringing: no point ringing the next number.
    expect(afterDial(call(), { step: 0, status: 'canceled', durationSeconds: null })).toMatchObject({ kind: 'end', verdict: { outcome: 'missed', reason: 'canceled' } });
    expect(afterDial(call({ strategy: 'simultaneous' }), { step: 0, status: 'no-answer', durationSeconds: 0 })).toMatchObject({ kind: 'end', verdict: { reason: 'no-answer' } });
    expect(afterDial(call(), { step: 1, status: 'weird', durationSeconds: 0 })).toMatchObject({ kind: 'end', verdict: { reason: 'failed' } });
  });

  it('legs: answered is a fact, a completed answered leg ends the call, misses are remembered', () => {
    expect(fromLegStatus(call(), { leg: 1, status: 'in-progress', durationSeconds: null, at })).toEqual({ facts: { answeredAt: at, number: '+14155550122' }, verdict: null });
    expect(fromLegStatus(call(), { leg: 0, status: 'completed', durationSeconds: 30, at })).toMatchObject({
      facts: { talkSeconds: 30, answeredAt: new Date('2025-01-01T10:00:30Z') }, verdict: { outcome: 'answered', talkSeconds: 30, answeredNumber: '+14155550111' },
    });
    expect(fromLegStatus(call(), { leg: 0, status: 'no-answer', durationSeconds: 0, at })).toEqual({ facts: { missedStatus: 'no-answer' }, verdict: null });
    expect(fromLegStatus(call(), { leg: 0, status: 'ringing', durationSeconds: null, at })).toEqual({ facts: {}, verdict: null });
  });

  it('final status of the caller leg: answered if a leg answered, else the carrier reason or the last leg miss', () => {
    expect(fromCallStatus(call(), { status: 'in-progress', at })).toBeNull();
    expect(fromCallStatus(call({ answeredAt: new Date('2025-01-01T10:00:20Z') }), { status: 'completed', at })).toMatchObject({ outcome: 'answered', talkSeconds: 40 });
    expect(fromCallStatus(call({ answeredAt: new Date(), talkSeconds: 12 }), { status: 'completed', at })).toMatchObject({ outcome: 'answered', talkSeconds: 12 });
    expect(fromCallStatus(call({ lastLegStatus: 'busy' }), { status: 'completed', at })).toMatchObject({ outcome: 'missed', reason: 'busy' });
    expect(fromCallStatus(call(), { status: 'completed', at })).toMatchObject({ outcome: 'missed', reason: 'canceled' });
    expect(fromCallStatus(call(), { status: 'failed', at })).toMatchObject({ outcome: 'missed', reason: 'failed' });
  });
});

describe('post-call workflow conditions', () => {
  const parse = (conditions: unknown[]) => trackingWorkflowInputSchema.parse({ name: 'x', trigger: 'answered', conditions, actions: [{ type: 'email_owners' }] }).conditions;

  it('ALL must match; each result says why; the reason names the first failure', () => {
    const conds = parse([
      { type: 'duration', operator: 'greater_than', seconds: 10 },
      { type: 'duration', operator: 'less_than', seconds: 60 },
      { type: 'caller_frequency', operator: 'at_least', calls: 3, days: 7 },
      { type: 'source', campaigns: ['spring'] },
    ]);
    expect(windowsNeeded(conds)).toEqual([7]);
    const ok = evaluateConditions(conds, call({ talkSeconds: 45 }), new Map([[7, 3]]));
    expect(ok).toMatchObject({ matched: true, reason: null });
    expect(ok.conditions.map((c) => c.detail)).toEqual([
      'talk time 45 s > 10 s', 'talk time 45 s < 60 s', '3 call(s) in the last 7 day(s): at least 3', 'source "Spring" is listed',
    ]);
    const no = evaluateConditions(conds, call({ talkSeconds: 75 }), new Map([[7, 2]]));
    expect(no.matched).toBe(false);
    expect(no.reason).toBe('conditions.1 (duration): talk time 75 s not < 60 s');
    expect(no.conditions.map((c) => c.matched)).toEqual([true, false, false, true]);
  });

  it('first call, at most, withheld callers, lines as sources', () => {
    const first = parse([{ type: 'caller_frequency', operator: 'first_call' }]);
    expect(windowsNeeded(first)).toEqual([null]);
    expect(evaluateConditions(first, call(), new Map([[null, 1]])).matched).toBe(true);
    expect(evaluateConditions(first, call(), new Map([[null, 2]])).reason).toBe('conditions.0 (caller_frequency): not the first call (call 2 from this caller)');
    expect(evaluateConditions(first, call({ caller: 'anonymous' }), new Map([[null, 1]])).reason).toBe('conditions.0 (caller_frequency): caller number withheld: frequency unknown');
    const atMost = parse([{ type: 'caller_frequency', operator: 'at_most', calls: 2, days: 1 }]);
    expect(evaluateConditions(atMost, call(), new Map([[1, 2]])).matched).toBe(true);
    expect(evaluateConditions(atMost, call(), new Map([[1, 3]])).matched).toBe(false);
    const lines = parse([{ type: 'source', lineIds: ['6f1c2b0e-0000-4000-8000-000000000001'] }]);
    expect(evaluateConditions(lines, call({ lineId: '6f1c2b0e-0000-4000-8000-000000000001' }), new Map()).matched).toBe(true);
    expect(evaluateConditions(lines, call(), new Map()).matched).toBe(false);
  });
});
