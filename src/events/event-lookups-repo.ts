import type { Queryable } from '../db/db.js';

/** What the events pipeline reads to describe an event: the contact, delivery or call it is about. */

/** The account's contact with this number (phone first, then pager), or null. */
export const contactIdByNumber = async (q: Queryable, accountId: string, number: string): Promise<string | null> => {
  const res = await q.query(
    'SELECT id FROM contacts WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) ORDER BY (phone = $2) DESC, created_at LIMIT 1',
    [accountId, number],
  );
  return res.rows[0]?.id ?? null;
};

/** The account's (oldest) contact with this id, phone, or e-mail (case-insensitive). */
export const contactIdBy = async (q: Queryable, accountId: string, field: 'id' | 'phone' | 'email', value: string): Promise<string | null> => {
  const where = field === 'id' ? 'id = $2' : field === 'phone' ? 'phone = $2' : 'lower(email) = lower($2)';
  const res = await q.query(`SELECT id FROM contacts WHERE account_id = $1 AND ${where} ORDER BY created_at LIMIT 1`, [accountId, value]);
  return res.rows[0]?.id ?? null;
};

export type DeliveryRef = { id: string; activationId: string; channel: string; contactId: string | null; workflowId: string };

/** A delivery of the account by id or by carrier id, with its workflow; null when none (or the id is malformed). */
export const deliveryRef = async (q: Queryable, accountId: string, where: { id?: string; providerId?: string }): Promise<DeliveryRef | null> => {
  const res = await q.query(
    `SELECT d.id, d.activation_id, d.channel, d.contact_id, a.workflow_id FROM deliveries d JOIN activations a ON a.id = d.activation_id
      WHERE d.account_id = $1 AND ${where.id ? 'd.id = $2' : 'd.provider_id = $2'} LIMIT 1`,
    [accountId, where.id ?? where.providerId],
  ).catch(() => ({ rows: [] as Array<Record<string, string>> }));
  const d = res.rows[0];
  return d ? { id: d.id!, activationId: d.activation_id!, channel: d.channel!, contactId: d.contact_id ?? null, workflowId: d.workflow_id! } : null;
};

export type CallRef = { id: string; lineId: string | null; contactId: string | null; direction: string; answeredAt: Date | null };

export const callByProviderId = async (q: Queryable, accountId: string, providerCallId: string): Promise<CallRef | null> => {
  const res = await q.query('SELECT id, line_id, contact_id, direction, answered_at FROM calls WHERE account_id = $1 AND provider_call_id = $2', [accountId, providerCallId]);
  const c = res.rows[0];
  return c ? { id: c.id, lineId: c.line_id, contactId: c.contact_id, direction: c.direction, answeredAt: c.answered_at } : null;
};

/** Calls of the account with the contact or from / to the number. */
export const countCallsWith = async (q: Queryable, accountId: string, contactId: string | null, number: string | null): Promise<number> => {
  const res = await q.query(
    'SELECT count(*)::int AS n FROM calls WHERE account_id = $1 AND (contact_id = $2 OR from_number = $3 OR to_number = $3)',
    [accountId, contactId, number],
  );
  return res.rows[0]?.n ?? 0;
};

export const eventLookupsRepo = { contactIdByNumber, contactIdBy, deliveryRef, callByProviderId, countCallsWith };
export type EventLookupsRepo = typeof eventLookupsRepo;
