import type { Condition, FieldCondition } from './sequence-types.js';

/**
 * Condition evaluation for branches and exits. Pure: the contact and the signals are loaded by
 * the caller. A signal is something the contact did, stamped with the sequence clock.
 */
export type SequenceContact = {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  timezone: string | null;
  onDuty: boolean;
  status: string;
  doNotContact: boolean;
  optedOutChannels: string[];
  customFields: Record<string, unknown>;
};

export type Signal = {
  kind: 'replied' | 'key_pressed' | 'poll_answered' | 'email_opened' | 'email_clicked' | 'event';
  eventType: string;
  data: Record<string, unknown>;
  at: Date;
};

const fieldValue = (c: SequenceContact, field: string): unknown => {
  if (field.startsWith('custom.')) {
    return field.slice(7).split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), c.customFields);
  }
  if (field.startsWith('optedOut.')) return c.optedOutChannels.includes(field.slice(9));
  return (c as unknown as Record<string, unknown>)[field];
};

const eq = (a: unknown, b: unknown): boolean =>
  a === b || (a !== null && a !== undefined && b !== null && b !== undefined && String(a).toLowerCase() === String(b).toLowerCase());

const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

export const fieldMatches = (c: SequenceContact, cond: FieldCondition): boolean => {
  const v = fieldValue(c, cond.field);
  const want = cond.value;
  const list = Array.isArray(want) ? want : [want];
  switch (cond.op) {
    case 'eq': return eq(v, want);
    case 'neq': return !eq(v, want);
    case 'in': return list.some((w) => eq(v, w));
    case 'not_in': return !list.some((w) => eq(v, w));
    case 'exists': return v !== undefined && v !== null && v !== '';
    case 'not_exists': return v === undefined || v === null || v === '';
    case 'contains':
      return Array.isArray(v) ? v.some((x) => eq(x, want)) : typeof v === 'string' && typeof want === 'string' && v.toLowerCase().includes(want.toLowerCase());
    default: {
      const a = num(v);
      const b = num(want);
      if (a === null || b === null) return false;
      return cond.op === 'gt' ? a > b : cond.op === 'gte' ? a >= b : cond.op === 'lt' ? a < b : a <= b;
    }
  }
};

/**
 * What a condition is matched against besides the signal: `emailDeliveries`, the e-mail
 * deliveries an `email_opened` / `email_clicked` condition is about (the branch's step, or every
 * e-mail of the enrollment for exits). Absent or empty: no e-mail can match.
 */
export type MatchContext = { emailDeliveries?: readonly string[] };

/** Does this signal satisfy the condition? Field and opt-out conditions are not signal-based. */
export const signalMatches = (cond: Condition, s: Signal, ctx: MatchContext = {}): boolean => {
  switch (cond.type) {
    case 'email_opened':
    case 'email_clicked':
      return s.kind === cond.type && (ctx.emailDeliveries ?? []).includes(String(s.data.deliveryId))
        && !(cond.ignoreMachineOpens && (s.data.machineOpen === true || s.data.machineClick === true));
    case 'replied':
      return s.kind === 'replied' && (!cond.contains || String(s.data.body ?? '').toLowerCase().includes(cond.contains.toLowerCase()));
    case 'key_pressed':
      return s.kind === 'key_pressed' && (!cond.digits || String(s.data.digits ?? '') === cond.digits);
    case 'poll_answered':
      // poll.answered carries `option` (the answer text) and `optionIndex` (1-based, as keyed).
      return s.kind === 'poll_answered' && (cond.option === undefined || Number(s.data.optionIndex) === cond.option)
        && (cond.answer === undefined || eq(s.data.option, cond.answer));
    case 'event':
      return s.eventType === cond.eventType && Object.entries(cond.match ?? {}).every(([k, v]) => eq(s.data[k], v));
    default:
      return false;
  }
};

export const contactMatches = (cond: Condition, c: SequenceContact): boolean => {
  if (cond.type === 'field') return fieldMatches(c, cond);
  if (cond.type === 'opted_out') return c.doNotContact || (cond.channel ? c.optedOutChannels.includes(cond.channel) : c.optedOutChannels.length > 0);
  return false;
};

/** True when the contact's state or any of the signals satisfies the condition. */
export const conditionHolds = (cond: Condition, c: SequenceContact, signals: readonly Signal[], ctx: MatchContext = {}): boolean =>
  contactMatches(cond, c) || signals.some((s) => signalMatches(cond, s, ctx));

export const isSignalCondition = (cond: Condition): boolean => cond.type !== 'field' && cond.type !== 'opted_out';

/** A human-readable reason for history: `event:invoice.paid`, `field:status`, `opted_out`. */
export const conditionLabel = (cond: Condition): string =>
  cond.type === 'event' ? `event:${cond.eventType}` : cond.type === 'field' ? `field:${cond.field}` : cond.type;
