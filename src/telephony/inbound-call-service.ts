/**
 * The activation line, voice side: what each step of an inbound call decides. It returns a
 * domain outcome; the voice route turns it into TwiML (ivr/activation-line.ts).
 * Every method re-finds the line from the called number and checks that the verified carrier
 * account owns it, so a step URL cannot be replayed against another account's line.
 */
import type { ActivationService } from '../engine/activation-service.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { CodesRepo } from './codes-repo.js';
import type { ConversationRepo } from './conversation-repo.js';
import type { InboundCallsRepo } from './inbound-calls-repo.js';
import { createInboundCallWriter } from './inbound-call-writer.js';
import type { GatewayLine, GatewayLinesRepo } from './lines-repo.js';
import type { Lockout } from './lockout.js';
import { SIMULATOR_ACCOUNT_SID } from '../carriers/simulator-credentials.js';
import type { TrackingCallHandler } from './tracking-port.js';

/** One inbound call as the carrier describes it (carrier field names converted at the door). */
export type InboundCall = {
  /** The carrier account that signed the webhook (verified). */
  carrierAccountSid: string;
  providerCallId: string;
  from: string;
  to: string;
  carrierParams?: Record<string, string>;
};

export type VoiceOutcome =
  | { kind: 'unknown-line' }
  | { kind: 'withheld-caller' }
  | { kind: 'not-allowed' }
  | { kind: 'tracking'; twiml: string | null }
  | { kind: 'greeting'; greeting: string }
  /** Wrong code, no keys, or locked out: worded the same. `attempt` is the try just made. */
  | { kind: 'retry'; attempt: number; reason: 'wrong' | 'no-input' }
  | { kind: 'record'; workflowId: string; maxSeconds: number }
  | { kind: 'activated'; activationId: string; workflowName: string; recipients: number; created: boolean };

export type InboundCallServiceDeps = {
  db: Db;
  lines: Pick<GatewayLinesRepo, 'findLineByNumber'>;
  codes: Pick<CodesRepo, 'findWorkflowByDigits' | 'countWorkflowRecipients' | 'findContactIdByPhone' | 'findWorkflowName'>;
  conversations: Pick<ConversationRepo, 'noteCallActivation'>;
  calls: Pick<InboundCallsRepo, 'insertInboundCalls'>;
  activations: Pick<ActivationService, 'activate'>;
  lockout: Lockout;
  tracking?: TrackingCallHandler | null;
  /**
   * How long the first webhook of a call may reuse a line it looked up (per process; default
   * 5 s, 0 = always read): every call to a busy line otherwise reads the same row. A line edited
   * or deleted meanwhile is seen by new calls after at most this long; the code, recording and
   * activation steps always read the line afresh.
   */
  lineCacheMs?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
};

const E164 = /^\+[1-9]\d{6,14}$/;

/** Does the verified carrier account own this line? (simulator lines: the simulator SID). */
export const ownsLine = (line: GatewayLine, carrierAccountSid: string): boolean =>
  line.provider === 'simulator' ? carrierAccountSid === SIMULATOR_ACCOUNT_SID : line.connectionAccountSid === carrierAccountSid;

