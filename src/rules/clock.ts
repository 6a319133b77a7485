/** Port: the time rules see. Tests pass a manual clock to move time without waiting. */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to. */
export const createManualClock = (start: Date | string = '2025-01-06T12:00:00Z') => {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set(d: Date | string) { t = new Date(d).getTime(); },
    advance(ms: number) { t += ms; },
  };
};
export type ManualClock = ReturnType<typeof createManualClock>;
