import { quietHoursEnd, quietHoursFromSettings, zoneFor } from '../sequences/quiet-hours.js';
import { nextInWindow } from './schedule-math.js';
import type { ScheduleWindow } from './rule-types.js';

/** What limits when a callback may ring: the rule's schedule window and the account's quiet hours. */
export type CallbackHours = {
  window: ScheduleWindow;
  /** `accounts.settings` (quietHours = { start, end }, read in the contact's zone, else the account's). */
  settings: Record<string, unknown>;
  accountZone: string;
  contactZone: string | null;
};

/** The hours for a callback of `window` from the account's timing row (UTC, no quiet hours when missing). */
export const callbackHours = (
  acct: { timezone: string; settings: Record<string, unknown> } | null, window: ScheduleWindow, contactZone: string | null,
): CallbackHours => ({ window, settings: acct?.settings ?? {}, accountZone: acct?.timezone ?? 'UTC', contactZone });

/**
 * The first instant at or after `at` that is inside the schedule window (account zone) and
 * outside quiet hours (the sequences' rule: contact zone, else account zone) — the same quiet
 * hours every sequence send honours. `reason` says what moved it (null: `at` itself).
 */
export const callableAt = (at: Date, h: CallbackHours): { at: Date; reason: 'quiet_hours' | 'outside_window' | null } => {
  const qh = quietHoursFromSettings(h.settings);
  const zone = zoneFor(h.contactZone, h.accountZone);
  let t = at;
  let reason: 'quiet_hours' | 'outside_window' | null = null;
  // A window opening can fall inside quiet hours and a quiet-hours end outside the window: settle both.
  for (let i = 0; i < 4; i++) {
    const w = nextInWindow(t, h.window, h.accountZone);
    if (w.getTime() !== t.getTime()) reason ??= 'outside_window';
    const q = qh ? quietHoursEnd(w, qh, zone) : null;
    if (q) reason ??= 'quiet_hours';
    const next = q ?? w;
    if (next.getTime() === t.getTime()) break;
    t = next;
  }
  return { at: t, reason };
};
