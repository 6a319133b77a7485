import type { Queryable } from '../db/db.js';
import type { EventPublisher, NewEvent } from './event-types.js';

/** The contact fields whose changes raise events (camelCase, as the contacts API names them). */
export type ContactState = {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  pagerNumber?: string | null;
  timezone?: string | null;
  onDuty?: boolean | null;
  doNotContact?: boolean | null;
  status?: string | null;
  customFields?: Record<string, unknown> | null;
};

/** Who caused a change: a rule's action (loop protection) or a person/API (null). */
export type ChangeCause = { ruleId: string; chainDepth: number } | null;

export type ContactChange = { accountId: string; contactId: string; before: ContactState; after: ContactState; cause?: ChangeCause };

const scalarKeys = ['name', 'email', 'phone', 'pagerNumber', 'timezone', 'onDuty', 'doNotContact'] as const;
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Pure: the events a contact change raises. `contact.status_changed { from, to }` for the
 * status; `contact.field_changed { field, from, to }` per other changed field, custom fields as
 * `custom.<key>`. Keys absent from `after` did not change.
 */
export const contactChangeEvents = (c: ContactChange): NewEvent[] => {
  const cause = c.cause ? { causedByRule: c.cause.ruleId, chainDepth: c.cause.chainDepth + 1 } : {};
  const ev = (type: string, data: Record<string, unknown>): NewEvent => ({ accountId: c.accountId, contactId: c.contactId, type, data, ...cause });
  const out: NewEvent[] = [];
  if (c.after.status !== undefined && !same(c.before.status, c.after.status)) {
    out.push(ev('contact.status_changed', { from: c.before.status ?? null, to: c.after.status }));
  }
  for (const k of scalarKeys) {
    if (c.after[k] !== undefined && !same(c.before[k], c.after[k])) out.push(ev('contact.field_changed', { field: k, from: c.before[k] ?? null, to: c.after[k] ?? null }));
  }
  if (c.after.customFields) {
    const before = c.before.customFields ?? {};
    const after = c.after.customFields;
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (!same(before[k], after[k])) out.push(ev('contact.field_changed', { field: `custom.${k}`, from: before[k] ?? null, to: after[k] ?? null }));
    }
  }
  return out;
};

/**
 * Hook for the contacts service: call it inside the transaction that updates a contact, with
 * the row before and after. Publishes one event per change in that same transaction, so the
 * events exist exactly when the change commits. Returns the ids of the new events.
 */
export type ContactChangeHook = (tx: Queryable, change: ContactChange) => Promise<string[]>;

export const createContactChangeHook = (publisher: EventPublisher): ContactChangeHook => async (tx, change) => {
  const ids: string[] = [];
  for (const e of contactChangeEvents(change)) ids.push((await publisher.publish(tx, e)).event.id);
  return ids;
};

/**
 * The bulk form, for writes of many contacts in one transaction (a contact import): every
 * change's events in one batched insert (src/events/events-repo.ts `insertEventsWithOutbox`).
 * Returns the ids of the new events.
 */
export type ContactChangesHook = (tx: Queryable, changes: ContactChange[]) => Promise<string[]>;

export const createContactChangesHook = (publisher: EventPublisher): ContactChangesHook => async (tx, changes) => {
  const events = changes.flatMap(contactChangeEvents);
  return events.length > 0 ? publisher.publishMany(tx, events) : [];
};
