import type { Db } from '../db/db.js';
import type { DomainEvent, EventConsumer } from '../events/event-types.js';
import type { InboundSms, SmsInterceptor } from '../telephony/inbound-port.js';
import type { Clock } from '../clock.js';
import type { Signal } from './conditions.js';
import type { SequenceSignalsRepo } from './sequence-signals-repo.js';

/**
 * What enrolled contacts do reaches sequences two ways, both idempotent on `ref`:
 * - the event pipeline (`EventConsumer` "sequences"): every event about a contact — replies
 *   (`message.received`), key presses (`delivery.status` acknowledged), poll answers, contact
 *   changes and any external event (`invoice.paid` posted to /v1/events);
 * - the inbound SMS chain (`SmsInterceptor` "sequence-replies"), so a reply counts even when the
 *   events pipeline is slow.
 * A signal is stored (stamped with the sequence clock) only for a contact with an active
 * enrollment, and that contact's enrollments are made due now, so branches waiting for it and
 * exit conditions are evaluated by the next worker batch.
 */
export type SignalsDeps = { db: Db; clock: Clock; signals: Pick<SequenceSignalsRepo, 'recordSignal' | 'isWaitingForReply'> };

const KEYWORDS = /^(stop|stopall|unsubscribe|cancel|end|quit|start|unstop|yes|help|info)$/i;
const CODE_LIKE = /^[A-Za-z0-9]{4}$/;

export const createSequenceSignals = (deps: SignalsDeps) => {
  const { db, clock } = deps;

  /** Stores the signal if the contact is in a sequence; returns true when it was (newly) stored. */
  const record = (accountId: string, contactId: string, s: Omit<Signal, 'at'> & { ref: string }): Promise<boolean> =>
    deps.signals.recordSignal(db, accountId, contactId, s, clock.now());

  /** Maps a domain event to the signal sequences look at. */
  const signalOf = (e: DomainEvent): Omit<Signal, 'at'> & { ref: string } => {
    const d = e.data ?? {};
    if (e.type === 'message.received' && typeof d.messageId === 'string') {
      return { kind: 'replied', eventType: e.type, data: { body: d.body ?? '', messageId: d.messageId }, ref: `message:${d.messageId}` };
    }
    if (e.type === 'poll.answered') return { kind: 'poll_answered', eventType: e.type, data: d, ref: `event:${e.id}` };
    // Opened / clicked a tracked e-mail (src/email-tracking): matched to the step's delivery.
    if (e.type === 'email.opened') return { kind: 'email_opened', eventType: e.type, data: d, ref: `event:${e.id}` };
    if (e.type === 'email.clicked') return { kind: 'email_clicked', eventType: e.type, data: d, ref: `event:${e.id}` };
    if (e.type === 'delivery.status' && d.status === 'acknowledged') {
      return { kind: 'key_pressed', eventType: e.type, data: { ...d, digits: typeof d.digits === 'string' ? d.digits : '1' }, ref: `event:${e.id}` };
    }
    return { kind: 'event', eventType: e.type, data: d, ref: `event:${e.id}` };
  };

  /** EventConsumer: idempotent on the event (the signal's `ref`). */
  const consumer: EventConsumer = {
    name: 'sequences',
    async handle(e) {
      if (!e.contactId) return;
      await record(e.accountId, e.contactId, signalOf(e));
    },
  };

  /**
   * SmsInterceptor: records the reply and lets the message go on (returns null) so opt-out
   * keywords, poll answers, codes and rules still see it — except when it is purely a sequence
   * reply: the contact has an enrollment waiting at a `replied` branch right now and the text
   * is neither a keyword nor code-shaped. Then it is handled with no auto-reply, so a free-text
   * answer ("yes, call me tomorrow") is not answered with "unknown code".
   */
  const interceptor: SmsInterceptor = {
    name: 'sequence-replies',
    async intercept(msg: InboundSms) {
      if (!msg.contactId) return null;
      await record(msg.accountId, msg.contactId, {
        kind: 'replied', eventType: 'message.received', data: { body: msg.body, messageId: msg.messageId }, ref: `message:${msg.messageId}`,
      });
      const text = msg.body.trim();
      if (!text || KEYWORDS.test(text) || CODE_LIKE.test(text)) return null;
      return (await deps.signals.isWaitingForReply(db, msg.accountId, msg.contactId)) ? { handled: true, reply: null } : null;
    },
  };

  return { record, consumer, interceptor, signalOf };
};
export type SequenceSignals = ReturnType<typeof createSequenceSignals>;
