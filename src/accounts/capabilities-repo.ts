/**
 * What the account's phone lines can do, for `GET /v1/account/capabilities`: a line texts and
 * calls when it is a simulator line or a Twilio line with a carrier connection.
 */
import type { Queryable } from '../db/db.js';

export type LineAbility = { id: string; phoneNumber: string; mode: 'activation' | 'tracking'; connected: boolean };

/** Every line of the account, activation lines first, oldest first (the default sending line first). */
export const lineAbilities = async (q: Queryable, accountId: string): Promise<LineAbility[]> => {
  const r = await q.query(
    `SELECT id, phone_number, mode, (provider = 'simulator' OR carrier_connection_id IS NOT NULL) AS connected
       FROM lines WHERE account_id = $1 ORDER BY (mode = 'activation') DESC, created_at, id`,
    [accountId],
  );
  return r.rows.map((x) => ({ id: x.id, phoneNumber: x.phone_number, mode: x.mode, connected: x.connected }));
};

/** How many owner e-mail addresses the account has (post-call e-mails go to them). */
export const ownerEmailCount = async (q: Queryable, accountId: string): Promise<number> => {
  const r = await q.query('SELECT coalesce(cardinality(owner_emails), 0)::int AS n FROM accounts WHERE id = $1', [accountId]);
  return r.rows[0]?.n ?? 0;
};

export const capabilitiesRepo = { lineAbilities, ownerEmailCount };
export type CapabilitiesRepo = typeof capabilitiesRepo;
