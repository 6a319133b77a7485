/**
 * Weekly and monthly recurrence in an IANA time zone. Pure: no clock, no I/O. All time-zone
 * work goes through Luxon (the tz database), never through hand-made offsets.
 *
 * Rules, as users expect them:
 * - The time is local wall-clock time: 09:00 stays 09:00 across daylight-saving changes.
 * - A local time that does not exist (spring forward, e.g. 02:30 on the day clocks jump from
 *   02:00 to 03:00) runs at the first valid minute after it (03:00).
 * - A local time that happens twice (fall back, 01:30) runs once, at the first of the two.
 * - A date the month lacks (the 31st in April, the 29th of February in a common year) is
 *   skipped; `'last'` always means the month's last day.
 */
import { DateTime } from 'luxon';
import type { MonthlySchedule, Ordinal, ScheduleSpec, WeeklySchedule, Weekday } from './schedule-types.js';

const isoWeekday: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };
const ordinalIndex: Record<Exclude<Ordinal, 'last'>, number> = { first: 0, second: 1, third: 2, fourth: 3 };

/** Scan limits: far beyond any real gap (Feb 29 only: 8 years), so a search always ends. */
const MAX_WEEKS = 52 * 120;
const MAX_MONTHS = 12 * 500;

type CivilDate = { year: number; month: number; day: number };
type WallTime = { hour: number; minute: number };

const parseTime = (hhmm: string): WallTime => {
  const [h, m] = hhmm.split(':');
  return { hour: Number(h), minute: Number(m) };
};

const sameWall = (dt: DateTime, d: CivilDate, t: WallTime): boolean =>
  dt.year === d.year && dt.month === d.month && dt.day === d.day && dt.hour === t.hour && dt.minute === t.minute;

/**
 * The instant at which local date `d`, time `t` happens in `tz`: the earlier instant when the
 * wall time happens twice, the first valid minute after it when it does not happen at all.
 */
export const resolveLocal = (d: CivilDate, t: WallTime, tz: string): DateTime => {
  const dt = DateTime.fromObject({ ...d, ...t }, { zone: tz });
  if (!dt.isValid) throw new RangeError(`invalid local time ${JSON.stringify({ ...d, ...t })} in ${tz}: ${dt.invalidReason}`);
  if (sameWall(dt, d, t)) {
    // Luxon picks the later offset for an ambiguous wall time; the first occurrence wins.
    return dt.getPossibleOffsets().reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a), dt);
  }
  // The wall time falls in a gap: walk wall-clock minutes forward to the first one that exists.
  let wall = DateTime.fromObject({ ...d, ...t }, { zone: 'utc' });
  for (let i = 0; i < 24 * 60; i++) {
    wall = wall.plus({ minutes: 1 });
    const w = { year: wall.year, month: wall.month, day: wall.day };
    const cand = DateTime.fromObject({ ...w, hour: wall.hour, minute: wall.minute }, { zone: tz });
    if (sameWall(cand, w, { hour: wall.hour, minute: wall.minute })) return cand;
  }
  return dt;
};

const civil = (dt: DateTime): CivilDate => ({ year: dt.year, month: dt.month, day: dt.day });

/** Civil dates (no zone) as UTC-zoned Luxon values: calendar steps without any offset. */
const civilDay = (d: CivilDate): DateTime => DateTime.utc(d.year, d.month, d.day);

function* weeklyDates(spec: WeeklySchedule, from: CivilDate): Generator<CivilDate> {
  const start = spec.startDate ? DateTime.fromISO(spec.startDate, { zone: 'utc' }) : null;
  const anchorMonday = start ? start.minus({ days: start.weekday - 1 }) : null;
  let monday = civilDay(from).minus({ days: civilDay(from).weekday - 1 });
  if (anchorMonday && monday < anchorMonday) monday = anchorMonday;
  const dayOffsets = spec.days.map((d) => isoWeekday[d] - 1).sort((a, b) => a - b);
  const every = spec.everyWeeks ?? 1;
  for (let w = 0; w < MAX_WEEKS; w++, monday = monday.plus({ weeks: 1 })) {
    if (anchorMonday && Math.round(monday.diff(anchorMonday, 'days').days / 7) % every !== 0) continue;
    for (const off of dayOffsets) {
      const day = monday.plus({ days: off });
      if (start && day < start) continue;
      yield civil(day);
    }
  }
}

const positionalDay = (first: DateTime, ordinal: Ordinal, weekday: Weekday): number => {
  const firstMatch = 1 + ((isoWeekday[weekday] - first.weekday + 7) % 7);
  const dim = first.daysInMonth!;
  if (ordinal === 'last') return firstMatch + 7 * Math.floor((dim - firstMatch) / 7);
  return firstMatch + 7 * ordinalIndex[ordinal];
};

/** The days of one month a monthly schedule runs on, ascending. */
export const monthlyDaysOf = (spec: MonthlySchedule, year: number, month: number): number[] => {
  const first = DateTime.utc(year, month, 1);
  const dim = first.daysInMonth!;
  const days = new Set<number>();
  if (spec.weekday) days.add(positionalDay(first, spec.weekday.ordinal, spec.weekday.day));
  for (const d of spec.dates ?? []) {
    if (d === 'last') days.add(dim);
    else if (d <= dim) days.add(d);
  }
  return [...days].sort((a, b) => a - b);
};

function* monthlyDates(spec: MonthlySchedule, from: CivilDate): Generator<CivilDate> {
  const months = new Set(spec.months);
  let cursor = DateTime.utc(from.year, from.month, 1);
  for (let i = 0; i < MAX_MONTHS; i++, cursor = cursor.plus({ months: 1 })) {
    if (!months.has(cursor.month)) continue;
    for (const day of monthlyDaysOf(spec, cursor.year, cursor.month)) yield { year: cursor.year, month: cursor.month, day };
  }
}

/**
 * The next `count` occurrences strictly after `after`, ascending, in zone `tz` (the spec's own
 * zone should already be resolved by the caller: `spec.timezone ?? account.timezone`). Returns
 * fewer only if the schedule has no more occurrences within centuries.
 */
export const nextOccurrences = (spec: ScheduleSpec, tz: string, after: Date, count: number): Date[] => {
  const afterMs = after.getTime();
  // Start a day early: an occurrence on the previous local date can never be later than
  // `after`, but starting there keeps the search correct for any zone offset.
  const from = civil(DateTime.fromMillis(afterMs, { zone: tz }).minus({ days: 1 }));
  const t = parseTime(spec.time);
  const dates = spec.type === 'weekly' ? weeklyDates(spec, from) : monthlyDates(spec, from);
  const out: Date[] = [];
  let last = afterMs;
  for (const d of dates) {
    if (out.length >= count) break;
    const ms = resolveLocal(d, t, tz).toMillis();
    if (ms > last) {
      out.push(new Date(ms));
      last = ms;
    }
  }
  return out;
};

/** One occurrence as users see it: local time with its offset, and UTC. */
export const describeOccurrence = (at: Date, tz: string): { local: string; utc: string; weekday: string } => {
  const local = DateTime.fromJSDate(at, { zone: tz });
  return {
    local: local.toISO({ suppressMilliseconds: true })!,
    utc: at.toISOString(),
    weekday: local.setLocale('en').toFormat('cccc'),
  };
};
