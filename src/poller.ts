import type { Logger } from './logger.js';

/**
 * How the pause between passes is measured:
 * - `fixed-rate`: a pass starts every `intervalMs` (as `setInterval`); a pass that overruns is
 *   not doubled, the next one starts at the first tick after it ended.
 * - `fixed-delay`: the next pass starts `intervalMs` after the previous one ended.
 */
export type PollSpacing = 'fixed-rate' | 'fixed-delay';

export type PollerOptions = {
  /** One pass. A number returned is the pause before the next pass (0: at once, more is due). */
  pass: () => Promise<number | void>;
  intervalMs: number;
  /** Default `fixed-rate`. */
  spacing?: PollSpacing;
  /** Before the first pass; default `intervalMs`. Pass a random share to spread processes started together. */
  firstDelayMs?: number;
  /** Logged once per failed pass, with the error and the number of failures in a row. */
  errorMessage: string;
  errorLevel?: 'warn' | 'error';
  logger: Pick<Logger, 'warn' | 'error'>;
  /** The pause after a failed pass (`failures` in a row, from 1); default: as after a pass that succeeded. */
  retryAfterMs?: (failures: number) => number;
};

/** A running poll loop. */
export type Poller = {
  /** Starts a pass now, or right after the one in flight. */
  wake(): void;
  /** No pass starts any more; resolves when the pass in flight has finished. Idempotent. */
  close(): Promise<void>;
};

/**
 * The one background poll loop (outbox and event sweeps, due rule actions and callbacks, claim
 * refreshes, schedule and sequence passes, session purge). Contract:
 * - one pass at a time: passes of one poller never overlap;
 * - between passes, the pause of `spacing`, unless the pass returned its own pause;
 * - a pass that throws is logged once (`errorMessage`) and the loop goes on;
 * - `close()` waits for the pass in flight, so nothing of the loop still runs after it;
 * - timers are unref'd: a poller alone does not keep the process alive.
 */
export const startPoller = (o: PollerOptions): Poller => {
  const spacing = o.spacing ?? 'fixed-rate';
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let wakeAfter = false;
  let failures = 0;

  const regular = (started: number): number => {
    if (spacing === 'fixed-delay') return o.intervalMs;
    return o.intervalMs - ((Date.now() - started) % o.intervalMs);
  };
  const schedule = (ms: number) => {
    if (closed) return;
    timer = setTimeout(run, Math.max(0, ms));
    timer.unref();
  };
  const once = async (started: number): Promise<number> => {
    try {
      const pause = await o.pass();
      failures = 0;
      return typeof pause === 'number' ? pause : regular(started);
    } catch (err) {
      failures++;
      o.logger[o.errorLevel ?? 'warn']({ err, failures }, o.errorMessage);
      return o.retryAfterMs?.(failures) ?? regular(started);
    }
  };
  const run = () => {
    timer = null;
    if (closed || inFlight) return;
    inFlight = once(Date.now()).then((next) => {
      inFlight = null;
      schedule(wakeAfter ? 0 : next);
      wakeAfter = false;
    });
  };
  schedule(o.firstDelayMs ?? o.intervalMs);

  return {
    wake() {
      if (closed) return;
      if (inFlight) {
        wakeAfter = true;
        return;
      }
      if (timer) clearTimeout(timer);
      schedule(0);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight;
    },
  };
};
