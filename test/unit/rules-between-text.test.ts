import { describe, expect, it } from 'vitest';
import { checkConditions, matchCondition } from '../../src/rules/conditions.js';
import type { Condition } from '../../src/rules/rule-types.js';

const ctx = { now: new Date('2025-03-10T12:00:00Z'), timezone: 'America/New_York' };
const between = (value: unknown, actual: unknown) =>
  matchCondition({ field: 'event.x', operator: 'between', value }, 'text', actual, ctx);

/** Issue 19: "between two strings" (lexical order), as the contact-centre rule engine offers it. */
describe('rule operator between on text fields', () => {
  it('is accepted on built-in and custom text fields', () => {
    expect(checkConditions([{ field: 'event.disposition', operator: 'between', value: ['a', 'm'] }], 'call.ended', 'conditions')).toEqual([]);
    expect(checkConditions([{ field: 'contact.name', operator: 'between', value: ['A', 'M'] }], null, 'conditions')).toEqual([]);
    expect(checkConditions([{ field: 'contact.custom.postcode', type: 'text', operator: 'between', value: ['SW1', 'SW9'] }], null, 'conditions')).toEqual([]);
    expect(checkConditions([{ field: 'contact.custom.code', operator: 'between', value: ['b', 'b'] }], null, 'conditions')).toEqual([]);
  });

  it('refuses values that are not two strings, or whose low is after high, naming conditions.N.value', () => {
    const bad: Array<[unknown, string]> = [
      [['a'], 'must be [low, high], each a string'],
      [['a', 'b', 'c'], 'must be [low, high], each a string'],
      [[1, 5], 'must be [low, high], each a string'],
      ['a', 'must be [low, high], each a string'],
      [['m', 'a'], 'low must not be greater than high'],
      [['Zebra', 'apple'], 'low must not be greater than high'],
    ];
    for (const [value, message] of bad) {
      const c: Condition = { field: 'contact.custom.f', operator: 'between', value };
      expect(checkConditions([c], null, 'conditions'), JSON.stringify(value)).toEqual([{ path: 'conditions.0.value', message, kind: 'value' }]);
    }
  });

  it('matches in lexical order, inclusive at both ends, trimmed and case-insensitive', () => {
    expect(between(['b', 'd'], 'b')).toBe(true);
    expect(between(['b', 'd'], 'd')).toBe(true);
    expect(between(['b', 'd'], 'c')).toBe(true);
    expect(between(['b', 'd'], 'cat')).toBe(true);
    expect(between(['b', 'd'], 'dog')).toBe(false); // "dog" sorts after "d"
    expect(between(['b', 'd'], 'azure')).toBe(false);
    expect(between(['B', 'D'], ' charlie ')).toBe(true);
    expect(between(['apple', 'banana'], 'APRICOT')).toBe(true);
    expect(between(['SW1', 'SW9'], 'sw4 2AA')).toBe(true);
    expect(between(['SW1', 'SW9'], 'SE1')).toBe(false);
    // Digits compare as text, not as numbers: "10" sorts before "9".
    expect(between(['1', '9'], '10')).toBe(true);
    expect(between(['2', '9'], '10')).toBe(false);
    // Blank never matches.
    expect(between(['a', 'z'], '')).toBe(false);
    expect(between(['a', 'z'], null)).toBe(false);
  });
});
