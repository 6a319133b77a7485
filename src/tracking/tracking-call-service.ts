/**
 * Tracked calls, carrier side: the inbound call is stored and forwarded; the <Dial> action,
 * the Dial legs' status callbacks and the call's own status callbacks tell how it went. The
 * first report that settles the outcome ends the call — once, by a conditional UPDATE — and,
 * in the same transaction, raises `call.ended` (the event rules and post-call workflows read).
 *
 * Every step re-checks that the carrier account which signed the callback owns the call's line,
 * so a signed callback of one account cannot touch another account's call.
 */
import { withTransaction, type Db } from '../db/db.js';
import type { EventPublisher } from '../events/event-types.js';
import type { Logger } from '../logger.js';
import { ownsLine } from '../telephony/inbound-call-service.js';
import type { GatewayLine, GatewayLinesRepo } from '../telephony/lines-repo.js';
import type { CallStatusEvent, StatusListener } from '../engine/status-port.js';
import type { TrackedInboundCall } from '../telephony/tracking-port.js';
import type { DniNumbersService } from './dni-numbers-service.js';
import { afterDial, fromCallStatus, fromLegStatus, type Verdict } from './call-outcome.js';
import type { CallEnd, TrackedCall, TrackedCallsRepo } from './tracked-calls-repo.js';
import { forwardPlan } from './tracking-plan.js';

const E164 = /^\+[1-9]\d{6,14}$/;

/** What the caller's leg should do next: ring (step N of the plan), or hang up / not configured. */
export type ForwardStep =
  | { kind: 'forward'; call: TrackedCall; step: number; callerId: string | null; whisper: boolean }
  | { kind: 'hangup' }
  | { kind: 'not-configured' };

export type CarrierReport = { carrierAccountSid: string; providerCallId: string; at: Date };

export type TrackingCallServiceDeps = {
  db: Db;
  /** Records `call.ended` in the ending transaction; `dispatch` hands it to the event queue after commit. */
  events: Pick<EventPublisher, 'publish'> & { dispatch?(ids: string[]): Promise<void> };
  logger: Logger;
  /** Dynamic Number Insertion: the website session a call to a pool number belongs to (its source wins over the line's). */
  attribution?: Pick<DniNumbersService, 'attribute'>;
  calls: Pick<TrackedCallsRepo,
    | 'countCallerCalls' | 'endCall' | 'findTrackedCall' | 'insertTrackedCall'
    | 'noteLeg' | 'noteRecording' | 'syncCallRow'>;
  lines: Pick<GatewayLinesRepo, 'findLineById'>;
};

