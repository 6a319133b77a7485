import { afterEach, describe, expect, it } from 'vitest';
import { createClaimKeeper } from '../../src/engine/claim-keeper.js';
import { deliveriesRepo } from '../../src/engine/deliveries-repo.js';

/** A fake `db.query` for the refresh statement: rows in `ours` are still claimed by their token. */
const fakeDb = (ours: Set<string>) => {
  const refreshed: string[][] = [];
  return {
    refreshed,
    db: {
      query: async (_sql: string, [ids]: [string[], string[]]) => {
        refreshed.push(ids);
        return { rows: ids.filter((id) => ours.has(id)).map((id) => ({ id })) };
      },
    } as never,
  };
};
const logger = { warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('claim keeper (a live worker keeps the rows it holds out of the in-doubt sweep)', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => { await close?.(); close = null; });

  it('refreshes held claims and stops sending a row the sweeper took over', async () => {
    const ours = new Set(['a', 'b']);
    const { db, refreshed } = fakeDb(ours);
    const keeper = createClaimKeeper(db, deliveriesRepo, 4_000, logger); // refresh every 1 s, send only within 2 s of a confirmation
    close = keeper.close;
    keeper.hold([{ id: 'a' }, { id: 'b' }], 't1', Date.now());
    expect(keeper.fresh('a')).toBe(true);
    ours.delete('b'); // the sweeper took b over
    await sleep(2_500);
    expect(refreshed.length).toBeGreaterThanOrEqual(2);
    expect(keeper.fresh('a')).toBe(true); // kept fresh past the 2 s it would otherwise have had
    expect(keeper.fresh('b')).toBe(false);
    expect(keeper.fresh('unknown')).toBe(false);
  });

  it('release forgets only its own claim, not a later claim of the same row', async () => {
    const { db } = fakeDb(new Set(['a']));
    const keeper = createClaimKeeper(db, deliveriesRepo, 400, logger);
    close = keeper.close;
    keeper.hold([{ id: 'a' }], 'first', Date.now());
    keeper.hold([{ id: 'a' }], 'second', Date.now()); // given back, then claimed again by another job
    keeper.release([{ id: 'a' }], 'first');
    expect(keeper.fresh('a')).toBe(true);
    keeper.release([{ id: 'a' }], 'second');
    expect(keeper.fresh('a')).toBe(false);
  });
});
