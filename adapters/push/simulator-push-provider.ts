import type { Queryable } from '../../src/db/db.js';
import type { PushProvider } from '../../src/push/push-port.js';

export type SimulatedPush = { id: number; accountId: string; contactId: string | null; deliveryId: string | null; token: string; title: string; body: string; createdAt: Date };

/**
 * PUSH_PROVIDER=simulator: every contact with a `push_token` can receive pushes; each push is
 * stored in `simulated_pushes` (nothing leaves the machine), so demos and tests can see who got
 * what. Idempotent per delivery: a repeated send returns the first push's id.
 */
export const createSimulatorPushProvider = (db: Queryable): PushProvider & { list(accountId: string): Promise<SimulatedPush[]> } => ({
  name: 'simulator',
  canPush: (contact) => typeof contact.pushToken === 'string' && contact.pushToken.trim().length > 0,
  async send(msg) {
    const { rows } = await db.query<{ id: number }>(
      `WITH ins AS (
         INSERT INTO simulated_pushes (account_id, contact_id, delivery_id, token, title, body)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id) DO NOTHING RETURNING id)
       SELECT id FROM ins UNION ALL SELECT id FROM simulated_pushes WHERE delivery_id = $3 LIMIT 1`,
      [msg.accountId, msg.contactId, msg.deliveryId, msg.token, msg.title, msg.body],
    );
    const id = rows[0]?.id
      // A concurrent send of the same delivery committed after this statement's snapshot.
      ?? (await db.query<{ id: number }>('SELECT id FROM simulated_pushes WHERE delivery_id = $1', [msg.deliveryId])).rows[0]!.id;
    return { providerId: `simpush_${id}` };
  },
  async list(accountId) {
    const { rows } = await db.query(
      `SELECT id, account_id, contact_id, delivery_id, token, title, body, created_at FROM simulated_pushes WHERE account_id = $1 ORDER BY id`,
      [accountId],
    );
    return rows.map((r) => ({ id: Number(r.id), accountId: r.account_id, contactId: r.contact_id, deliveryId: r.delivery_id, token: r.token, title: r.title, body: r.body, createdAt: r.created_at }));
  },
});
