import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import type { InboundSms, SmsInterceptor } from '../telephony/inbound-port.js';
import type { CallStatusEvent, MessageStatusEvent, StatusListener } from '../engine/status-port.js';
import type { EventPublisher } from './event-types.js';

const FINAL_CALL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const TRACKED_MESSAGE = new Set(['sent', 'delivered', 'undelivered', 'failed', 'read']);

export type TelephonyEventsDeps = { db: Db; publisher: EventPublisher; logger: Logger };

/** The account's contact with this number (phone first, then pager), or null. */
const contactByNumber = async (db: Db, accountId: string, number: string | null): Promise<string | null> => {
  if (!number) return null;
  const res = await db.query(
    'SELECT id FROM contacts WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) ORDER BY (phone = $2) DESC, created_at LIMIT 1',
    [accountId, number],
  );
  return res.rows[0]?.id ?? null;
};

/**
 * StatusListener that raises `call.ended` (once per call, on its final status) and
 * `delivery.status` (once per delivery and status). Idempotency keys make duplicated or
 * replayed carrier callbacks harmless.
 */
export const createEventStatusListener = (deps: TelephonyEventsDeps): StatusListener => {
  const deliveryEvent = async (accountId: string, where: { id?: string; providerId?: string }, status: string, errorCode: string | null) => {
    const res = await deps.db.query(
      `SELECT d.id, d.activation_id, d.channel, d.contact_id, a.workflow_id FROM deliveries d JOIN activations a ON a.id = d.activation_id
        WHERE d.account_id = $1 AND ${where.id ? 'd.id = $2' : 'd.provider_id = $2'} LIMIT 1`,
      [accountId, where.id ?? where.providerId],
    ).catch(() => ({ rows: [] as Array<Record<string, string>> }));
    const d = res.rows[0];
    if (!d) return;
    await deps.publisher.publish(deps.db, {
      accountId, type: 'delivery.status', contactId: d.contact_id ?? null,
      data: { deliveryId: d.id, activationId: d.activation_id, workflowId: d.workflow_id, channel: d.channel, status, errorCode },
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
      const call = await deps.db.query('SELECT id, line_id, contact_id, direction, answered_at FROM calls WHERE account_id = $1 AND provider_call_id = $2', [e.accountId, e.providerId]);
      const c = call.rows[0];
      const direction = c?.direction ?? (e.direction?.startsWith('outbound') ? 'outbound' : 'inbound');
      const remote = direction === 'outbound' ? e.to : e.from;
      const contactId = c?.contact_id ?? (await contactByNumber(deps.db, e.accountId, remote));
      const answered = e.status === 'completed' && ((e.durationSeconds ?? 0) > 0 || !!c?.answered_at);
      const count = contactId || remote
        ? await deps.db.query(
          'SELECT count(*)::int AS n FROM calls WHERE account_id = $1 AND (contact_id = $2 OR from_number = $3 OR to_number = $3)',
          [e.accountId, contactId, remote],
        )
        : null;
      await deps.publisher.publish(deps.db, {
        accountId: e.accountId, type: 'call.ended', contactId,
        data: {
          callId: c?.id ?? null, providerCallId: e.providerId, lineId: c?.line_id ?? null, direction,
          disposition: answered ? 'answered' : 'missed', durationSeconds: e.durationSeconds ?? 0, termReason: e.status,
          callCount: Math.max(count?.rows[0]?.n ?? 0, 1), from: e.from, to: e.to,
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
      const contactId = msg.contactId ?? (await contactByNumber(deps.db, msg.accountId, msg.from));
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