export const createInboundCallService = (deps: InboundCallServiceDeps) => {
  const { codes } = deps;
  const lineTtl = deps.lineCacheMs ?? 5_000;
  const lines = new Map<string, { until: number; line: Promise<GatewayLine | null> }>();
  /** The line of a called number, reused for `lineTtl` (unknown numbers are never cached). */
  const cachedLine = (phone: string): Promise<GatewayLine | null> => {
    const now = Date.now();
    const hit = lines.get(phone);
    if (hit && hit.until > now) return hit.line;
    const line = deps.lines.findLineByNumber(deps.db, phone);
    if (lineTtl > 0) {
      lines.set(phone, { until: now + lineTtl, line });
      line.then((l) => { if (!l) lines.delete(phone); }, () => lines.delete(phone));
      if (lines.size > 1000) lines.delete(lines.keys().next().value!);
    }
    return line;
  };
  const callLog = createInboundCallWriter({ db: deps.db, calls: deps.calls, logger: deps.logger });

  const lineFor = async (call: InboundCall): Promise<GatewayLine | null> => {
    const line = await deps.lines.findLineByNumber(deps.db, call.to);
    return line && ownsLine(line, call.carrierAccountSid) ? line : null;
  };
  const subject = (line: GatewayLine, call: InboundCall) => ({ accountId: line.accountId, lineId: line.id, caller: call.from });

  /**
   * `known`: the workflow as the code step just read it, whose name the caller hears without a
   * statement of its own, unless the call's key already named another workflow's activation.
   */
  const activate = async (line: GatewayLine, call: InboundCall, workflowId: string, recordingUrl: string | null, known?: { id: string; name: string }): Promise<VoiceOutcome> => {
    const { activation, created } = await deps.activations.activate({
      accountId: line.accountId,
      workflowId,
      source: 'ivr',
      idempotencyKey: `twilio:${call.providerCallId}`,
      recordingUrl,
      context: { caller: call.from, lineId: line.id, providerCallId: call.providerCallId },
    });
    const [recipients, name] = await Promise.all([
      codes.countWorkflowRecipients(deps.db, line.accountId, activation.workflowId),
      known?.id === activation.workflowId ? known.name : codes.findWorkflowName(deps.db, activation.workflowId),
      deps.conversations.noteCallActivation(deps.db, { accountId: line.accountId, lineId: line.id, providerCallId: call.providerCallId, from: call.from, to: call.to }, activation.id, activation.recordingUrl),
    ]);
    return { kind: 'activated', activationId: activation.id, workflowName: name, recipients, created };
  };

  return {
    /** Writes the call history rows still queued (graceful shutdown, tests). */
    flush: () => callLog.flush(),

    /** First webhook of a call: which line, who may call, greeting or tracking hand-off. */
    async answer(call: InboundCall): Promise<VoiceOutcome> {
      const e164 = E164.test(call.from);
      // Hot path: the line from the short cache, then one (group) insert that also finds the caller.
      const line = await cachedLine(call.to);
      if (!line || !ownsLine(line, call.carrierAccountSid)) return { kind: 'unknown-line' };
      if (line.mode === 'tracking') {
        if (!deps.tracking) return { kind: 'tracking', twiml: null };
        const { twiml } = await deps.tracking.handleInboundCall({
          accountId: line.accountId, lineId: line.id, providerCallId: call.providerCallId, from: call.from, to: call.to,
          contactId: e164 ? await codes.findContactIdByPhone(deps.db, line.accountId, call.from) : null, carrierParams: call.carrierParams ?? {}, at: new Date(),
        });
        return { kind: 'tracking', twiml };
      }
      // Lockout and "known contacts only" need a caller: a withheld number cannot activate.
      if (!e164) return { kind: 'withheld-caller' };
      let contactId: string | null | undefined; // undefined: the insert looks the caller up
      if (line.settings.knownContactsOnly === true) {
        contactId = await codes.findContactIdByPhone(deps.db, line.accountId, call.from);
        if (!contactId) return { kind: 'not-allowed' };
      }
      // History row written behind the answer (a few ms later, batched): see inbound-call-writer.ts.
      callLog.write({ accountId: line.accountId, lineId: line.id, contactId, providerCallId: call.providerCallId, from: call.from, to: call.to, source: 'ivr' });
      return { kind: 'greeting', greeting: line.greeting };
    },

    /** Keys entered at the code prompt (`attempt` 1..3). */
    async enterCode(call: InboundCall, digits: string, attempt: number): Promise<VoiceOutcome> {
      const line = await lineFor(call);
      if (!line || line.mode !== 'activation') return { kind: 'unknown-line' };
      if (!E164.test(call.from)) return { kind: 'withheld-caller' };
      if (!/^\d{4}$/.test(digits)) {
        // Fewer keys than a code (timeout) or * / #: not counted as a guess.
        return { kind: 'retry', attempt, reason: digits ? 'wrong' : 'no-input' };
      }
      const s = subject(line, call);
      if (await deps.lockout.isLocked(s)) return { kind: 'retry', attempt, reason: 'wrong' };
      const wf = await codes.findWorkflowByDigits(deps.db, line.accountId, line.id, digits);
      if (!wf) {
        await deps.lockout.recordMiss(s);
        return { kind: 'retry', attempt, reason: 'wrong' };
      }
      if (line.settings.knownContactsOnly === true && !(await codes.findContactIdByPhone(deps.db, line.accountId, call.from))) return { kind: 'not-allowed' };
      if (wf.askVoiceMessage) return { kind: 'record', workflowId: wf.id, maxSeconds: wf.maxRecordingSeconds };
      return activate(line, call, wf.id, null, wf);
    },

    /** After `<Record>` (or when nothing was recorded): activate with the recording, if any. */
    async recorded(call: InboundCall, workflowId: string, recordingUrl: string | null): Promise<VoiceOutcome> {
      const line = await lineFor(call);
      if (!line || line.mode !== 'activation') return { kind: 'unknown-line' };
      return activate(line, call, workflowId, recordingUrl);
    },
  };
};

export type InboundCallService = ReturnType<typeof createInboundCallService>;
