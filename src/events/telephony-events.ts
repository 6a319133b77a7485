import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { InboundSms, SmsInterceptor } from '../telephony/inbound-port.js';
import type { CallStatusEvent, MessageStatusEvent, StatusListener } from '../engine/status-port.js';
import type { EventLookupsRepo } from './event-lookups-repo.js';
import type { EventPublisher } from './event-types.js';

const FINAL_CALL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const TRACKED_MESSAGE = new Set(['sent', 'delivered', 'undelivered', 'failed', 'read']);

export type TelephonyEventsDeps = {
  db: Db;
  lookups: Pick<EventLookupsRepo, 'contactIdByNumber' | 'deliveryRef' | 'callByProviderId' | 'countCallsWith'>;
  publisher: EventPublisher;
  logger: Logger;
};

/** The account's contact with this number (phone first, then pager), or null. */
const contactByNumber = async (deps: TelephonyEventsDeps, accountId: string, number: string | null): Promise<string | null> =>
  number ? deps.lookups.contactIdByNumber(deps.db, accountId, number) : null;

/**
 * StatusListener that raises `call.ended` (once per call, on its final status) and
 * `delivery.status` (once per delivery and status). Idempotency keys make duplicated or
 * replayed carrier callbacks harmless.
 */
export const createEventStatusListener = (deps: TelephonyEventsDeps): StatusListener => {
  const deliveryEvent = async (accountId: string, where: { id?: string; providerId?: string }, status: string, errorCode: string | null) => {
    const d = await deps.lookups.deliveryRef(deps.db, accountId, where);
    if (!d) return;
    await deps.publisher.publish(deps.db, {
      accountId, type: 'delivery.status', contactId: d.contactId,
      data: { deliveryId: d.id, activationId: d.activationId, workflowId: d.workflowId, channel: d.channel, status, errorCode },
      idempotencyKey: `delivery.status:${d.id}:${status}`,
    });
  };

  return {
    async onMessageStatus(e: MessageStatusEvent) {
      if (!TRACKED_MESSAGE.has(e.status)) return;
      await deliveryEvent(e.accountId, { providerId: e.providerId }, e.status, e.errorCode);
    },
    async onCallStatus(e: CallStatusEvent) {
      if (e.params.delivery) await deliveryEvent(e.accountId, { id: e.params.delivery }, e.status, null);
      if (!FINAL_CALL.has(e.status)) return;
      const c = await deps.lookups.callByProviderId(deps.db, e.accountId, e.providerId);
      const direction = c?.direction ?? (e.direction?.startsWith('outbound') ? 'outbound' : 'inbound');
      const remote = direction === 'outbound' ? e.to : e.from;
      const contactId = c?.contactId ?? (await contactByNumber(deps, e.accountId, remote));
      const answered = e.status === 'completed' && ((e.durationSeconds ?? 0) > 0 || !!c?.answeredAt);
      const count = contactId || remote ? await deps.lookups.countCallsWith(deps.db, e.accountId, contactId, remote) : 0;
      await deps.publisher.publish(deps.db, {
        accountId: e.accountId, type: 'call.ended', contactId,
        data: {
          callId: c?.id ?? null, providerCallId: e.providerId, lineId: c?.lineId ?? null, direction,
          disposition: answered ? 'answered' : 'missed', durationSeconds: e.durationSeconds ?? 0, termReason: e.status,
          callCount: Math.max(count, 1), from: e.from, to: e.to,
        },
        idempotencyKey: `call.ended:${e.providerId}`,
        occurredAt: e.at,
      });
    },
  };
};

/**
 * SmsInterceptor that raises `message.received` for every inbound text and never handles it
 * (returns null), so code matching and other interceptors still run. Register it first.
 */
export const createEventSmsInterceptor = (deps: TelephonyEventsDeps): SmsInterceptor => ({
  name: 'events',
  async intercept(msg: InboundSms) {
    try {
      const contactId = msg.contactId ?? (await contactByNumber(deps, msg.accountId, msg.from));
      await deps.publisher.publish(deps.db, {
        accountId: msg.accountId, type: 'message.received', contactId,
        data: { messageId: msg.messageId, lineId: msg.lineId, body: msg.body, from: msg.from, to: msg.to },
        idempotencyKey: `message.received:${msg.providerId}`,
        occurredAt: msg.at,
      });
    } catch (err) {
      // A lost event must not stop the text from being answered; the carrier does not retry us.
      deps.logger.error({ err, messageId: msg.messageId }, 'could not record message.received');
    }
    return null;
  },
});
