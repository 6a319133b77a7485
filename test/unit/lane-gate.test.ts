import { describe, expect, it } from 'vitest';
import { createLaneGate } from '../../src/engine/lane-gate.js';
import { eventually } from '../helpers/eventually.js';

/** Resolves with the order things happened in. */
const log = () => {
  const seen: string[] = [];
  return { seen, note: (s: string) => seen.push(s) };
};

/** A promise and the function that settles it. */
const held = () => {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
};

/** Lets every promise callback queued so far run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('lane gate (urgent work first in a worker process)', () => {
  it('a large urgent job yields to the other urgent work between its chunks, and to nobody when alone', async () => {
    const gate = createLaneGate({ maxYieldMs: 10_000, trickle: 2 });
    const { seen, note } = log();
    const small = held();
    await gate.urgent(async () => {
      await gate.yieldToOthers(); // alone: goes on at once
      note('chunk 1');
      const other = gate.urgent(async () => {
        await small.done;
        note('small planned');
      });
      const next = gate.yieldToOthers().then(() => note('chunk 2'));
      await Promise.resolve();
      expect(seen).toEqual(['chunk 1']); // waits for the small one
      small.release();
      await Promise.all([other, next]);
    });
    expect(seen).toEqual(['chunk 1', 'small planned', 'chunk 2']);
  });

  it('never waits longer than maxYieldMs: a steady stream of small work slows a broadcast, never stops it', async () => {
    const gate = createLaneGate({ maxYieldMs: 30, trickle: 2 });
    const urgent = held();
    const running = gate.urgent(() => urgent.done);
    const started = performance.now();
    await gate.urgent(() => gate.yieldToOthers());
    await gate.bulkTurn();
    expect(performance.now() - started).toBeLessThan(5_000);
    urgent.release();
    await running;
    await gate.bulkTurn(); // nothing urgent runs: at once
  });

  it('bulk sends trickle while urgent work runs, and all go again when it ends', async () => {
    const gate = createLaneGate({ maxYieldMs: 200, trickle: 2 });
    const urgent = held();
    const running = gate.urgent(() => urgent.done);
    const carrier = held();
    let started = 0;
    const sends = Array.from({ length: 6 }, () => gate.bulkSend(async () => {
      started++;
      await carrier.done;
    }));
    await settle();
    expect(started).toBe(2); // the trickle, not six
    urgent.release();
    await running;
    await settle();
    expect(started).toBe(6); // the urgent work is over: the rest go at once
    carrier.release();
    await Promise.all(sends);
  });

  it('with calmMs, bulk sends keep trickling for that long after an emergency\'s sends, then all go; not after other urgent work', async () => {
    const gate = createLaneGate({ maxYieldMs: 200, trickle: 1, calmMs: 500 });
    // Urgent work that does not ask for calm (a plan): the bulk lane goes at full speed at once.
    const plan = held();
    const planning = gate.urgent(() => plan.done);
    plan.release();
    await planning;
    const stalled = held();
    let plain = 0;
    const after = Array.from({ length: 3 }, () => gate.bulkSend(async () => { plain++; await stalled.done; }));
    await settle();
    expect(plain).toBe(3);
    stalled.release();
    await Promise.all(after);

    const urgent = held();
    const running = gate.urgent(() => urgent.done, { calm: true });
    const carrier = held();
    let started = 0;
    const sends = Array.from({ length: 4 }, () => gate.bulkSend(async () => {
      started++;
      await carrier.done;
    }));
    await settle();
    expect(started).toBe(1);
    urgent.release();
    await running;
    const ended = Date.now();
    await settle();
    expect(started).toBe(1); // the next emergency may come within the calm: no burst in between
    await eventually(() => started === 4, 'the rest sent once it is calm'); // at once, not one by one
    expect(Date.now() - ended).toBeGreaterThanOrEqual(500);
    carrier.release();
    await Promise.all(sends);
  });

  it('bulk sends are not held back when nothing urgent runs, and a trickled send that ends admits the next', async () => {
    const gate = createLaneGate({ maxYieldMs: 200, trickle: 1 });
    let started = 0;
    const free = held();
    const unthrottled = Array.from({ length: 5 }, () => gate.bulkSend(async () => {
      started++;
      await free.done;
    }));
    await settle();
    expect(started).toBe(5);
    free.release();
    await Promise.all(unthrottled);

    const urgent = held();
    const running = gate.urgent(() => urgent.done);
    const first = held();
    const order: string[] = [];
    const a = gate.bulkSend(async () => { order.push('a'); await first.done; });
    const b = gate.bulkSend(async () => { order.push('b'); });
    await settle();
    expect(order).toEqual(['a']); // one at a time while the urgent work runs
    first.release();
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    urgent.release();
    await running;
  });
});
