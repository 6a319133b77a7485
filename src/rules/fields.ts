import type { DomainEvent } from '../events/event-types.js';
import type { FieldType } from './rule-types.js';

/** The contact as rules see it. */
export type ContactSnapshot = {
  id: string;
  accountId: string;
  name: string;
  phone: string | null;
  email: string | null;
  pagerNumber: string | null;
  timezone: string | null;
  onDuty: boolean;
  doNotContact: boolean;
  optedOutChannels: string[];
  status: string;
  customFields: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  /** Start of the contact's latest call, inbound or outbound (kept by a trigger on `calls`). */
  lastCalledAt?: Date | null;
};

/** Built-in contact fields: name in conditions -> [column, type, writable by update_field]. */
export const contactFields: Record<string, { column: string; type: FieldType; writable: boolean }> = {
  name: { column: 'name', type: 'text', writable: true },
  phone: { column: 'phone', type: 'text', writable: false },
  email: { column: 'email', type: 'text', writable: true },
  pagerNumber: { column: 'pager_number', type: 'text', writable: false },
  timezone: { column: 'timezone', type: 'text', writable: false },
  status: { column: 'status', type: 'text', writable: false },
  onDuty: { column: 'on_duty', type: 'boolean', writable: true },
  doNotContact: { column: 'do_not_contact', type: 'boolean', writable: false },
  createdAt: { column: 'created_at', type: 'date', writable: false },
  updatedAt: { column: 'updated_at', type: 'date', writable: false },
  lastCalledAt: { column: 'last_called_at', type: 'date', writable: false },
};

/** Values each internal event carries, with their types (see src/events/event-types.ts). */
export const internalEventFields: Record<string, Record<string, FieldType>> = {
  'call.ended': { callId: 'text', lineId: 'text', direction: 'text', disposition: 'text', durationSeconds: 'number', termReason: 'text', callCount: 'number', from: 'text', to: 'text' },
  'message.received': { messageId: 'text', lineId: 'text', body: 'text', from: 'text' },
  'delivery.status': { deliveryId: 'text', activationId: 'text', workflowId: 'text', channel: 'text', status: 'text', errorCode: 'text' },
  'contact.status_changed': { from: 'text', to: 'text' },
  'contact.field_changed': { field: 'text', from: 'text', to: 'text' },
  'poll.answered': { pollId: 'text', activationId: 'text', option: 'text', optionIndex: 'number' },
  'email.opened': {
    deliveryId: 'text', activationId: 'text', workflowId: 'text', actionId: 'text', address: 'text', sequenceId: 'text', stepId: 'text',
    machineOpen: 'boolean', machineReason: 'text', userAgent: 'text', via: 'text',
  },
  'email.clicked': {
    deliveryId: 'text', activationId: 'text', workflowId: 'text', actionId: 'text', address: 'text', sequenceId: 'text', stepId: 'text',
    url: 'text', machineClick: 'boolean', machineReason: 'text', userAgent: 'text',
  },
  'callback.scheduled': { callbackId: 'text', ruleId: 'text', lineId: 'text', kind: 'text', dueAt: 'date' },
  'callback.completed': { callbackId: 'text', ruleId: 'text', lineId: 'text', kind: 'text', agent: 'text', talkSeconds: 'number' },
  'callback.failed': { callbackId: 'text', ruleId: 'text', lineId: 'text', kind: 'text', agent: 'text', reason: 'text' },
};

export type FieldInfo =
  | { kind: 'event'; key: string; type: FieldType | null }
  | { kind: 'contact'; key: string; type: FieldType; builtin: true }
  | { kind: 'custom'; key: string; type: FieldType | null }
  | { kind: 'unknown'; reason: string };

/** What a field path names and its type (null = declared by the condition, default text). */
export const describeField = (path: string, eventType: string | null): FieldInfo => {
  const [root, a, b] = path.split('.');
  if (root === 'event') {
    if (b !== undefined) return { kind: 'unknown', reason: 'event values are event.<key>' };
    const known = eventType ? internalEventFields[eventType] : undefined;
    if (known) {
      if (!(a! in known)) return { kind: 'unknown', reason: `${eventType} has no value "${a}" (has ${Object.keys(known).join(', ')})` };
      return { kind: 'event', key: a!, type: known[a!]! };
    }
    return { kind: 'event', key: a!, type: null };
  }
  if (a === 'custom') {
    if (!b) return { kind: 'unknown', reason: 'custom fields are contact.custom.<key>' };
    return { kind: 'custom', key: b, type: null };
  }
  if (b !== undefined) return { kind: 'unknown', reason: `unknown contact field "${a}.${b}"` };
  const f = contactFields[a!];
  if (!f) return { kind: 'unknown', reason: `unknown contact field "${a}" (use contact.custom.${a} for a custom field)` };
  return { kind: 'contact', key: a!, type: f.type, builtin: true };
};

/** The value a field path names for this contact and event (undefined when absent). */
export const resolveField = (path: string, ctx: { contact: ContactSnapshot | null; event: Pick<DomainEvent, 'data'> | null }): unknown => {
  const [root, a, b] = path.split('.');
  if (root === 'event') return ctx.event?.data?.[a!];
  if (!ctx.contact) return undefined;
  if (a === 'custom') return ctx.contact.customFields[b!];
  return (ctx.contact as unknown as Record<string, unknown>)[a!];
};

/** Flat `{{field}}` values for templates: `contact.name`, `contact.custom.x`, `event.x`, plus `name`, `phone`… */
export const templateFields = (contact: ContactSnapshot | null, event: Pick<DomainEvent, 'data' | 'type'> | null): Record<string, string> => {
  const out: Record<string, string> = {};
  const put = (k: string, v: unknown) => {
    if (v === null || v === undefined) return;
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  if (contact) {
    for (const k of Object.keys(contactFields)) {
      const v = (contact as unknown as Record<string, unknown>)[k];
      put(`contact.${k}`, v);
      put(k, v);
    }
    put('contact.id', contact.id);
    for (const [k, v] of Object.entries(contact.customFields)) put(`contact.custom.${k}`, v);
  }
  if (event) {
    put('event.type', event.type);
    for (const [k, v] of Object.entries(event.data ?? {})) put(`event.${k}`, v);
  }
  return out;
};

export const toContactSnapshot = (r: Record<string, any>): ContactSnapshot => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  phone: r.phone,
  email: r.email,
  pagerNumber: r.pager_number,
  timezone: r.timezone,
  onDuty: r.on_duty,
  doNotContact: r.do_not_contact,
  optedOutChannels: r.opted_out_channels ?? [],
  status: r.status,
  customFields: r.custom_fields ?? {},
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastCalledAt: r.last_called_at ?? null,
});
