import type { Queryable } from '../db/db.js';

/**
 * Internal event types. External systems may post any other dotted type (`invoice.paid`).
 * - call.ended: { callId, lineId, direction, disposition: answered|missed, durationSeconds, termReason, callCount }
 * - message.received: { messageId, lineId, body, from }
 * - delivery.status: { deliveryId, activationId, channel, status, errorCode }
 * - contact.status_changed: { from, to }
 * - contact.field_changed: { field, from, to }
 * - poll.answered: { pollId, activationId, option, optionIndex }
 * - callback.scheduled: { callbackId, ruleId, lineId, kind, dueAt }
 * - callback.completed: { callbackId, ruleId, lineId, kind, agent, talkSeconds }
 * - callback.failed: { callbackId, ruleId, lineId, kind, agent, reason: no_answer|busy|agent_unavailable|do_not_contact|quiet_hours|… }
 * - email.opened: { deliveryId, activationId, workflowId, actionId, address, sequenceId?, stepId?, machineOpen,
 *   machineReason, userAgent, via? } — first open of a tracked e-mail (src/email-tracking), once per delivery
 * - email.clicked: { deliveryId, activationId, workflowId, actionId, address, sequenceId?, stepId?, url, machineClick,
 *   machineReason, userAgent } — first followed link of a tracked e-mail, once per delivery
 */
export type InternalEventType =
  | 'call.ended'
  | 'message.received'
  | 'delivery.status'
  | 'contact.status_changed'
  | 'contact.field_changed'
  | 'poll.answered'
  | 'callback.scheduled'
  | 'callback.completed'
  | 'callback.failed'
  | 'email.opened'
  | 'email.clicked';

export type DomainEvent = {
  id: string;
  accountId: string;
  type: string;
  contactId: string | null;
  data: Record<string, unknown>;
  source: 'api' | 'internal';
  idempotencyKey: string | null;
  causedByRule: string | null;
  chainDepth: number;
  occurredAt: Date;
};

export type NewEvent = Omit<DomainEvent, 'id' | 'source' | 'causedByRule' | 'chainDepth' | 'idempotencyKey' | 'occurredAt'> & {
  source?: 'api' | 'internal';
  idempotencyKey?: string | null;
  causedByRule?: string | null;
  chainDepth?: number;
  occurredAt?: Date;
};

/**
 * Port: records an event and its outbox row in the caller's transaction (or its own), idempotent
 * on (account, idempotencyKey): a repeat returns the first event with `created: false`.
 */
export interface EventPublisher {
  publish(q: Queryable, e: NewEvent): Promise<{ event: DomainEvent; created: boolean }>;
  /**
   * Many events without idempotency keys (e.g. a bulk contact import), inserted in bulk with
   * their outbox rows in the caller's transaction; returns their ids.
   */
  publishMany(q: Queryable, events: NewEvent[]): Promise<string[]>;
}

/**
 * Port: a feature that reacts to events (rules, sequences). Called by the event worker once per
 * event per consumer, possibly again after a crash: must be idempotent on `event.id`.
 */
export type EventConsumer = { name: string; handle(e: DomainEvent): Promise<void> };