export const createTrackingCallService = (deps: TrackingCallServiceDeps) => {
  const { db } = deps;

  /** The tracked call and its line, if the signing carrier account owns that line. */
  const owned = async (r: CarrierReport): Promise<{ call: TrackedCall; line: GatewayLine } | null> => {
    const call = await deps.calls.findTrackedCall(db, r.providerCallId);
    if (!call?.lineId) return null;
    const line = await deps.lines.findLineById(db, call.accountId, call.lineId);
    return line && ownsLine(line, r.carrierAccountSid) ? { call, line } : null;
  };

  const step = (call: TrackedCall, line: GatewayLine, n: number): ForwardStep => ({
    kind: 'forward', call, step: n, callerId: E164.test(call.caller) ? call.caller : null, whisper: !!forwardPlan(line)?.whisper,
  });

  /** Ends the call if nothing ended it yet; raises `call.ended` in the same transaction. */
  const end = async (call: TrackedCall, v: Verdict, how: Pick<CallEnd, 'endedBy' | 'at'> & { recordingUrl?: string | null }): Promise<boolean> => {
    const event = await withTransaction(db, async (tx) => {
      const ended = await deps.calls.endCall(tx, call.callId, { ...v, ...how, recordingUrl: how.recordingUrl ?? null });
      if (!ended) return null;
      const callCount = await deps.calls.countCallerCalls(tx, ended, null);
      const { event } = await deps.events.publish(tx, {
        accountId: ended.accountId, type: 'call.ended', contactId: ended.contactId,
        data: {
          callId: ended.callId, providerCallId: ended.providerCallId, lineId: ended.lineId, direction: 'inbound',
          disposition: ended.outcome, durationSeconds: ended.talkSeconds ?? 0, termReason: ended.endReason, callCount,
          from: ended.caller, to: ended.calledNumber,
          tracking: { source: ended.source, endReason: ended.endReason, talkSeconds: ended.talkSeconds ?? 0, answeredNumber: ended.answeredNumber, recordingUrl: ended.recordingUrl, endedBy: ended.endedBy,
            visitor: ended.visitor ?? null },
        },
        idempotencyKey: `call.ended:${ended.providerCallId}`,
        occurredAt: how.at,
      });
      return event;
    });
    if (!event) return false;
    deps.logger.info({ callSid: call.providerCallId, outcome: v.outcome, reason: v.reason, endedBy: how.endedBy }, 'tracked call ended');
    await deps.events.dispatch?.([event.id]).catch((err) => deps.logger.warn({ err }, 'call.ended fast path failed; the event sweeper will queue it'));
    return true;
  };

  return {
    /** The inbound call on a tracking line: stored (once per CallSid), then forwarded. */
    async answer(c: TrackedInboundCall): Promise<ForwardStep> {
      const line = await deps.lines.findLineById(db, c.accountId, c.lineId);
      const plan = line ? forwardPlan(line) : null;
      if (!line || !plan) return { kind: 'not-configured' };
      const session = await deps.attribution?.attribute(c.accountId, c.lineId, c.at);
      const call = await deps.calls.insertTrackedCall(db, {
        accountId: c.accountId, lineId: c.lineId, contactId: c.contactId, providerCallId: c.providerCallId, caller: c.from, called: c.to,
        source: session?.source ?? plan.source, dniAssignmentId: session?.assignmentId ?? null, visitor: session?.visitor ?? null,
        startedAt: c.at, numbers: plan.numbers, strategy: plan.strategy, ringTimeoutSeconds: plan.ringTimeoutSeconds, record: plan.record,
      });
      return step(call, line, 0);
    },

    /** The <Dial> of `step` ended: next number, or the end of the call. */
    async dialEnded(r: CarrierReport & { step: number; status: string; durationSeconds: number | null; recordingUrl: string | null }): Promise<ForwardStep> {
      const found = await owned(r);
      if (!found) return { kind: 'hangup' };
      const { call, line } = found;
      if (r.recordingUrl) await deps.calls.noteRecording(db, call.callId, r.recordingUrl);
      if (call.endedAt) return { kind: 'hangup' };
      const next = afterDial(call, r);
      if (next.kind === 'next') return step(call, line, next.step);
      await end(call, next.verdict, { endedBy: 'dial-action', at: r.at, recordingUrl: r.recordingUrl });
      return { kind: 'hangup' };
    },

    /** Progress of the leg to number `leg` (initiated, ringing, answered, completed, busy…). */
    async legStatus(r: CarrierReport & { leg: number; status: string; durationSeconds: number | null }): Promise<void> {
      const found = await owned(r);
      if (!found || r.leg >= found.call.numbers.length) return;
      const { facts, verdict } = fromLegStatus(found.call, r);
      if (Object.keys(facts).length > 0) await deps.calls.noteLeg(db, found.call.callId, facts);
      if (verdict && !found.call.endedAt) await end(found.call, verdict, { endedBy: 'leg-status', at: r.at });
    },

    /** The recording is ready (recordingStatusCallback). */
    async recorded(r: CarrierReport & { recordingUrl: string }): Promise<void> {
      const found = await owned(r);
      if (found) await deps.calls.noteRecording(db, found.call.callId, r.recordingUrl);
    },

    /** Text spoken to whoever answers, or null. */
    async whisperFor(r: CarrierReport): Promise<string | null> {
      const found = await owned(r);
      return found ? forwardPlan(found.line)?.whisper ?? null : null;
    },

    /**
     * Listener on the carrier status route: the caller's leg reached a final status. Put it
     * FIRST in the telephony listeners so `call.ended` carries the tracked outcome.
     */
    statusListener: {
      async onCallStatus(e: CallStatusEvent) {
        const call = await deps.calls.findTrackedCall(db, e.providerId);
        if (!call || call.accountId !== e.accountId) return;
        if (call.endedAt) {
          // The generic status recorder may have rewritten outcome/duration from this late callback.
          await deps.calls.syncCallRow(db, call.callId);
          return;
        }
        const verdict = fromCallStatus(call, { status: e.status, at: e.at });
        if (verdict) await end(call, verdict, { endedBy: 'call-status', at: e.at });
      },
    } satisfies StatusListener,
  };
};

export type TrackingCallService = ReturnType<typeof createTrackingCallService>;
