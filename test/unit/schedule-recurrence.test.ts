import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { describeOccurrence, nextOccurrences } from '../../src/calendar/recurrence.js';
import { scheduleSpecSchema, weekdays } from '../../src/calendar/schedule-types.js';

/** Next `n` occurrences as local ISO strings (with offset) in `tz`. */
const local = (spec: unknown, tz: string, after: string, n: number): string[] =>
  nextOccurrences(scheduleSpecSchema.parse(spec), tz, new Date(after), n).map((d) => describeOccurrence(d, tz).local);
const utc = (spec: unknown, tz: string, after: string, n: number): string[] =>
  nextOccurrences(scheduleSpecSchema.parse(spec), tz, new Date(after), n).map((d) => d.toISOString());
const everyDay = (time: string) => ({ type: 'weekly', days: [...weekdays], time });

describe('daylight saving: America/New_York', () => {
  it('keeps 09:00 local on both sides of spring forward (UTC moves by an hour)', () => {
    expect(utc(everyDay('09:00'), 'America/New_York', '2025-03-08T00:00:00Z', 3)).toEqual([
      '2025-03-08T14:00:00.000Z', '2025-03-09T13:00:00.000Z', '2025-03-10T13:00:00.000Z',
    ]);
  });

  it('runs a nonexistent 02:30 at 03:00, the first valid minute after it, and at 02:30 again the week after', () => {
    expect(local({ type: 'weekly', days: ['sun'], time: '02:30' }, 'America/New_York', '2025-03-01T00:00:00Z', 3)).toEqual([
      '2025-03-02T02:30:00-05:00', '2025-03-09T03:00:00-04:00', '2025-03-16T02:30:00-04:00',
    ]);
    expect(utc({ type: 'weekly', days: ['sun'], time: '02:00' }, 'America/New_York', '2025-03-08T00:00:00Z', 1)).toEqual(['2025-03-09T07:00:00.000Z']);
  });

  it('runs an ambiguous 01:30 once on fall-back day, at the first (EDT) one', () => {
    expect(utc({ type: 'weekly', days: ['sun'], time: '01:30' }, 'America/New_York', '2025-11-01T00:00:00Z', 2)).toEqual([
      '2025-11-02T05:30:00.000Z', '2025-11-09T06:30:00.000Z',
    ]);
    // Asking from between the two 01:30s must not produce the second one.
    expect(utc({ type: 'weekly', days: ['sun'], time: '01:30' }, 'America/New_York', '2025-11-02T05:45:00Z', 1)).toEqual(['2025-11-09T06:30:00.000Z']);
  });
});

