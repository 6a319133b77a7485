/**
 * Carrier status callbacks (`POST /webhooks/twilio/status`): records message and call status
 * on `messages` / `calls` in carrier sequence order (a stale callback changes nothing), then
 * tells every `StatusListener` (e.g. the action engine moving deliveries). Listeners are told
 * even of stale or repeated callbacks: they are required to be idempotent and ordered by
 * `sequence` themselves, so a listener that failed once gets another chance on a retry.
 */
import type { Db } from '../db/db.js';
import { applyCallStatus, applyMessageStatus } from './conversation-repo.js';
import { ownsLine } from './inbound-call-service.js';
import { findLineByMessagingService, findLineByNumber, type GatewayLine } from './lines-repo.js';
import type {
  CallStatusEvent, CallStatusInput, MessageStatusEvent, MessageStatusInput, StatusListener,
} from '../engine/status-port.js';

export type StatusOutcome = { accountId: string | null; recorded: boolean; listenerErrors: unknown[] };

export type StatusServiceDeps = { db: Db; listeners: StatusListener[] };

export const createStatusService = (deps: StatusServiceDeps) => {
  /**
   * The account is the owner of our number in the callback: From for outbound, To for inbound;
   * for a text sent through a Messaging Service, the line that sends through that service.
   */
  const lineOf = async (e: MessageStatusInput | CallStatusInput): Promise<GatewayLine | null> => {
    for (const n of [e.from, e.to]) {
      if (!n) continue;
      const line = await findLineByNumber(deps.db, n);
      if (line && ownsLine(line, e.carrierAccountSid)) return line;
    }
    if (e.kind === 'message' && e.messagingServiceSid) return findLineByMessagingService(deps.db, e.messagingServiceSid, e.carrierAccountSid);
    return null;
  };

  const record = async (e: MessageStatusInput | CallStatusInput): Promise<StatusOutcome> => {
    const line = await lineOf(e);
    if (!line) return { accountId: null, recorded: false, listenerErrors: [] };
    const accountId = line.accountId;
    const listenerErrors: unknown[] = [];
    if (e.kind === 'message') {
      const recorded = await applyMessageStatus(deps.db, { accountId, providerId: e.providerId, status: e.status, errorCode: e.errorCode, sequence: e.sequence });
      const ev: MessageStatusEvent = { accountId, providerId: e.providerId, status: e.status, errorCode: e.errorCode, sequence: e.sequence, params: e.params, at: e.at };
      for (const l of deps.listeners) if (l.onMessageStatus) await l.onMessageStatus(ev).catch((err: unknown) => listenerErrors.push(err));
      return { accountId, recorded, listenerErrors };
    }
    const direction = e.direction === 'inbound' ? 'inbound' : 'outbound';
    const recorded = await applyCallStatus(deps.db, {
      accountId, lineId: line.id, providerCallId: e.providerId, direction, from: e.from, to: e.to,
      status: e.status, durationSeconds: e.durationSeconds, sequence: e.sequence,
    });
    const ev: CallStatusEvent = {
      accountId, providerId: e.providerId, status: e.status, durationSeconds: e.durationSeconds, answeredBy: e.answeredBy,
      sequence: e.sequence, from: e.from, to: e.to, direction: e.direction, params: e.params, at: e.at,
    };
    for (const l of deps.listeners) if (l.onCallStatus) await l.onCallStatus(ev).catch((err: unknown) => listenerErrors.push(err));
    return { accountId, recorded, listenerErrors };
  };

  return { record };
};

export type StatusService = ReturnType<typeof createStatusService>;
