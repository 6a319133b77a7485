/**
 * Port: the time sequences run on. Production uses the system clock; tests inject a manual clock
 * to move days forward in milliseconds. Every due time, delay and quiet-hours decision of the
 * sequence engine reads `now()` from here, never `Date.now()`.
 */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to (tests, benchmarks). */
export const createManualClock = (start: Date = new Date('2026-01-05T15:00:00Z')) => {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (d: Date) => { t = d.getTime(); },
    advance: (ms: number) => { t += ms; },
  };
};
export type ManualClock = ReturnType<typeof createManualClock>;