describe('daylight saving: Europe/London', () => {
  it('moves 01:30 on the spring-forward day to 02:00 BST', () => {
    expect(local(everyDay('01:30'), 'Europe/London', '2025-03-29T12:00:00Z', 3)).toEqual([
      '2025-03-30T02:00:00+01:00', '2025-03-31T01:30:00+01:00', '2025-04-01T01:30:00+01:00',
    ]);
  });

  it('fires 01:30 once on the fall-back day (BST, 00:30 UTC)', () => {
    expect(utc(everyDay('01:30'), 'Europe/London', '2025-10-25T12:00:00Z', 2)).toEqual(['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
  });

  it('keeps 09:00 at 09:00 across both changes', () => {
    const times = local(everyDay('09:00'), 'Europe/London', '2025-03-29T00:00:00Z', 3).concat(local(everyDay('09:00'), 'Europe/London', '2025-10-25T00:00:00Z', 3));
    expect(times.map((t) => t.slice(11, 16))).toEqual(['09:00', '09:00', '09:00', '09:00', '09:00', '09:00']);
    expect(times.map((t) => t.slice(19))).toEqual(['+00:00', '+01:00', '+01:00', '+01:00', '+00:00', '+00:00']);
  });
});

describe('daylight saving: Australia/Sydney (southern hemisphere, both directions)', () => {
  it('fall back in April: 02:30 runs once, at the first (AEDT) one; 09:00 stays 09:00', () => {
    expect(local({ type: 'weekly', days: ['sun'], time: '02:30' }, 'Australia/Sydney', '2025-04-01T00:00:00Z', 2)).toEqual([
      '2025-04-06T02:30:00+11:00', '2025-04-13T02:30:00+10:00',
    ]);
    expect(utc(everyDay('09:00'), 'Australia/Sydney', '2025-04-04T12:00:00Z', 2)).toEqual(['2025-04-04T22:00:00.000Z', '2025-04-05T23:00:00.000Z']);
  });

  it('spring forward in October: 02:30 does not exist and runs at 03:00 AEDT', () => {
    expect(local({ type: 'monthly', weekday: { ordinal: 'first', day: 'sun' }, months: [10], time: '02:30' }, 'Australia/Sydney', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-10-05T03:00:00+11:00', '2026-10-04T03:00:00+11:00',
    ]);
  });
});

describe('monthly calendars', () => {
  it('Feb 29 only in leap years (2100 is not one)', () => {
    const spec = { type: 'monthly', dates: [29], months: [2], time: '08:00' };
    expect(local(spec, 'UTC', '2025-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T08:00:00Z', '2032-02-29T08:00:00Z']);
    expect(local(spec, 'UTC', '2097-01-01T00:00:00Z', 1)).toEqual(['2104-02-29T08:00:00Z']);
  });

  it("'last' is the last day of February: 28th, or 29th in a leap year", () => {
    expect(local({ type: 'monthly', dates: ['last'], months: [2], time: '17:00' }, 'Europe/London', '2026-06-01T00:00:00Z', 3)).toEqual([
      '2027-02-28T17:00:00+00:00', '2028-02-29T17:00:00+00:00', '2029-02-28T17:00:00+00:00',
    ]);
  });

  it('skips the 31st in months without one, unless last is chosen', () => {
    expect(local({ type: 'monthly', dates: [31], time: '12:00' }, 'UTC', '2025-01-01T00:00:00Z', 7).map((d) => d.slice(0, 10))).toEqual([
      '2025-01-31', '2025-03-31', '2025-05-31', '2025-07-31', '2025-08-31', '2025-10-31', '2025-12-31',
    ]);
    expect(local({ type: 'monthly', dates: [31, 'last'], time: '12:00' }, 'UTC', '2025-01-01T00:00:00Z', 4).map((d) => d.slice(0, 10))).toEqual([
      '2025-01-31', '2025-02-28', '2025-03-31', '2025-04-30',
    ]);
  });

  it('the 15th and the last day, in selected months only', () => {
    expect(local({ type: 'monthly', dates: [15, 'last'], months: [4, 6], time: '09:00' }, 'UTC', '2025-01-01T00:00:00Z', 5).map((d) => d.slice(0, 10))).toEqual([
      '2025-04-15', '2025-04-30', '2025-06-15', '2025-06-30', '2026-04-15',
    ]);
  });

  it('positional weekdays: last Friday, first Monday, fourth Thursday', () => {
    expect(local({ type: 'monthly', weekday: { ordinal: 'last', day: 'fri' }, time: '16:00' }, 'America/New_York', '2025-01-01T00:00:00Z', 5).map((d) => d.slice(0, 10))).toEqual([
      '2025-01-31', '2025-02-28', '2025-03-28', '2025-04-25', '2025-05-30',
    ]);
    expect(local({ type: 'monthly', weekday: { ordinal: 'first', day: 'mon' }, months: [9], time: '08:00' }, 'UTC', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-09-01T08:00:00Z']);
    expect(local({ type: 'monthly', weekday: { ordinal: 'fourth', day: 'thu' }, months: [11], time: '08:00' }, 'UTC', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-11-27T08:00:00Z']);
  });
});

describe('weekly repetition', () => {
  it('every 2 weeks counts from the week of the start date, and never runs before it', () => {
    // 2025-01-08 is a Wednesday: that week's Thursday is the first run, the next week is off.
    expect(local({ type: 'weekly', days: ['mon', 'thu'], everyWeeks: 2, startDate: '2025-01-08', time: '09:00' }, 'UTC', '2024-12-01T00:00:00Z', 5).map((d) => d.slice(0, 10))).toEqual([
      '2025-01-09', '2025-01-20', '2025-01-23', '2025-02-03', '2025-02-06',
    ]);
  });

  it('every 4 weeks stays anchored months later', () => {
    const spec = { type: 'weekly', days: ['mon'], everyWeeks: 4, startDate: '2025-01-06', time: '09:00' };
    expect(local(spec, 'Europe/London', '2025-06-01T00:00:00Z', 2).map((d) => d.slice(0, 10))).toEqual(['2025-06-23', '2025-07-21']);
  });

  it('returns occurrences strictly after the given instant', () => {
    expect(utc(everyDay('09:00'), 'UTC', '2025-05-05T09:00:00Z', 1)).toEqual(['2025-05-06T09:00:00.000Z']);
    expect(utc(everyDay('09:00'), 'UTC', '2025-05-05T08:59:59.999Z', 1)).toEqual(['2025-05-05T09:00:00.000Z']);
  });
});

describe('properties over many zones and times', () => {
  const zones = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham', 'UTC'];
  it('each occurrence is on a chosen day, at the chosen local time or the first minute after a gap; strictly increasing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.subarray([...weekdays], { minLength: 1 }),
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(0, 15, 30, 45, 59),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        (tz, days, h, m, after) => {
          const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
          const spec = scheduleSpecSchema.parse({ type: 'weekly', days, time });
          const occ = nextOccurrences(spec, tz, after, 8);
          expect(occ).toHaveLength(8);
          let prev = after.getTime();
          for (const o of occ) {
            expect(o.getTime()).toBeGreaterThan(prev);
            prev = o.getTime();
            const l = DateTime.fromJSDate(o, { zone: tz });
            expect(days).toContain(weekdays[l.weekday - 1]);
            const wanted = DateTime.fromObject({ year: l.year, month: l.month, day: l.day, hour: h, minute: m }, { zone: tz });
            if (wanted.hour === h && wanted.minute === m) {
              expect(l.toFormat('HH:mm')).toBe(time);
              // A wall time that happens twice: the first of the two.
              expect(Math.min(...l.getPossibleOffsets().map((x) => x.toMillis()))).toBe(o.getTime());
            } else {
              // In a gap: the minute before the result did not exist as a wall time on that day.
              expect(l.toFormat('HH:mm') > time).toBe(true);
              expect(l.minus({ minutes: 1 }).toFormat('HH:mm') < time).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
