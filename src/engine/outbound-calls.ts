import { isUuid, type Db } from '../db/db.js';
import type { DeliveriesRepo, Delivery } from './deliveries-repo.js';
import type { ConferencePayload, PagerPayload, VoicePayload } from './delivery-payloads.js';
import type { PollPort } from './notification-extras-port.js';
import type { DeliveryStatusService } from './status-listener.js';

export type OutboundCallsDeps = {
  db: Db;
  deliveries: Pick<DeliveriesRepo, 'findDelivery'>;
  status: Pick<DeliveryStatusService, 'acknowledge' | 'answered'>;
  polls?: Pick<PollPort, 'recordAnswer'>;
};

export type NotifyScript = { kind: 'voice'; text: string; poll: { question: string; options: string[] } | null };
/** A callback's agent call (voice payload with `callback`): the agent hears the whisper, then the contact is dialled. */
export type CallbackScript = { kind: 'callback'; whisper: string };
export type CallScript =
  | NotifyScript
  | CallbackScript
  | { kind: 'conference'; intro: string; conferenceName: string }
  | { kind: 'pager'; digits: string };

/**
 * What the calls Switchboard places say and do, for the outbound TwiML routes. Looks a call up
 * by its delivery id (from the signed callback URL); a callee's key presses become an
 * acknowledgement or a poll answer on that delivery.
 */
export const createOutboundCalls = (deps: OutboundCallsDeps) => {
  const load = async (deliveryId: string): Promise<Delivery | null> => (isUuid(deliveryId) ? deps.deliveries.findDelivery(deps.db, deliveryId) : null);

  /** The script of an answered call (null: unknown delivery). Marks the delivery answered. */
  const answer = async (deliveryId: string): Promise<CallScript | null> => {
    const d = await load(deliveryId);
    if (!d) return null;
    await deps.status.answered(d.accountId, d.id);
    return scriptOf(d);
  };

  const scriptOf = (d: Delivery): CallScript | null => {
    if (d.channel === 'voice') {
      const p = d.payload as unknown as VoicePayload;
      if (p.callback) return { kind: 'callback', whisper: p.text };
      return { kind: 'voice', text: p.text, poll: p.pollId && p.pollOptions ? { question: p.pollQuestion ?? '', options: p.pollOptions } : null };
    }
    if (d.channel === 'conference') {
      const p = d.payload as unknown as ConferencePayload;
      return { kind: 'conference', intro: p.intro, conferenceName: p.conferenceName };
    }
    if (d.channel === 'pager') return { kind: 'pager', digits: (d.payload as unknown as PagerPayload).digits };
    return null;
  };

  /** The callee pressed 1 on a notification call. Returns its poll, if any, to ask next. */
  const acknowledge = async (deliveryId: string): Promise<NotifyScript | null> => {
    const d = await load(deliveryId);
    if (!d || d.channel !== 'voice') return null;
    await deps.status.acknowledge(d.accountId, d.id);
    return scriptOf(d) as NotifyScript;
  };

  /** A key pressed for the notification's poll. */
  const answerPoll = async (deliveryId: string, digits: string): Promise<{ result: 'recorded' | 'closed' | 'invalid'; script: NotifyScript } | null> => {
    const d = await load(deliveryId);
    if (!d || d.channel !== 'voice') return null;
    const script = scriptOf(d) as NotifyScript;
    const pollId = (d.payload as unknown as VoicePayload).pollId;
    const option = /^[1-9]$/.test(digits) ? Number(digits) : 0;
    if (!script.poll || !pollId || !deps.polls || !d.contactId) return { result: 'closed', script };
    if (option < 1 || option > script.poll.options.length) return { result: 'invalid', script };
    const ok = await deps.polls.recordAnswer({ accountId: d.accountId, pollId, contactId: d.contactId, option, channel: 'voice', deliveryId: d.id });
    return { result: ok ? 'recorded' : 'closed', script };
  };

  /** The script without side effects (to repeat a prompt). */
  const script = async (deliveryId: string): Promise<CallScript | null> => {
    const d = await load(deliveryId);
    return d ? scriptOf(d) : null;
  };

  return { answer, acknowledge, answerPoll, script };
};

export type OutboundCalls = ReturnType<typeof createOutboundCalls>;
