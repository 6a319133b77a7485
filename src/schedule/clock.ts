/**
 * Port: the current time. Scheduling reads time only through this, so tests (and the
 * simulator) can move time forward without waiting for it.
 */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: for tests and simulations. */
export type ManualClock = Clock & {
  set(at: Date | string): void;
  advance(ms: number): void;
};

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
