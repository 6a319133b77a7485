import { z } from 'zod';

export const isValidTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, 00:00 to 23:59');
const timezone = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/London');
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

export const weeklyScheduleSchema = z.object({
  type: z.literal('weekly'),
  days: z.array(z.enum(weekdays)).min(1, 'choose at least one day').refine((d) => new Set(d).size === d.length, 'days repeat'),
  time,
  everyWeeks: z.union([z.literal(1), z.literal(2), z.literal(4)], { error: 'must be 1, 2 or 4' }).default(1),
  startDate: date.optional(),
  timezone: timezone.optional(),
});

export const monthlyScheduleSchema = z
  .object({
    type: z.literal('monthly'),
    time,
    months: z
      .array(z.number().int().min(1).max(12))
      .min(1, 'choose at least one month')
      .default([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    dates: z.array(z.union([z.number().int().min(1).max(31), z.literal('last')])).min(1, 'choose at least one date').optional(),
    weekday: z
      .object({
        ordinal: z.enum(['first', 'second', 'third', 'fourth', 'last']),
        day: z.enum(weekdays),
      })
      .optional(),
    timezone: timezone.optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.dates === !v.weekday) {
      ctx.addIssue({ code: 'custom', path: ['dates'], message: 'give either dates or weekday, not both or neither' });
    }
  });

/** A workflow's schedule, in its own time zone or the account's. */
export const scheduleSpecSchema = z.discriminatedUnion('type', [weeklyScheduleSchema, monthlyScheduleSchema]);
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;
