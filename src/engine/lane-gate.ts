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
};

export const createLaneGate = (maxYieldMs: number): LaneGate => {
  let running = 0;
  let waiting: Array<() => void> = [];
  return {
    async urgent(fn) {
      running++;
      try {
        return await fn();
      } finally {
        if (--running === 0) {
          const wake = waiting;
          waiting = [];
          for (const w of wake) w();
        }
      }
    },
    async bulkTurn() {
      if (running === 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiting = waiting.filter((w) => w !== done);
          resolve();
        }, maxYieldMs);
        timer.unref();
        waiting.push(done);
      });
    },
  };
};
