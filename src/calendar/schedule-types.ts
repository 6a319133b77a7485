import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

// Checking a zone builds an Intl formatter (~0.2 ms): remember the answers (zone names are few).
const zoneValidity = new Map<string, boolean>();

/** True for a zone name the runtime's time-zone database knows (`Europe/London`, `UTC`). */
export const isValidTimeZone = (tz: string): boolean => {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) return false;
  let ok = zoneValidity.get(tz);
  if (ok === undefined) {
    ok = IANAZone.isValidZone(tz);
    if (zoneValidity.size > 10_000) zoneValidity.clear();
    zoneValidity.set(tz, ok);
  }
  return ok;
};

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

export const ordinals = ['first', 'second', 'third', 'fourth', 'last'] as const;
export type Ordinal = (typeof ordinals)[number];

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, 00:00 to 23:59');
const timezone = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London');
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((d) => DateTime.fromISO(d, { zone: 'utc' }).isValid, 'is not a calendar date');

/** Longest each month can be (February counts its leap day): dates beyond never occur. */
const maxDaysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const weeklyScheduleSchema = z
  .object({
    type: z.literal('weekly'),
    days: z
      .array(z.enum(weekdays))
      .min(1, 'choose at least one day')
      .refine((d) => new Set(d).size === d.length, 'days repeat'),
    /** Local wall-clock time in the schedule's zone. */
    time,
    everyWeeks: z.union([z.literal(1), z.literal(2), z.literal(4)], { error: 'must be 1, 2 or 4' }).default(1),
    /** First day the schedule may run; the week containing it is week 0 of every 2 or 4 weeks. */
    startDate: date.optional(),
    timezone: timezone.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.everyWeeks === 2 || v.everyWeeks === 4) && !v.startDate) {
      ctx.addIssue({ code: 'custom', path: ['startDate'], message: `is required when repeating every ${v.everyWeeks} weeks (it anchors which weeks run)` });
    }
  });

export const monthlyScheduleSchema = z
  .object({
    type: z.literal('monthly'),
    time,
    months: z
      .array(z.number().int().min(1).max(12))
      .min(1, 'choose at least one month')
      .refine((m) => new Set(m).size === m.length, 'months repeat')
      .default([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    /** Days of the month; a date the month lacks (31 April) is skipped, `'last'` is always its last day. */
    dates: z
      .array(z.union([z.number().int().min(1).max(31), z.literal('last')]))
      .min(1, 'choose at least one date')
      .refine((d) => new Set(d).size === d.length, 'dates repeat')
      .optional(),
    /** A positional weekday: the first…fourth or last Monday…Sunday of the month. */
    weekday: z
      .object({
        ordinal: z.enum(ordinals),
        day: z.enum(weekdays),
      })
      .optional(),
    timezone: timezone.optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.dates === !v.weekday) {
      ctx.addIssue({ code: 'custom', path: ['dates'], message: 'give either dates or weekday, not both or neither' });
      return;
    }
    // Only a well-formed spec can be checked for never running.
    if (ctx.issues.length === 0 && v.dates && !v.dates.includes('last')) {
      const earliest = Math.min(...(v.dates as number[]));
      if (!v.months.some((m) => maxDaysInMonth[m - 1]! >= earliest)) {
        ctx.addIssue({ code: 'custom', path: ['dates'], message: 'none of these dates exists in the chosen months, so it would never run' });
      }
    }
  });

/** A workflow's schedule, in its own time zone or the account's. */
export const scheduleSpecSchema = z.discriminatedUnion('type', [weeklyScheduleSchema, monthlyScheduleSchema]);
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;
export type WeeklySchedule = z.infer<typeof weeklyScheduleSchema>;
export type MonthlySchedule = z.infer<typeof monthlyScheduleSchema>;
