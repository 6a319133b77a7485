import type { PoolClient } from 'pg';
import { createReadyPlans } from '../engine/ready-plans.js';
import type { ReadyPlansRepo } from '../engine/ready-plans-repo.js';

export type { ActivationDispatcher } from '../engine/activation-service.js';

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

/** The statements a sender runs, wired by its feature's module (the engine's ready-plans-repo.ts). */
export type RuleDeliverySenderDeps = {
  readyPlans: Pick<ReadyPlansRepo, 'findOrCreateSystemWorkflow' | 'insertReadyActivation' | 'findReadyByKey'>;
};

/**
 * How rules send: through the engine's one send path, like every other message
 * (src/engine/ready-plans.ts). Each send is an activation (source `rule`) of the account's
 * hidden "Rule sends" system workflow whose ready plan holds exactly one delivery, written with
 * its outbox row in the caller's transaction — so finishing the rule action and the send commit
 * together and a send can never happen twice. The planner writes the delivery (with the id
 * returned here) and, for a message to a contact, its conversation row. After COMMIT the caller
 * hands a created `activationId` to the outbox relay (`ActivationDispatcher`).
 */
export const createRuleDeliverySender = (deps: RuleDeliverySenderDeps) => {
  const plans = createReadyPlans({ repo: deps.readyPlans });

  /** Writes the activation holding the one delivery. Idempotent on `key`: a repeat returns the first ids. */
  const send = async (tx: PoolClient, s: RuleSend): Promise<{ deliveryId: string; activationId: string; created: boolean }> => {
    const r = await plans.activateReady(tx, {
      accountId: s.accountId, source: 'rule', key: s.key, context: s.context,
      deliveries: [{
        actionId: s.actionId, channel: s.channel, recipientKey: s.recipientKey, contactId: s.contactId, address: s.address,
        payload: s.payload, meta: s.context, history: s.contactId !== null,
      }],
    });
    return { deliveryId: r.deliveries[0]?.id as string, activationId: r.activationId, created: r.created };
  };

  return { send };
};
export type RuleDeliverySender = ReturnType<typeof createRuleDeliverySender>;
