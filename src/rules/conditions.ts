import { DateTime } from 'luxon';
import type { FieldIssue } from '../errors.js';
import { describeField } from './fields.js';
import type { Condition, FieldType, Operator } from './rule-types.js';

/** Which operators fit which field type. Anything else is a typed 400 (`operator_not_allowed`). */
export const operatorsByType: Record<FieldType, readonly Operator[]> = {
  text: ['equals', 'not_equals', 'between', 'starts_with', 'contains', 'in', 'is_blank', 'is_not_blank', 'is_numeric'],
  number: ['equals', 'not_equals', 'greater_than', 'less_than', 'between', 'in', 'is_blank', 'is_not_blank'],
  date: ['equals', 'not_equals', 'greater_than', 'less_than', 'between', 'within', 'is_blank', 'is_not_blank'],
  boolean: ['equals', 'not_equals', 'is_blank', 'is_not_blank'],
};

export type WithinValue = { amount: number; unit: 'minutes' | 'hours' | 'days'; direction: 'past' | 'next' };
const noValue = new Set<Operator>(['is_blank', 'is_not_blank', 'is_numeric']);

export type ConditionIssue = FieldIssue & { kind: 'operator' | 'value' | 'field' };

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
export const isNumericText = (v: unknown): boolean => typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' && NUMERIC.test(v.trim());

/** Parses a date value (Date, ISO string, epoch ms); null when it is not one. */
export const toDate = (v: unknown): Date | null => {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v);
  if (typeof v === 'string' && v.trim()) {
    const d = DateTime.fromISO(v.trim(), { setZone: true });
    return d.isValid ? d.toJSDate() : null;
  }
  return null;
};

const toNumber = (v: unknown): number | null => (isNumericText(v) ? Number(v) : null);
/** Text as conditions compare it: trimmed, lower-case. */
const text = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v)).trim().toLowerCase();

const checkValue = (type: FieldType, op: Operator, value: unknown): string | null => {
  if (noValue.has(op)) return value === undefined || value === null ? null : `${op} takes no value`;
  const scalarOk = (v: unknown): boolean =>
    type === 'number' ? typeof v === 'number' && Number.isFinite(v)
      : type === 'date' ? typeof v === 'string' && toDate(v) !== null
      : type === 'boolean' ? typeof v === 'boolean'
      : typeof v === 'string';
  const scalarName = type === 'number' ? 'a number' : type === 'date' ? 'an ISO date (2025-01-31 or 2025-01-31T09:00:00Z)' : type === 'boolean' ? 'true or false' : 'a string';
  switch (op) {
    case 'between': {
      if (!Array.isArray(value) || value.length !== 2 || !value.every(scalarOk)) return `must be [low, high], each ${scalarName}`;
      // Text compares as it matches: trimmed, case-insensitive, lexical (code point) order.
      const [lo, hi] = type === 'date' ? value.map((x) => toDate(x)!.getTime()) : type === 'text' ? value.map(text) : (value as number[]);
      return lo! <= hi! ? null : 'low must not be greater than high';
    }
    case 'in':
      return Array.isArray(value) && value.length >= 1 && value.length <= 100 && value.every(scalarOk) ? null : `must be a list of 1–100 values, each ${scalarName}`;
    case 'within': {
      const w = value as Partial<WithinValue> | null;
      const ok = !!w && typeof w === 'object' && Number.isInteger(w.amount) && w.amount! > 0 && w.amount! <= 100_000
        && ['minutes', 'hours', 'days'].includes(String(w.unit)) && (w.direction === undefined || ['past', 'next'].includes(w.direction));
      return ok ? null : 'must be { amount: positive integer, unit: minutes|hours|days, direction: past|next }';
    }
    case 'starts_with':
    case 'contains':
      return typeof value === 'string' && value.length > 0 ? null : 'must be a non-empty string';
    default:
      return scalarOk(value) ? null : `must be ${scalarName}`;
  }
};

/**
 * Checks conditions against the event type's fields: unknown fields, operators that do not fit
 * the field's type (kind `operator`) and values of the wrong shape. `contactOnly` refuses
 * event values (stop-if filters). Returns the issues with dotted paths under `prefix`.
 */
