import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contactChangeEvents } from '../../src/events/contact-events.js';
import type { ContactSnapshot } from '../../src/rules/fields.js';
import { actionDueAt, inRollout, inWindow, nextInWindow } from '../../src/rules/schedule-math.js';

const contact = (custom: Record<string, unknown> = {}): ContactSnapshot => ({
  id: randomUUID(), accountId: randomUUID(), name: 'Ada', phone: '+14155550111', email: null, pagerNumber: null, timezone: null,
  onDuty: true, doNotContact: false, optedOutChannels: [], status: 'active', customFields: custom,
  createdAt: new Date('2025-01-01T00:00:00Z'), updatedAt: new Date('2025-01-01T00:00:00Z'),
});

describe('rollout: perform on N% of qualifying contacts', () => {
  it.each([10, 25, 50, 90])('selects %s percent of 10,000 contacts within ±2 points, the same ones every time', (pct) => {
    const rule = randomUUID();
    const ids = Array.from({ length: 10_000 }, () => randomUUID());
    const chosen = ids.filter((id) => inRollout(rule, id, pct));
    expect(Math.abs(chosen.length / 100 - pct)).toBeLessThanOrEqual(2);
    expect(ids.filter((id) => inRollout(rule, id, pct))).toEqual(chosen);
    // A larger percentage keeps everyone a smaller one chose (the bucket is per contact).
    expect(chosen.every((id) => inRollout(rule, id, Math.min(100, pct + 5)))).toBe(true);
  });

  it('0% selects nobody and 100% everybody', () => {
    const rule = randomUUID();
    const ids = Array.from({ length: 1000 }, () => randomUUID());
    expect(ids.filter((id) => inRollout(rule, id, 0))).toEqual([]);
    expect(ids.filter((id) => inRollout(rule, id, 100))).toHaveLength(1000);
  });
});

describe('schedule windows in the account time zone', () => {
  const tz = 'America/Chicago'; // UTC-6 in January
  it('keeps a time inside the window and moves one outside to the next opening', () => {
    expect(nextInWindow(new Date('2025-01-06T16:00:00Z'), '9-5', tz)).toEqual(new Date('2025-01-06T16:00:00Z')); // 10:00 local
    expect(nextInWindow(new Date('2025-01-06T12:00:00Z'), '9-5', tz)).toEqual(new Date('2025-01-06T15:00:00Z')); // 06:00 -> 09:00
    expect(nextInWindow(new Date('2025-01-06T23:00:00Z'), '9-5', tz)).toEqual(new Date('2025-01-07T15:00:00Z')); // 17:00 -> next 09:00
    expect(nextInWindow(new Date('2025-01-06T22:59:59Z'), '9-5', tz)).toEqual(new Date('2025-01-06T22:59:59Z')); // 16:59:59 still open
    expect(nextInWindow(new Date('2025-01-06T20:00:00Z'), '5-9', tz)).toEqual(new Date('2025-01-06T23:00:00Z')); // 14:00 -> 17:00
    expect(nextInWindow(new Date('2025-01-07T03:00:00Z'), '12-9', tz)).toEqual(new Date('2025-01-07T18:00:00Z')); // 21:00 -> 12:00
    expect(nextInWindow(new Date('2025-01-06T13:30:00Z'), '8-9', tz)).toEqual(new Date('2025-01-06T14:00:00Z'));
    expect(nextInWindow(new Date('2025-01-06T17:00:00Z'), '12-5', tz)).toEqual(new Date('2025-01-06T18:00:00Z'));
    expect(nextInWindow(new Date('2025-01-06T14:00:00Z'), '9-9', tz)).toEqual(new Date('2025-01-06T15:00:00Z'));
    expect(nextInWindow(new Date('2025-01-06T09:00:00Z'), 'always', tz)).toEqual(new Date('2025-01-06T09:00:00Z'));
  });

  it('opens at 9:00 local across a DST change', () => {
    // Sunday 2025-03-09 02:00 America/Chicago springs forward: Monday 09:00 is 14:00Z, not 15:00Z.
    expect(nextInWindow(new Date('2025-03-09T04:00:00Z'), '9-5', tz)).toEqual(new Date('2025-03-09T14:00:00Z'));
    expect(inWindow(new Date('2025-03-09T14:00:00Z'), '9-5', tz)).toBe(true);
    expect(inWindow(new Date('2025-03-09T13:59:59Z'), '9-5', tz)).toBe(false);
  });
});

describe('action timing', () => {
  const now = new Date('2025-01-06T12:00:00Z');
  it('runs at once, after a fixed offset, or relative to a contact date field', () => {
    expect(actionDueAt({ type: 'immediate' }, now, null)).toEqual({ dueAt: now });
    expect(actionDueAt({ type: 'delay', days: 1, hours: 2, minutes: 3 }, now, null)).toEqual({ dueAt: new Date('2025-01-07T14:03:00Z') });
    const c = contact({ appointment: '2025-01-10T15:00:00Z' });
    expect(actionDueAt({ type: 'relative', field: 'contact.custom.appointment', direction: 'before', days: 1, hours: 0, minutes: 0 }, now, c))
      .toEqual({ dueAt: new Date('2025-01-09T15:00:00Z') });
    expect(actionDueAt({ type: 'relative', field: 'contact.custom.appointment', direction: 'after', days: 0, hours: 2, minutes: 0 }, now, c))
      .toEqual({ dueAt: new Date('2025-01-10T17:00:00Z') });
  });

  it('skips a reminder before a date that has passed or is missing; a late reminder before a future date runs now', () => {
    const past = contact({ appointment: '2025-01-05T15:00:00Z' });
    const soon = contact({ appointment: '2025-01-06T13:00:00Z' });
    const t = { type: 'relative' as const, field: 'contact.custom.appointment', direction: 'before' as const, days: 1, hours: 0, minutes: 0 };
    expect(actionDueAt(t, now, past)).toEqual({ skip: 'date_passed' });
    expect(actionDueAt(t, now, soon)).toEqual({ dueAt: now });
    expect(actionDueAt(t, now, contact())).toEqual({ skip: 'no_date' });
    expect(actionDueAt({ ...t, direction: 'after' }, now, contact({ appointment: '2025-01-04T15:00:00Z' }))).toEqual({ dueAt: now });
  });
});

describe('contact change events', () => {
  it('raises status_changed and one field_changed per changed field, marking rule-caused changes', () => {
    const events = contactChangeEvents({
      accountId: 'a', contactId: 'c',
      before: { status: 'new', name: 'Ada', customFields: { score: 1, keep: 'x' } },
      after: { status: 'qualified', name: 'Ada', customFields: { score: 2, keep: 'x', added: true } },
      cause: { ruleId: 'r1', chainDepth: 2 },
    });
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['contact.status_changed', { from: 'new', to: 'qualified' }],
      ['contact.field_changed', { field: 'custom.score', from: 1, to: 2 }],
      ['contact.field_changed', { field: 'custom.added', from: null, to: true }],
    ]);
    expect(events.every((e) => e.causedByRule === 'r1' && e.chainDepth === 3)).toBe(true);
    expect(contactChangeEvents({ accountId: 'a', contactId: 'c', before: { status: 'x' }, after: { status: 'x' } })).toEqual([]);
  });
});
