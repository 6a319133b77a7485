import type { Queryable } from '../db/db.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import type { DeliveriesRepo } from './deliveries-repo.js';

/**
 * The claims this process holds (claimed, not yet finished): refreshed in one statement every
 * `inDoubtAfterMs / 4`, so the sweeper's in-doubt takeover only ever sees the rows of a worker
 * that died or stalled. Each held row keeps when its claim was last known to be ours (local
 * clock; never again once a refresh finds it taken over), which is what `fresh` checks.
 */
export const createClaimKeeper = (
  db: Queryable, repo: Pick<DeliveriesRepo, 'refreshClaims'>, inDoubtAfterMs: number, logger: Pick<Logger, 'warn' | 'error'>,
) => {
  const held = new Map<string, { token: string; confirmedAt: number }>();
  const beat = async () => {
    if (held.size === 0) return;
    const ids = [...held.keys()];
    const started = Date.now();
    const kept = await repo.refreshClaims(db, ids.map((id) => ({ id, token: held.get(id)!.token })));
    for (const id of ids) {
      const h = held.get(id);
      if (!h) continue; // finished meanwhile
      if (kept.has(id)) h.confirmedAt = started;
      else h.confirmedAt = Number.NEGATIVE_INFINITY; // taken over (or already moved on): never send it
    }
  };
  const refreshes = startPoller({
    intervalMs: Math.max(50, Math.floor(inDoubtAfterMs / 4)), logger, pass: beat,
    errorMessage: 'could not refresh delivery claims; sends wait for the next refresh',
  });
  return {
    hold(rows: Array<{ id: string }>, token: string, at: number) { for (const r of rows) held.set(r.id, { token, confirmedAt: at }); },
    /** Forgets this claim's rows (not a later claim of the same row by another job of this process). */
    release(rows: Array<{ id: string }>, token: string) { for (const r of rows) if (held.get(r.id)?.token === token) held.delete(r.id); },
    /** May this row be sent now? Only within half the in-doubt window of a confirmed claim. */
    fresh(id: string): boolean { return Date.now() - (held.get(id)?.confirmedAt ?? Number.NEGATIVE_INFINITY) < inDoubtAfterMs / 2; },
    close: refreshes.close,
  };
};
