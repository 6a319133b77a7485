/**
 * Urgent work first inside one worker process. The urgent lane has its own queue and send slots,
 * but it shares the process's event loop, database pool and CPU with a broadcast's bulk sends:
 * under a fan-out, the planning and sending of a small activation would wait behind the callbacks
 * of hundreds of bulk sends. So while urgent work runs (a planner job of one activation, an
 * urgent-lane delivery job), bulk sends slow to a trickle (`bulkSend`): a few at a time instead
 * of `DELIVERY_MAX_IN_FLIGHT`, so the CPU and the database have room for the urgent work. A
 * trickle, not a stop: stopping the bulk lane and letting it go again every `maxYieldMs` made
 * it send in bursts of a whole batch, and a call keyed during a burst waited for it
 * (bench:latency, docs/BENCHMARKS.md). A broadcast slows down under a stream of emergencies; it
 * never stops.
 *
 * A plan is urgent work whatever its size (known only once it is expanded): while a broadcast is
 * planned its own sends trickle too, and it lets the small activations keyed meanwhile go first
 * between its chunks (`yieldToOthers`). Letting a broadcast's sends run at full speed while it
 * was still being planned doubled the wait of the calls keyed then (bench:latency).
 */
export type LaneGate = {
  /**
   * Runs urgent work; bulk sends trickle while any runs, and for `calmMs` after work run with
   * `{ calm: true }` (an emergency's sends: the next one may follow within milliseconds; a
   * broadcast's own plan does not ask for it).
   */
  urgent<T>(fn: () => Promise<T>, opts?: { calm?: boolean }): Promise<T>;
  /** The bulk lane's next claim: resolves when no urgent work runs, or after `maxYieldMs`, whichever comes first. */
  bulkTurn(): Promise<void>;
  /**
   * For urgent work that turned out large (a broadcast's plan), between its chunks: resolves
   * when no OTHER urgent work runs, or after `maxYieldMs`.
   */
  yieldToOthers(): Promise<void>;
  /** Runs one bulk send: at most `trickle` at once while urgent work runs, as many as the caller allows otherwise. */
  bulkSend<T>(fn: () => Promise<T>): Promise<T>;
};

export type LaneGateSettings = {
  /** The longest bulk work waits for urgent work at a turn (`bulkTurn`, `yieldToOthers`). */
  maxYieldMs: number;
  /** Bulk sends in flight at most while urgent work runs. */
  trickle: number;
  /**
   * How long bulk sends keep trickling after urgent work run with `{ calm: true }` ended (0: not
   * at all). Under a stream of emergencies a few tens of milliseconds apart, the bulk lane would
   * otherwise go to full speed in every gap and send a burst the next emergency waits behind.
   */
  calmMs?: number;
};

export const createLaneGate = (s: LaneGateSettings): LaneGate => {
  let running = 0;
  let bulkInFlight = 0;
  /** Turns waiting, each with how many urgent works may still run when it goes on. */
  let turns: Array<{ upTo: number; go: () => void }> = [];
  /** Bulk sends waiting for the trickle to admit them, first come first served. */
  const sends: Array<() => void> = [];

  /** Until when bulk sends still trickle after an emergency's sends ended, and the timer that lets them go then. */
  let calmUntil = 0;
  let calmTimer: ReturnType<typeof setTimeout> | null = null;
  /** May one more bulk send go now? Always with no urgent work running and past the calm; else within the trickle. */
  const admits = () => (running === 0 && Date.now() >= calmUntil) || bulkInFlight < s.trickle;
  const admitSends = () => {
    while (sends.length > 0 && admits()) {
      bulkInFlight++;
      sends.shift()!();
    }
  };
  /** Resolves once at most `upTo` urgent works run, or after `maxYieldMs`. */
  const turn = (upTo: number): Promise<void> => {
    if (running <= upTo) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w = {
        upTo,
        go: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        turns = turns.filter((x) => x !== w);
        resolve();
      }, s.maxYieldMs);
      timer.unref();
      turns.push(w);
    });
  };

  return {
    async urgent(fn, opts) {
      running++;
      try {
        return await fn();
      } finally {
        running--;
        const ready = turns.filter((w) => running <= w.upTo);
        turns = turns.filter((w) => running > w.upTo);
        for (const w of ready) w.go();
        if (opts?.calm && s.calmMs) {
          calmUntil = Date.now() + s.calmMs;
          if (calmTimer) clearTimeout(calmTimer);
          calmTimer = setTimeout(() => { calmTimer = null; admitSends(); }, s.calmMs + 1);
          calmTimer.unref();
        }
        admitSends();
      }
    },
    bulkTurn: () => turn(0),
    yieldToOthers: () => turn(1),
    async bulkSend(fn) {
      if (sends.length === 0 && admits()) bulkInFlight++;
      else await new Promise<void>((admit) => sends.push(admit));
      try {
        return await fn();
      } finally {
        bulkInFlight--;
        admitSends();
      }
    },
  };
};
