import { describe, expect, it } from 'vitest';
import { fromZod } from '../../src/errors.js';
import { scheduleSpecSchema } from '../../src/calendar/schedule-types.js';
import { workflowInputSchema } from '../../src/workflows/workflow-types.js';

/** The field paths a bad schedule is refused with. */
const paths = (spec: unknown): string[] => {
  const r = scheduleSpecSchema.safeParse(spec);
  if (r.success) return [];
  return fromZod(r.error).details ? (fromZod(r.error).details as Array<{ path: string }>).map((d) => d.path) : [];
};

describe('schedule spec validation', () => {
  it('accepts weekly and monthly specs and fills defaults', () => {
    expect(scheduleSpecSchema.parse({ type: 'weekly', days: ['mon'], time: '09:00' })).toEqual({ type: 'weekly', days: ['mon'], time: '09:00', everyWeeks: 1 });
    const m = scheduleSpecSchema.parse({ type: 'monthly', dates: [15, 'last'], time: '23:59', timezone: 'Australia/Sydney' });
    expect(m).toMatchObject({ months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dates: [15, 'last'] });
    expect(scheduleSpecSchema.safeParse({ type: 'weekly', days: ['fri'], time: '00:00', everyWeeks: 4, startDate: '2024-02-29' }).success).toBe(true);
  });

  it.each([
    ['no days', { type: 'weekly', days: [], time: '09:00' }, ['days']],
    ['hour 25', { type: 'weekly', days: ['mon'], time: '25:00' }, ['time']],
    ['minute 60', { type: 'monthly', dates: [1], time: '09:60' }, ['time']],
    ['unknown zone', { type: 'weekly', days: ['mon'], time: '09:00', timezone: 'Mars/Olympus_Mons' }, ['timezone']],
    ['every 3 weeks', { type: 'weekly', days: ['mon'], time: '09:00', everyWeeks: 3, startDate: '2025-01-01' }, ['everyWeeks']],
    ['every 2 weeks without an anchor', { type: 'weekly', days: ['mon'], time: '09:00', everyWeeks: 2 }, ['startDate']],
    ['a start date that is not a date', { type: 'weekly', days: ['mon'], time: '09:00', startDate: '2025-02-30' }, ['startDate']],
    ['a repeated day', { type: 'weekly', days: ['mon', 'mon'], time: '09:00' }, ['days']],
    ['an unknown day', { type: 'weekly', days: ['funday'], time: '09:00' }, ['days.0']],
    ['empty month list', { type: 'monthly', dates: [1], months: [], time: '09:00' }, ['months']],
    ['month 13', { type: 'monthly', dates: [1], months: [13], time: '09:00' }, ['months.0']],
    ['date 32', { type: 'monthly', dates: [32], time: '09:00' }, ['dates.0']],
    ['empty date list', { type: 'monthly', dates: [], time: '09:00' }, ['dates']],
    ['dates and weekday together', { type: 'monthly', dates: [1], weekday: { ordinal: 'first', day: 'mon' }, time: '09:00' }, ['dates']],
    ['neither dates nor weekday', { type: 'monthly', time: '09:00' }, ['dates']],
    ['a fifth Monday', { type: 'monthly', weekday: { ordinal: 'fifth', day: 'mon' }, time: '09:00' }, ['weekday.ordinal']],
    ['the 30th of February only (never runs)', { type: 'monthly', dates: [30, 31], months: [2], time: '09:00' }, ['dates']],
    ['an unknown type', { type: 'daily', time: '09:00' }, ['type']],
  ])('refuses %s, naming the field', (_name, spec, expected) => {
    expect(paths(spec)).toEqual(expected);
  });

  it('names the field under schedule. in a workflow definition', () => {
    const r = workflowInputSchema.safeParse({
      name: 'Weekly test',
      schedule: { type: 'weekly', days: [], time: '25:00' },
      actions: [{ type: 'webhook', url: 'https://example.com/hook' }],
    });
    expect(r.success).toBe(false);
    const issues = fromZod(r.error!).details as Array<{ path: string; message: string }>;
    expect(issues.map((i) => i.path).sort()).toEqual(['schedule.days', 'schedule.time']);
    expect(issues.find((i) => i.path === 'schedule.time')!.message).toBe('must be HH:MM, 00:00 to 23:59');
  });
});
