/**
 * Port: the current time. Schedules, rules and sequences read time only through this, never
 * `Date.now()`, so tests, the simulator and benchmarks can move time (days in milliseconds)
 * without waiting for it.
 */
export type Clock = { now(): Date };

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: for tests and simulations. */
export type ManualClock = Clock & {
  /** Jumps to `at` (forwards or backwards). */
  set(at: Date | string): void;
  /** Moves forward by `ms` milliseconds. */
  advance(ms: number): void;
};

/** A manual clock that starts at `start` and stands still until `set` or `advance`. */
export const createManualClock = (start: Date | string): ManualClock => {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
};
