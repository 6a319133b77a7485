import type { Queryable } from '../db/db.js';

/** A stored account notification (GET /v1/account/notifications). */
export type AccountNotificationRow = {
  id: string; kind: string; title: string; body: string; data: Record<string, unknown>; emailedAt: Date | null; readAt: Date | null; createdAt: Date;
};

/** Stores a notification; returns its id and the account's owner e-mail addresses (to send it to). */
export const insertNotification = async (
  q: Queryable, n: { accountId: string; kind: string; title: string; body: string; data: Record<string, unknown> },
): Promise<{ id: string; owners: string[] }> => {
  const res = await q.query(
    `INSERT INTO account_notifications (account_id, kind, title, body, data) VALUES ($1,$2,$3,$4,$5)
     RETURNING id, (SELECT owner_emails FROM accounts WHERE id = $1) AS owners`,
    [n.accountId, n.kind, n.title, n.body, JSON.stringify(n.data)],
  );
  return { id: res.rows[0].id, owners: res.rows[0].owners ?? [] };
};

export const markNotificationEmailed = async (q: Queryable, id: string): Promise<void> => {
  await q.query('UPDATE account_notifications SET emailed_at = now() WHERE id = $1', [id]);
};

/** The newest notifications first. */
export const listNotifications = async (q: Queryable, accountId: string, limit: number): Promise<AccountNotificationRow[]> => {
  const res = await q.query(
    'SELECT id, kind, title, body, data, emailed_at, read_at, created_at FROM account_notifications WHERE account_id = $1 ORDER BY created_at DESC LIMIT $2',
    [accountId, limit],
  );
  return res.rows.map((r) => ({ id: r.id, kind: r.kind, title: r.title, body: r.body, data: r.data, emailedAt: r.emailed_at, readAt: r.read_at, createdAt: r.created_at }));
};

export const notificationsRepo = { insertNotification, markNotificationEmailed, listNotifications };
export type NotificationsRepo = typeof notificationsRepo;
