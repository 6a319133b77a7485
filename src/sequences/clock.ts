/**
 * The time sequences run on: the same `Clock` port the schedules use (src/schedule/clock.ts).
 * Every due time, delay and quiet-hours decision of the sequence engine reads `now()` from it,
 * never `Date.now()`; tests and benchmarks inject a manual clock to move days in milliseconds.
 */
export { createManualClock, systemClock, type Clock, type ManualClock } from '../schedule/clock.js';
