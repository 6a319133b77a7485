import type { PoolClient } from 'pg';
import { createDirectSends, ruleSends } from '../engine/direct-sends.js';

export type { DeliveryDispatch } from '../engine/direct-sends.js';

export type RuleChannel = 'sms' | 'voice' | 'email' | 'webhook';

/**
 * One send of a rule action (or an account notification), already rendered. `payload` follows
 * src/delivery/delivery-payloads.ts for the channel: sms `{ body, lineId, from }`, voice
 * `{ text, lineId, from }`, email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`.
 */
export type RuleSend = {
  accountId: string;
  /** Idempotency key of the activation: `rule:<pending action id>`, `notification:<id>:<n>`. */
  key: string;
  actionId: string;
  channel: RuleChannel;
  contactId: string | null;
  /** Recipient key of the delivery: the contact id, `webhook`, `owner:<email>`. */
  recipientKey: string;
  address: string | null;
  payload: Record<string, unknown>;
  context: Record<string, unknown>;
};

/**
 * How rules send: through the action engine's deliveries, like every other message
 * (src/delivery/direct-sends.ts). Each send is an activation (source `rule`) of the account's
 * hidden "Rule sends" system workflow with exactly one `pending` delivery, written in the
 * caller's transaction — so finishing the rule action and creating the delivery commit together
 * and a send can never happen twice. A message to a contact also gets its conversation row.
 */
export const createRuleDeliverySender = () => {
  const direct = createDirectSends(ruleSends);

  /** Writes the activation, its one delivery and (for messages) the conversation row. Idempotent on `key`. */
  const send = async (tx: PoolClient, s: RuleSend): Promise<{ deliveryId: string; activationId: string; created: boolean }> => {
    const r = await direct.send(tx, {
      accountId: s.accountId, key: s.key, context: s.context,
      deliveries: [{
        actionId: s.actionId, channel: s.channel, recipientKey: s.recipientKey, contactId: s.contactId, address: s.address,
        payload: s.payload, meta: s.context, history: s.contactId !== null,
      }],
    });
    return { deliveryId: r.deliveries[0]?.id as string, activationId: r.activationId as string, created: r.created };
  };

  return { send };
};
export type RuleDeliverySender = ReturnType<typeof createRuleDeliverySender>;

