import { DateTime } from 'luxon';
import { z } from 'zod';
import { isValidTimeZone } from '../calendar/schedule-types.js';
import type { Duration } from './sequence-types.js';

/**
 * Quiet hours: an account setting (`accounts.settings.quietHours = { start: '21:00', end: '08:00' }`)
 * read in the contact's time zone, else the account's. A send that falls inside waits until the
 * window ends. Pure: no I/O, no clock.
 */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');
export const quietHoursSchema = z.object({ start: hhmm, end: hhmm });
export type QuietHours = z.infer<typeof quietHoursSchema>;
/** The account setting as PATCH /v1/account accepts it: both times, different from each other (null clears it). */
export const quietHoursSettingSchema = z.object({ start: hhmm, end: hhmm }, { error: 'must be { start: "HH:MM", end: "HH:MM" } or null' }).strict()
  .refine((q) => q.start !== q.end, { message: 'must differ from start', path: ['end'] }).nullable();

/** The account's quiet hours, or null when unset or malformed (a bad setting never blocks sends). */
export const quietHoursFromSettings = (settings: Record<string, unknown> | null | undefined): QuietHours | null => {
  const parsed = quietHoursSchema.safeParse(settings?.quietHours);
  return parsed.success && parsed.data.start !== parsed.data.end ? parsed.data : null;
};

export const zoneFor = (contactZone: string | null | undefined, accountZone: string | null | undefined): string => {
  if (contactZone && isValidTimeZone(contactZone)) return contactZone;
  if (accountZone && isValidTimeZone(accountZone)) return accountZone;
  return 'UTC';
};

const minutesOf = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/**
 * When `at` falls inside quiet hours in `zone`, the instant they end; otherwise null.
 * Windows may cross midnight (21:00–08:00). The end is computed on the local calendar, so a DST
 * change inside the window still ends it at the local wall-clock time.
 */
export const quietHoursEnd = (at: Date, qh: QuietHours, zone: string): Date | null => {
  const local = DateTime.fromJSDate(at, { zone });
  const m = local.hour * 60 + local.minute;
  const start = minutesOf(qh.start);
  const end = minutesOf(qh.end);
  const crosses = start > end;
  const inside = crosses ? m >= start || m < end : m >= start && m < end;
  if (!inside) return null;
  const endDay = crosses && m >= start ? local.plus({ days: 1 }) : local;
  const endAt = endDay.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  return endAt.toJSDate();
};

/** `from` plus a delay; days and weeks follow the local calendar of `zone` (a day across DST is 23 or 25 h). */
export const addDuration = (from: Date, d: Duration, zone: string): Date =>
  DateTime.fromJSDate(from, { zone }).plus({ [d.unit]: d.amount }).toJSDate();
