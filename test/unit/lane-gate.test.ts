import { describe, expect, it } from 'vitest';
import { createLaneGate } from '../../src/engine/lane-gate.js';

/** Resolves with the order things happened in. */
const log = () => {
  const seen: string[] = [];
  return { seen, note: (s: string) => seen.push(s) };
};

describe('lane gate (urgent work first in a worker process)', () => {
  it('a large urgent job yields to the other urgent work between its chunks, and to nobody when alone', async () => {
    const gate = createLaneGate(10_000);
    const { seen, note } = log();
    let finishSmall!: () => void;
    const small = new Promise<void>((r) => (finishSmall = r));
    await gate.urgent(async () => {
      await gate.yieldToOthers(); // alone: goes on at once
      note('chunk 1');
      const other = gate.urgent(async () => {
        await small;
        note('small planned');
      });
      const next = gate.yieldToOthers().then(() => note('chunk 2'));
      await Promise.resolve();
      expect(seen).toEqual(['chunk 1']); // waits for the small one
      finishSmall();
      await Promise.all([other, next]);
    });
    expect(seen).toEqual(['chunk 1', 'small planned', 'chunk 2']);
  });

  it('never waits longer than maxYieldMs: a steady stream of small work slows a broadcast, never stops it', async () => {
    const gate = createLaneGate(30);
    let release!: () => void;
    const held = gate.urgent(() => new Promise<void>((r) => (release = r)));
    const started = performance.now();
    await gate.urgent(() => gate.yieldToOthers());
    await gate.bulkTurn();
    expect(performance.now() - started).toBeLessThan(5_000);
    release();
    await held;
    await gate.bulkTurn(); // nothing urgent runs: at once
  });
});
