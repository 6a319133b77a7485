/**
 * Urgent work first inside one worker process. The urgent lane has its own queue and send slots,
 * but it shares the process's event loop, database pool and CPU with a broadcast's bulk sends:
 * under a fan-out, the planning and sending of a small activation would wait behind the callbacks
 * of hundreds of bulk sends. So while urgent work runs (a planner job of one activation, an
 * urgent-lane delivery job), the bulk lane claims no new batch, for at most `maxYieldMs` per
 * claim: bulk sends already in flight finish, and a steady stream of urgent work still leaves
 * the bulk lane a claim every `maxYieldMs` (a broadcast slows down, it never stops).
 */
export type LaneGate = {
  /** Runs urgent work; the bulk lane yields to it. */
  urgent<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves when no urgent work runs, or after `maxYieldMs`, whichever comes first. */
  bulkTurn(): Promise<void>;
  /**
   * For urgent work that turned out large (a broadcast's plan, known only once expanded): resolves
   * when no OTHER urgent work runs, or after `maxYieldMs`. Called between its chunks, it lets
   * the small activations keyed meanwhile be planned first.
   */
  yieldToOthers(): Promise<void>;
};

export const createLaneGate = (maxYieldMs: number): LaneGate => {
  let running = 0;
  /** Waiters, each with how many urgent works may still run when it goes on. */
  let waiting: Array<{ upTo: number; go: () => void }> = [];
  const wake = () => {
    const ready = waiting.filter((w) => running <= w.upTo);
    if (ready.length === 0) return;
    waiting = waiting.filter((w) => running > w.upTo);
    for (const w of ready) w.go();
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
        waiting = waiting.filter((x) => x !== w);
        resolve();
      }, maxYieldMs);
      timer.unref();
      waiting.push(w);
    });
  };
  return {
    async urgent(fn) {
      running++;
      try {
        return await fn();
      } finally {
        running--;
        wake();
      }
    },
    bulkTurn: () => turn(0),
    yieldToOthers: () => turn(1),
  };
};
