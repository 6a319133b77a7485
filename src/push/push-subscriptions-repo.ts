/**
 * SQL of Web Push: devices (push_subscriptions) and the dashboard user <-> contact link
 * (users.contact_id). Every statement is scoped by account.
 */
import { mapPgError, type Queryable } from '../db/db.js';
import type { WebPushSubscription } from './push-port.js';

/** A device as the responder sees it (never its keys). */
export type PushDevice = { id: string; device: string; pushService: string; createdAt: Date; lastUsedAt: Date | null };

export type NewSubscription = {
  accountId: string; contactId: string; userId: string | null; endpoint: string; p256dh: string; auth: string; device: string;
};

const toDevice = (r: Record<string, any>): PushDevice => ({
  id: r.id, device: r.device, pushService: new URL(r.endpoint).host, createdAt: r.created_at, lastUsedAt: r.last_used_at ?? null,
});

/**
 * Stores a device, or moves an endpoint already stored (the same browser re-subscribing, or a
 * phone now signed in as someone else) to this contact with the new keys.
 */
export const upsertSubscription = async (q: Queryable, s: NewSubscription): Promise<PushDevice> => {
  const res = await q.query(
    `INSERT INTO push_subscriptions (account_id, contact_id, user_id, endpoint, p256dh, auth, device)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (endpoint) DO UPDATE SET account_id = EXCLUDED.account_id, contact_id = EXCLUDED.contact_id,
       user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, device = EXCLUDED.device
     RETURNING id, device, endpoint, created_at, last_used_at`,
    [s.accountId, s.contactId, s.userId, s.endpoint, s.p256dh, s.auth, s.device],
  ).catch((err: unknown) => mapPgError(err));
  return toDevice(res.rows[0]);
};

export const devicesOf = async (q: Queryable, accountId: string, contactId: string): Promise<PushDevice[]> => {
  const res = await q.query(
    `SELECT id, device, endpoint, created_at, last_used_at FROM push_subscriptions WHERE account_id = $1 AND contact_id = $2 ORDER BY created_at, id`,
    [accountId, contactId],
  );
  return res.rows.map(toDevice);
};

/** The subscriptions a push to this contact goes to (with their keys). */
export const subscriptionsOf = async (q: Queryable, accountId: string, contactId: string): Promise<WebPushSubscription[]> => {
  const res = await q.query(
    `SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE account_id = $1 AND contact_id = $2 ORDER BY created_at, id`,
    [accountId, contactId],
  );
  return res.rows.map((r) => ({ id: r.id, endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth }));
};

/** Deletes one device of this contact; false when there is none with that id. */
export const deleteDevice = async (q: Queryable, accountId: string, contactId: string, id: string): Promise<boolean> => {
  const res = await q.query('DELETE FROM push_subscriptions WHERE id = $1 AND account_id = $2 AND contact_id = $3', [id, accountId, contactId]);
  return (res.rowCount ?? 0) > 0;
};

/** The push service said the subscription is gone (404/410): forget it. */
export const deleteGone = async (q: Queryable, ids: string[]): Promise<void> => {
  if (ids.length) await q.query('DELETE FROM push_subscriptions WHERE id = ANY($1::uuid[])', [ids]);
};

export const markUsed = async (q: Queryable, ids: string[]): Promise<void> => {
  if (ids.length) await q.query('UPDATE push_subscriptions SET last_used_at = now() WHERE id = ANY($1::uuid[])', [ids]);
};

export type LinkedContact = { contactId: string; name: string };

/** The contact a dashboard user is (null: not linked). */
export const linkedContact = async (q: Queryable, accountId: string, userId: string): Promise<LinkedContact | null> => {
  const res = await q.query(
    `SELECT c.id, c.name FROM users u JOIN contacts c ON c.id = u.contact_id AND c.account_id = u.account_id
      WHERE u.id = $1 AND u.account_id = $2`,
    [userId, accountId],
  );
  return res.rows[0] ? { contactId: res.rows[0].id, name: res.rows[0].name } : null;
};

/**
 * Links a user to a contact of the same account (null unlinks). Returns false when the user or
 * the contact is not in this account; a contact already linked to another user is a ConflictError.
 */
export const setLinkedContact = async (q: Queryable, accountId: string, userId: string, contactId: string | null): Promise<'ok' | 'no_user' | 'no_contact'> => {
  if (contactId) {
    const c = await q.query('SELECT 1 FROM contacts WHERE id = $1 AND account_id = $2', [contactId, accountId]);
    if (!c.rows[0]) return 'no_contact';
  }
  const res = await q.query('UPDATE users SET contact_id = $3 WHERE id = $1 AND account_id = $2', [userId, accountId, contactId])
    .catch((err: unknown) => mapPgError(err, { users_contact_uniq: 'this contact is already linked to another user' }));
  return (res.rowCount ?? 0) > 0 ? 'ok' : 'no_user';
};