export const checkConditions = (conds: Condition[], eventType: string | null, prefix: string, opts: { contactOnly?: boolean } = {}): ConditionIssue[] => {
  const issues: ConditionIssue[] = [];
  conds.forEach((c, i) => {
    const at = `${prefix}.${i}`;
    const info = describeField(c.field, eventType);
    if (info.kind === 'unknown') return issues.push({ path: `${at}.field`, message: info.reason, kind: 'field' });
    if (opts.contactOnly && info.kind === 'event') return issues.push({ path: `${at}.field`, message: 'only contact fields may be used here', kind: 'field' });
    if (info.type && c.type && c.type !== info.type) {
      return issues.push({ path: `${at}.type`, message: `${c.field} is a ${info.type} field`, kind: 'field' });
    }
    const type = info.type ?? c.type ?? 'text';
    if (!operatorsByType[type].includes(c.operator)) {
      return issues.push({
        path: `${at}.operator`,
        message: `operator "${c.operator}" does not fit ${type} field ${c.field} (allowed: ${operatorsByType[type].join(', ')})`,
        kind: 'operator',
      });
    }
    const bad = checkValue(type, c.operator, c.value);
    if (bad) issues.push({ path: `${at}.value`, message: bad, kind: 'value' });
    return undefined;
  });
  return issues;
};

/** The type a (valid) condition compares as. */
export const conditionType = (c: Condition, eventType: string | null): FieldType => {
  const info = describeField(c.field, eventType);
  return (info.kind !== 'unknown' && info.type) || c.type || 'text';
};

const isBlank = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
const toBool = (v: unknown): boolean | null =>
  typeof v === 'boolean' ? v : v === 'true' || v === 1 || v === '1' ? true : v === 'false' || v === 0 || v === '0' ? false : null;

export type EvalContext = { now: Date; timezone: string };

/**
 * Pure: does `actual` satisfy the condition? Text compares case-insensitively and trimmed;
 * a value that cannot be read as the field's type matches nothing but not_equals and is_blank.
 * `between` is inclusive (on text: lexical order, so "cat" is between "b" and "d" and "10" is
 * between "1" and "9"); date `equals` means the same calendar day in the account's zone.
 */
export const matchCondition = (c: Condition, type: FieldType, actual: unknown, ctx: EvalContext): boolean => {
  const op = c.operator;
  if (op === 'is_blank') return isBlank(actual);
  if (op === 'is_not_blank') return !isBlank(actual);
  if (op === 'is_numeric') return !isBlank(actual) && isNumericText(actual);
  if (op === 'not_equals') return !matchCondition({ ...c, operator: 'equals' }, type, actual, ctx);
  if (isBlank(actual)) return false;
  switch (type) {
    case 'text': {
      const a = text(actual);
      if (op === 'equals') return a === text(c.value);
      if (op === 'in') return (c.value as unknown[]).some((v) => text(v) === a);
      if (op === 'starts_with') return a.startsWith(text(c.value));
      if (op === 'contains') return a.includes(text(c.value));
      if (op === 'between') {
        const [lo, hi] = (c.value as unknown[]).map(text);
        return a >= lo! && a <= hi!;
      }
      return false;
    }
    case 'number': {
      const a = toNumber(actual);
      if (a === null) return false;
      if (op === 'equals') return a === c.value;
      if (op === 'in') return (c.value as number[]).includes(a);
      if (op === 'greater_than') return a > (c.value as number);
      if (op === 'less_than') return a < (c.value as number);
      if (op === 'between') return a >= (c.value as number[])[0]! && a <= (c.value as number[])[1]!;
      return false;
    }
    case 'date': {
      const a = toDate(actual);
      if (!a) return false;
      const t = a.getTime();
      if (op === 'equals') {
        const day = (d: Date) => DateTime.fromJSDate(d, { zone: ctx.timezone }).toISODate();
        const v = String(c.value);
        // A bare date names a day in the account's zone; a timestamp names the day it falls on there.
        const want = /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : day(toDate(v)!);
        return day(a) === want;
      }
      const bound = (v: unknown, end: boolean): number => {
        const s = String(v);
        if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
          const d = DateTime.fromISO(s, { zone: ctx.timezone });
          return (end ? d.endOf('day') : d.startOf('day')).toMillis();
        }
        return toDate(s)!.getTime();
      };
      if (op === 'greater_than') return t > bound(c.value, true);
      if (op === 'less_than') return t < bound(c.value, false);
      if (op === 'between') return t >= bound((c.value as string[])[0], false) && t <= bound((c.value as string[])[1], true);
      if (op === 'within') {
        const w = c.value as WithinValue;
        const span = w.amount * (w.unit === 'minutes' ? 60_000 : w.unit === 'hours' ? 3_600_000 : 86_400_000);
        const now = ctx.now.getTime();
        return (w.direction ?? 'past') === 'past' ? t <= now && t >= now - span : t >= now && t <= now + span;
      }
      return false;
    }
    case 'boolean': {
      const a = toBool(actual);
      return op === 'equals' && a !== null && a === c.value;
    }
  }
};
