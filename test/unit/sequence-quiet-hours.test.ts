import { describe, expect, it } from 'vitest';
import { addDuration, quietHoursEnd, quietHoursFromSettings, zoneFor } from '../../src/sequences/quiet-hours.js';

describe('quiet hours', () => {
  const qh = { start: '21:00', end: '08:00' };

  it('defers a send inside a window that crosses midnight to the local end', () => {
    // 22:30 in New York (EST, UTC-5) -> 08:00 next morning local = 13:00Z.
    expect(quietHoursEnd(new Date('2026-01-06T03:30:00Z'), qh, 'America/New_York')?.toISOString()).toBe('2026-01-06T13:00:00.000Z');
    // 06:59 local -> 08:00 the same day.
    expect(quietHoursEnd(new Date('2026-01-06T11:59:00Z'), qh, 'America/New_York')?.toISOString()).toBe('2026-01-06T13:00:00.000Z');
    // 08:00 and 20:59 local are outside.
    expect(quietHoursEnd(new Date('2026-01-06T13:00:00Z'), qh, 'America/New_York')).toBeNull();
    expect(quietHoursEnd(new Date('2026-01-07T01:59:00Z'), qh, 'America/New_York')).toBeNull();
  });

  it('handles a same-day window and a DST night', () => {
    expect(quietHoursEnd(new Date('2026-01-06T12:30:00Z'), { start: '12:00', end: '14:00' }, 'UTC')?.toISOString()).toBe('2026-01-06T14:00:00.000Z');
    // Night of the spring-forward change in New York (2026-03-08): 23:00 EST -> 08:00 EDT = 12:00Z.
    expect(quietHoursEnd(new Date('2026-03-08T04:00:00Z'), qh, 'America/New_York')?.toISOString()).toBe('2026-03-08T12:00:00.000Z');
  });

  it('reads the setting defensively and picks the contact zone first', () => {
    expect(quietHoursFromSettings({ quietHours: { start: '21:00', end: '08:00' } })).toEqual(qh);
    expect(quietHoursFromSettings({ quietHours: { start: '9pm', end: '8am' } })).toBeNull();
    expect(quietHoursFromSettings({})).toBeNull();
    expect(zoneFor('Europe/Paris', 'America/Chicago')).toBe('Europe/Paris');
    expect(zoneFor(null, 'America/Chicago')).toBe('America/Chicago');
    expect(zoneFor('Nowhere/City', null)).toBe('UTC');
  });

  it('adds days on the local calendar across DST', () => {
    // 1 day after 12:00 EST on 2026-03-07 is 12:00 EDT on 2026-03-08: 23 hours later.
    expect(addDuration(new Date('2026-03-07T17:00:00Z'), { amount: 1, unit: 'days' }, 'America/New_York').toISOString()).toBe('2026-03-08T16:00:00.000Z');
    expect(addDuration(new Date('2026-03-07T17:00:00Z'), { amount: 24, unit: 'hours' }, 'America/New_York').toISOString()).toBe('2026-03-08T17:00:00.000Z');
  });
});
