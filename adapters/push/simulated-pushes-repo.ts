/** The simulated_pushes table, written and read only by the simulator push provider beside it. */
import type { Queryable } from '../../src/db/db.js';

export type SimulatedPush = {
  id: number; accountId: string; contactId: string | null; deliveryId: string | null; token: string; title: string; body: string; createdAt: Date;
};

/** Stores the push unless its delivery already has one; returns the id of the delivery's push either way. */
export const insertSimulatedPush = async (
  q: Queryable, p: { accountId: string; contactId: string | null; deliveryId: string | null; token: string; title: string; body: string },
): Promise<number> => {
  const { rows } = await q.query<{ id: number }>(
    `WITH ins AS (
       INSERT INTO simulated_pushes (account_id, contact_id, delivery_id, token, title, body)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id) DO NOTHING RETURNING id)
     SELECT id FROM ins UNION ALL SELECT id FROM simulated_pushes WHERE delivery_id = $3 LIMIT 1`,
    [p.accountId, p.contactId, p.deliveryId, p.token, p.title, p.body],
  );
  return rows[0]?.id
    // A concurrent send of the same delivery committed after this statement's snapshot.
    ?? (await q.query<{ id: number }>('SELECT id FROM simulated_pushes WHERE delivery_id = $1', [p.deliveryId])).rows[0]!.id;
};

export const listSimulatedPushes = async (q: Queryable, accountId: string): Promise<SimulatedPush[]> => {
  const { rows } = await q.query(
    `SELECT id, account_id, contact_id, delivery_id, token, title, body, created_at FROM simulated_pushes WHERE account_id = $1 ORDER BY id`,
    [accountId],
  );
  return rows.map((r) => ({
    id: Number(r.id), accountId: r.account_id, contactId: r.contact_id, deliveryId: r.delivery_id, token: r.token, title: r.title, body: r.body,
    createdAt: r.created_at,
  }));
};

export const simulatedPushesRepo = { insertSimulatedPush, listSimulatedPushes };
export type SimulatedPushesRepo = typeof simulatedPushesRepo;
