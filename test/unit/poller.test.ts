import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPoller, type PollerOptions } from '../../src/poller.js';

/** The one poll loop: spacing, own pauses, errors, wake-up and a close that waits for the pass in flight. */
describe('poller', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  const logs: Array<[string, unknown, string]> = [];
  const logger = {
    warn: (o: unknown, m: string) => void logs.push(['warn', o, m]),
    error: (o: unknown, m: string) => void logs.push(['error', o, m]),
  } as unknown as PollerOptions['logger'];
  /** A pass that takes `ms` and records when it started and ended (fake time). */
  const timed = (ms: number | (() => number)) => {
    const runs: Array<{ start: number; end?: number }> = [];
    const pass = async () => {
      const run = { start: Date.now() } as { start: number; end?: number };
      runs.push(run);
      await new Promise((r) => setTimeout(r, typeof ms === 'number' ? ms : ms()));
      run.end = Date.now();
    };
    return { runs, pass };
  };

  it('fixed-rate: a pass every interval, never two at once; an overrun waits for the next tick', async () => {
    const t0 = Date.now();
    const durations = [10, 250, 10, 10];
    const { runs, pass } = timed(() => durations[runs.length - 1] ?? 10);
    const p = startPoller({ pass, intervalMs: 100, logger, errorMessage: 'x' });
    await vi.advanceTimersByTimeAsync(650);
    await p.close();
    expect(runs.map((r) => r.start - t0)).toEqual([100, 200, 500, 600]);
  });

  it('fixed-delay: the pause runs from the end of a pass; firstDelayMs sets the first start', async () => {
    const t0 = Date.now();
    const { runs, pass } = timed(30);
    const p = startPoller({ pass, intervalMs: 100, spacing: 'fixed-delay', firstDelayMs: 5, logger, errorMessage: 'x' });
    await vi.advanceTimersByTimeAsync(400);
    const closing = p.close(); // the pass that started at 395 ends at 425
    await vi.advanceTimersByTimeAsync(30);
    await closing;
    expect(runs.map((r) => r.start - t0)).toEqual([5, 135, 265, 395]);
  });

  it('a pause returned by the pass replaces the interval (0: at once, i.e. the next timer turn, 1 ms)', async () => {
    const t0 = Date.now();
    const starts: number[] = [];
    const pauses = [0, 0, 50];
    const p = startPoller({
      pass: async () => { starts.push(Date.now() - t0); return pauses[starts.length - 1] ?? 1000; },
      intervalMs: 1000, firstDelayMs: 0, logger, errorMessage: 'x',
    });
    await vi.advanceTimersByTimeAsync(100);
    await p.close();
    expect(starts).toEqual([0, 1, 2, 52]);
  });

  it('logs a failed pass once and goes on, after retryAfterMs when given', async () => {
    logs.length = 0;
    const t0 = Date.now();
    const starts: number[] = [];
    const p = startPoller({
      pass: async () => { starts.push(Date.now() - t0); if (starts.length <= 2) throw new Error(`boom ${starts.length}`); },
      intervalMs: 100, spacing: 'fixed-delay', logger, errorLevel: 'error', errorMessage: 'pass failed',
      retryAfterMs: (failures) => failures * 1000,
    });
    await vi.advanceTimersByTimeAsync(3_250);
    await p.close();
    expect(starts).toEqual([100, 1100, 3100, 3200]);
    expect(logs.map(([level, o, m]) => [level, (o as { failures: number }).failures, (o as { err: Error }).err.message, m])).toEqual([
      ['error', 1, 'boom 1', 'pass failed'], ['error', 2, 'boom 2', 'pass failed'],
    ]);
  });

  it('close() waits for the pass in flight, and no pass starts after it', async () => {
    const { runs, pass } = timed(500);
    const p = startPoller({ pass, intervalMs: 100, logger, errorMessage: 'x' });
    await vi.advanceTimersByTimeAsync(150);
    let closed = false;
    const closing = p.close().then(() => { closed = true; });
    await vi.advanceTimersByTimeAsync(300);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await closing;
    expect(runs).toHaveLength(1);
    expect(runs[0]!.end).toBeDefined();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toHaveLength(1);
    await p.close(); // idempotent
  });

  it('wake() starts a pass now, or right after the one in flight', async () => {
    const t0 = Date.now();
    const { runs, pass } = timed(50);
    const p = startPoller({ pass, intervalMs: 1_000, spacing: 'fixed-delay', logger, errorMessage: 'x' });
    p.wake();
    await vi.advanceTimersByTimeAsync(10);
    p.wake(); // during the pass: one more right after it
    await vi.advanceTimersByTimeAsync(200);
    await p.close();
    expect(runs.map((r) => r.start - t0)).toEqual([0, 51]);
  });
});
