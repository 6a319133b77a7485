import { describe, expect, it } from 'vitest';
import { cyclesOf, unitGraph } from '../helpers/import-graph.js';

/**
 * The folders of `src/` (and the top folders beside it) form a layered graph: no two folders
 * import each other, directly or through others. A cycle means a folder cannot be read, tested
 * or moved without the other: the engine (`src/engine`) sits below the features that trigger it
 * and above the ports and value types it uses.
 */
describe('import structure', () => {
  it('has no cycle between the folders of src/, routes/, adapters/, ivr/ and dev/', () => {
    const graph = unitGraph(['src', 'routes', 'adapters', 'ivr', 'dev']);
    const explain = cyclesOf(graph).map((cycle) => [
      `cycle: ${cycle.join(' <-> ')}`,
      ...cycle.flatMap((a) => cycle.flatMap((b) => (graph.get(a)?.get(b) ?? []).slice(0, 3).map((why) => `  ${why}`))),
    ].join('\n'));
    expect(explain).toEqual([]);
  });

  it('finds a cycle through a third folder (the check itself can fail)', () => {
    const graph = new Map([
      ['src/a', new Map([['src/b', []]])],
      ['src/b', new Map([['src/c', []]])],
      ['src/c', new Map([['src/a', []], ['src/d', []]])],
    ]);
    expect(cyclesOf(graph)).toEqual([['src/a', 'src/b', 'src/c']]);
  });

  it('sees the engine and the folders that use it', () => {
    const graph = unitGraph(['src', 'routes']);
    expect(graph.get('src/telephony')?.has('src/engine')).toBe(true);
    expect(graph.get('routes')?.has('src/engine')).toBe(true);
  });
});
