import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { toDate } from './conditions.js';
import { resolveField, type ContactSnapshot } from './fields.js';
import { scheduleWindows, type ScheduleWindow, type Timing } from './rule-types.js';

/**
 * Deterministic rollout: the same rule and contact always land on the same side. The first 32
 * bits of sha256(ruleId:contactId) spread contacts uniformly over [0, 100).
 */
export const rolloutBucket = (ruleId: string, contactId: string): number => {
  const h = createHash('sha256').update(`${ruleId}:${contactId}`).digest();
  return (h.readUInt32BE(0) / 0x1_0000_0000) * 100;
};
export const inRollout = (ruleId: string, contactId: string | null, percent: number): boolean => {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  // Contact-less events have no identity to sample on: they follow the rule's extremes only.
  if (!contactId) return true;
  return rolloutBucket(ruleId, contactId) < percent;
};

/** True when `at` falls inside the window in `timezone`. */
export const inWindow = (at: Date, window: ScheduleWindow, timezone: string): boolean => {
  const hours = scheduleWindows[window];
  if (!hours) return true;
  const h = DateTime.fromJSDate(at, { zone: timezone }).hour;
  return h >= hours[0] && h < hours[1];
};

/**
 * The first instant at or after `at` inside the window, in the account's time zone: `at` itself
 * when inside, else the window's next opening (later today or tomorrow; DST-safe through Luxon).
 */
export const nextInWindow = (at: Date, window: ScheduleWindow, timezone: string): Date => {
  const hours = scheduleWindows[window];
  if (!hours) return at;
  const local = DateTime.fromJSDate(at, { zone: timezone });
  if (local.hour >= hours[0] && local.hour < hours[1]) return at;
  const open = local.set({ hour: hours[0], minute: 0, second: 0, millisecond: 0 });
  return (local.hour < hours[0] ? open : open.plus({ days: 1 })).toJSDate();
};

export type DueTime = { dueAt: Date } | { skip: string };

/**
 * When an action should run: now, after a fixed offset, or relative to a contact date field
 * (`before` an appointment that has already passed is skipped; a missing date is skipped).
 */
export const actionDueAt = (timing: Timing, now: Date, contact: ContactSnapshot | null): DueTime => {
  if (timing.type === 'immediate') return { dueAt: now };
  const ms = ((timing.days * 24 + timing.hours) * 60 + timing.minutes) * 60_000;
  if (timing.type === 'delay') return { dueAt: new Date(now.getTime() + ms) };
  const anchor = toDate(resolveField(timing.field, { contact, event: null }));
  if (!anchor) return { skip: 'no_date' };
  const due = new Date(anchor.getTime() + (timing.direction === 'before' ? -ms : ms));
  if (due.getTime() < now.getTime()) {
    // Late: an "after" action still runs (now); a reminder "before" a passed date would be wrong.
    return timing.direction === 'before' && anchor.getTime() < now.getTime() ? { skip: 'date_passed' } : { dueAt: now };
  }
  return { dueAt: due };
};
