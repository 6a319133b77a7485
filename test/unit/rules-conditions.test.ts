import { describe, expect, it } from 'vitest';
import { checkConditions, matchCondition, operatorsByType } from '../../src/rules/conditions.js';
import type { Condition, FieldType } from '../../src/rules/rule-types.js';

const ctx = { now: new Date('2025-03-10T12:00:00Z'), timezone: 'America/New_York' };
const m = (type: FieldType, operator: Condition['operator'], value: unknown, actual: unknown) =>
  matchCondition({ field: 'event.x', operator, value }, type, actual, ctx);

describe('rule conditions: every operator on its field types, with edge values', () => {
  it('equals / not_equals on text: trimmed, case-insensitive; blank never equals', () => {
    expect(m('text', 'equals', 'Missed', ' missed ')).toBe(true);
    expect(m('text', 'equals', 'missed', 'missed!')).toBe(false);
    expect(m('text', 'equals', '', '')).toBe(false);
    expect(m('text', 'not_equals', 'missed', 'answered')).toBe(true);
    expect(m('text', 'not_equals', 'missed', 'MISSED')).toBe(false);
    expect(m('text', 'not_equals', 'missed', null)).toBe(true);
    expect(m('text', 'equals', '3', 3)).toBe(true);
  });

  it('equals / not_equals / in on numbers: numeric text counts, other text does not', () => {
    expect(m('number', 'equals', 3, 3)).toBe(true);
    expect(m('number', 'equals', 3, '3.0')).toBe(true);
    expect(m('number', 'equals', 0, 0)).toBe(true);
    expect(m('number', 'equals', 0, '')).toBe(false);
    expect(m('number', 'equals', 3, 'three')).toBe(false);
    expect(m('number', 'not_equals', 3, 'three')).toBe(true);
    expect(m('number', 'in', [1, 2], 2)).toBe(true);
    expect(m('number', 'in', [1, 2], 3)).toBe(false);
    expect(m('text', 'in', ['busy', 'no-answer'], 'No-Answer')).toBe(true);
  });

  it('greater_than / less_than are strict; between is inclusive at both ends', () => {
    expect(m('number', 'greater_than', 5, 5)).toBe(false);
    expect(m('number', 'greater_than', 5, 5.0001)).toBe(true);
    expect(m('number', 'less_than', 5, 4.9999)).toBe(true);
    expect(m('number', 'less_than', 5, 5)).toBe(false);
    expect(m('number', 'less_than', 0, -1)).toBe(true);
    expect(m('number', 'greater_than', 5, null)).toBe(false);
    expect(m('number', 'less_than', 5, null)).toBe(false);
    expect(m('number', 'between', [2, 5], 2)).toBe(true);
    expect(m('number', 'between', [2, 5], 5)).toBe(true);
    expect(m('number', 'between', [2, 5], 1.999)).toBe(false);
    expect(m('number', 'between', [2, 5], 5.001)).toBe(false);
    expect(m('number', 'between', [3, 3], 3)).toBe(true);
    expect(m('number', 'between', [2, 5], 'x')).toBe(false);
  });

  it('dates: equals is the calendar day in the account zone; after/before use day bounds for bare dates', () => {
    // 2025-03-10T03:30Z is still March 9 in New York.
    expect(m('date', 'equals', '2025-03-09', '2025-03-10T03:30:00Z')).toBe(true);
    expect(m('date', 'equals', '2025-03-10', '2025-03-10T03:30:00Z')).toBe(false);
    expect(m('date', 'greater_than', '2025-03-09', '2025-03-10T03:30:00Z')).toBe(false); // same local day is not "after"
    expect(m('date', 'greater_than', '2025-03-09', '2025-03-10T05:00:00Z')).toBe(true);
    expect(m('date', 'less_than', '2025-03-10', '2025-03-10T03:59:59Z')).toBe(true);
    expect(m('date', 'less_than', '2025-03-10', '2025-03-10T04:00:00Z')).toBe(false); // local midnight (EDT starts Mar 9)
    expect(m('date', 'between', ['2025-03-01', '2025-03-09'], '2025-03-10T03:59:59Z')).toBe(true);
    expect(m('date', 'between', ['2025-03-01', '2025-03-09'], '2025-03-10T04:00:00Z')).toBe(false);
    expect(m('date', 'greater_than', '2025-03-10T11:00:00Z', new Date('2025-03-10T11:00:00.001Z'))).toBe(true);
    expect(m('date', 'equals', '2025-03-10', 'not a date')).toBe(false);
  });

  it('within a time window: past and next, inclusive edges', () => {
    const w = (amount: number, unit: string, direction?: string) => ({ amount, unit, direction });
    expect(m('date', 'within', w(7, 'days'), '2025-03-03T12:00:00Z')).toBe(true); // exactly 7 days ago
    expect(m('date', 'within', w(7, 'days'), '2025-03-03T11:59:59Z')).toBe(false);
    expect(m('date', 'within', w(30, 'minutes'), '2025-03-10T12:00:01Z')).toBe(false); // future is not "last 30 minutes"
    expect(m('date', 'within', w(2, 'hours', 'next'), '2025-03-10T14:00:00Z')).toBe(true);
    expect(m('date', 'within', w(2, 'hours', 'next'), '2025-03-10T14:00:01Z')).toBe(false);
    expect(m('date', 'within', w(2, 'hours', 'next'), '2025-03-10T11:59:59Z')).toBe(false);
  });

  it('starts_with / contains: case-insensitive substrings', () => {
    expect(m('text', 'starts_with', 'ACME', 'acme corp')).toBe(true);
    expect(m('text', 'starts_with', 'corp', 'acme corp')).toBe(false);
    expect(m('text', 'contains', 'Call ME', 'please call me back')).toBe(true);
    expect(m('text', 'contains', 'x', null)).toBe(false);
  });

  it('is_blank / is_not_blank: null, missing, empty, whitespace and empty lists are blank; 0 and false are not', () => {
    for (const v of [null, undefined, '', '   ', []]) {
      expect(m('text', 'is_blank', undefined, v)).toBe(true);
      expect(m('text', 'is_not_blank', undefined, v)).toBe(false);
    }
    for (const v of [0, false, 'x']) expect(m('text', 'is_blank', undefined, v)).toBe(false);
  });

  it('is_numeric: integers, decimals, signs and exponents; not blanks, words or mixed text', () => {
    for (const v of ['42', '-3.5', '+7', '.5', '1e3', ' 12 ', 0]) expect(m('text', 'is_numeric', undefined, v)).toBe(true);
    for (const v of ['', ' ', 'abc', '12abc', '1,000', 'NaN', 'Infinity', null]) expect(m('text', 'is_numeric', undefined, v)).toBe(false);
  });

  it('booleans: equals accepts true/false and their text forms', () => {
    expect(m('boolean', 'equals', true, true)).toBe(true);
    expect(m('boolean', 'equals', true, 'true')).toBe(true);
    expect(m('boolean', 'equals', false, 0)).toBe(true);
    expect(m('boolean', 'equals', true, 'yes')).toBe(false);
    expect(m('boolean', 'not_equals', true, false)).toBe(true);
  });

  it('refuses operators that do not fit a field type, naming the path (kind operator)', () => {
    const cases: Array<[string, Condition['operator'], string | null]> = [
      ['event.callCount', 'contains', 'call.ended'],
      ['event.callCount', 'is_numeric', 'call.ended'],
      ['event.disposition', 'greater_than', 'call.ended'],
      ['event.disposition', 'within', 'call.ended'],
      ['contact.createdAt', 'starts_with', null],
      ['contact.onDuty', 'greater_than', null],
      ['contact.onDuty', 'in', null],
    ];
    for (const [field, operator, eventType] of cases) {
      const issues = checkConditions([{ field, operator, value: 1 }], eventType, 'conditions');
      expect(issues, `${field} ${operator}`).toEqual([expect.objectContaining({ path: 'conditions.0.operator', kind: 'operator' })]);
    }
    // Every listed operator is accepted for its type with a valid value.
    const sample: Record<FieldType, Record<string, unknown>> = {
      text: { equals: 'a', not_equals: 'a', between: ['a', 'b'], starts_with: 'a', contains: 'a', in: ['a'] },
      number: { equals: 1, not_equals: 1, greater_than: 1, less_than: 1, between: [1, 2], in: [1] },
      date: { equals: '2025-01-01', not_equals: '2025-01-01', greater_than: '2025-01-01', less_than: '2025-01-01', between: ['2025-01-01', '2025-02-01'], within: { amount: 1, unit: 'days' } },
      boolean: { equals: true, not_equals: false },
    };
    for (const type of Object.keys(operatorsByType) as FieldType[]) {
      for (const op of operatorsByType[type]) {
        const c = { field: 'contact.custom.f', type, operator: op, value: sample[type][op] } as Condition;
        expect(checkConditions([c], null, 'c'), `${type} ${op}`).toEqual([]);
      }
    }
  });

  it('refuses stop-if filters on event values and unknown fields', () => {
    expect(checkConditions([{ field: 'event.x', operator: 'is_blank' }], null, 'stopIf.conditions', { contactOnly: true }))
      .toEqual([expect.objectContaining({ path: 'stopIf.conditions.0.field' })]);
    expect(checkConditions([{ field: 'event.durationSeconds', operator: 'is_blank' }], 'message.received', 'c'))
      .toEqual([expect.objectContaining({ path: 'c.0.field', message: expect.stringContaining('message.received has no value') })]);
  });
});
