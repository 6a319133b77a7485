import type { Queryable } from '../db/db.js';
import { toDelivery, type Delivery } from './deliveries-repo.js';
import { awaitingCarrierSql } from './delivery-status.js';

/** The delivery sweeper's statements (src/engine/delivery-sweeper.ts): each safe from any number of processes. */

const ms = (n: number) => `make_interval(secs => ${Number(n) / 1000})`;

/**
 * Pending deliveries untouched for `staleAfterMs` (and not held back by `not_before` that long),
 * at most 2,000, oldest first: touched (so another sweeper skips them) and returned.
 */
export const touchStalePending = async (q: Queryable, staleAfterMs: number): Promise<string[]> => {
  const res = await q.query(
    `UPDATE deliveries SET updated_at = now() WHERE id IN (
       SELECT id FROM deliveries
        WHERE open_phase = 0 AND status = 'pending' AND updated_at < now() - ${ms(staleAfterMs)}
          AND (not_before IS NULL OR not_before < now() - ${ms(staleAfterMs)})
        ORDER BY updated_at LIMIT 2000 FOR UPDATE SKIP LOCKED)
     RETURNING id`,
  );
  return res.rows.map((r) => r.id as string);
};

/**
 * Takes over up to 100 rows left `sending` without a carrier id, claimed more than
 * `takeOverAfterMs` ago, with a new claim `token` (the dead worker's token no longer matches);
 * each with the time it was claimed before.
 */
export const takeInDoubt = async (q: Queryable, token: string, takeOverAfterMs: number): Promise<Array<{ d: Delivery; claimedBefore: Date }>> => {
  const res = await q.query(
    `WITH c AS (
       SELECT id, claimed_at AS old_claimed_at FROM deliveries
        WHERE open_phase = 0 AND status = 'sending' AND provider_id IS NULL AND claimed_at < now() - ${ms(takeOverAfterMs)}
        ORDER BY claimed_at LIMIT 100 FOR UPDATE SKIP LOCKED)
     UPDATE deliveries d SET claim_token = $1, claimed_at = now(), updated_at = now() FROM c WHERE d.id = c.id
     RETURNING d.*, c.old_claimed_at`,
    [token],
  );
  return res.rows.map((r) => ({ d: toDelivery(r), claimedBefore: r.old_claimed_at as Date }));
};

/**
 * Activations older than 10 s that may be done but were never completed: `running` ones, and
 * `dispatched` ones with no delivery still awaiting the carrier (one index probe each).
 */
export const listPossiblyDoneActivations = async (q: Queryable): Promise<string[]> => {
  const running = await q.query(
    `SELECT id FROM activations WHERE status = 'running' AND created_at < now() - interval '10 seconds' ORDER BY created_at LIMIT 200`,
  );
  const dispatched = await q.query(
    `SELECT a.id FROM activations a WHERE a.status = 'dispatched' AND a.created_at < now() - interval '10 seconds'
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activation_id = a.id AND (${awaitingCarrierSql}))
      ORDER BY a.created_at LIMIT 200`,
  );
  return [...running.rows, ...dispatched.rows].map((r) => r.id as string);
};

export const sweeperRepo = { touchStalePending, takeInDoubt, listPossiblyDoneActivations };
export type SweeperRepo = typeof sweeperRepo;
