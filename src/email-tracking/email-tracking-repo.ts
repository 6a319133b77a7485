import type { Queryable } from '../db/db.js';

/** The e-mail delivery a tracking token names, with what its events carry. */
export type TrackedDelivery = {
  id: string;
  accountId: string;
  activationId: string;
  workflowId: string;
  actionId: string;
  contactId: string | null;
  address: string | null;
  meta: Record<string, unknown>;
  /** Seconds since the e-mail was handed to the SMTP server (null: not sent yet). */
  secondsSinceSent: number | null;
};

/** One delivery's tracking row (`email_tracking`). */
export type EmailTracking = {
  deliveryId: string;
  accountId: string;
  openCount: number;
  firstOpenedAt: Date | null;
  lastOpenedAt: Date | null;
  machineOpen: boolean | null;
  machineReason: string | null;
  clickCount: number;
  firstClickedAt: Date | null;
  lastClickedAt: Date | null;
  firstClickedUrl: string | null;
  openedEventId: string | null;
  clickedEventId: string | null;
};

type Row = Record<string, any>;
const toTracking = (r: Row): EmailTracking => ({
  deliveryId: r.delivery_id, accountId: r.account_id, openCount: r.open_count, firstOpenedAt: r.first_opened_at, lastOpenedAt: r.last_opened_at,
  machineOpen: r.machine_open, machineReason: r.machine_reason, clickCount: r.click_count, firstClickedAt: r.first_clicked_at,
  lastClickedAt: r.last_clicked_at, firstClickedUrl: r.first_clicked_url, openedEventId: r.opened_event_id, clickedEventId: r.clicked_event_id,
});

export const findTrackedDelivery = async (q: Queryable, deliveryId: string): Promise<TrackedDelivery | null> => {
  const res = await q.query(
    `SELECT d.id, d.account_id, d.activation_id, d.action_id, d.contact_id, d.address, d.meta, a.workflow_id,
            EXTRACT(EPOCH FROM now() - d.sent_at)::float8 AS since_sent
       FROM deliveries d JOIN activations a ON a.id = d.activation_id
      WHERE d.id = $1 AND d.channel = 'email'`,
    [deliveryId],
  );
  const r = res.rows[0];
  if (!r) return null;
  return {
    id: r.id, accountId: r.account_id, activationId: r.activation_id, workflowId: r.workflow_id, actionId: r.action_id,
    contactId: r.contact_id, address: r.address, meta: r.meta ?? {}, secondsSinceSent: r.since_sent === null ? null : Number(r.since_sent),
  };
};

/**
 * The delivery's tracking row, created when absent, locked for this transaction: concurrent
 * opens/clicks of one delivery (any process) take their turn, so exactly one sees it unopened.
 */
export const lockTracking = async (tx: Queryable, deliveryId: string, accountId: string): Promise<EmailTracking> => {
  await tx.query('INSERT INTO email_tracking (delivery_id, account_id) VALUES ($1, $2) ON CONFLICT (delivery_id) DO NOTHING', [deliveryId, accountId]);
  const res = await tx.query('SELECT * FROM email_tracking WHERE delivery_id = $1 FOR UPDATE', [deliveryId]);
  return toTracking(res.rows[0]);
};

/** Counts one pixel fetch (`counted`) or marks the delivery opened by a click (not counted). */
export const markOpened = async (
  tx: Queryable, deliveryId: string, o: { counted: boolean; machine: boolean; reason: string | null },
): Promise<EmailTracking> => {
  const res = await tx.query(
    `UPDATE email_tracking SET open_count = open_count + $2, first_opened_at = COALESCE(first_opened_at, now()),
            last_opened_at = CASE WHEN $2 > 0 THEN now() ELSE COALESCE(last_opened_at, now()) END,
            machine_open = COALESCE(machine_open, $3), machine_reason = CASE WHEN machine_open IS NULL THEN $4 ELSE machine_reason END
      WHERE delivery_id = $1 RETURNING *`,
    [deliveryId, o.counted ? 1 : 0, o.machine, o.reason],
  );
  return toTracking(res.rows[0]);
};

export const markClicked = async (tx: Queryable, deliveryId: string, url: string): Promise<EmailTracking> => {
  const res = await tx.query(
    `UPDATE email_tracking SET click_count = click_count + 1, first_clicked_at = COALESCE(first_clicked_at, now()),
            last_clicked_at = now(), first_clicked_url = COALESCE(first_clicked_url, $2)
      WHERE delivery_id = $1 RETURNING *`,
    [deliveryId, url],
  );
  return toTracking(res.rows[0]);
};

export const setEventIds = async (tx: Queryable, deliveryId: string, ids: { opened?: string; clicked?: string }): Promise<void> => {
  await tx.query(
    'UPDATE email_tracking SET opened_event_id = COALESCE(opened_event_id, $2), clicked_event_id = COALESCE(clicked_event_id, $3) WHERE delivery_id = $1',
    [deliveryId, ids.opened ?? null, ids.clicked ?? null],
  );
};

export const findTracking = async (q: Queryable, accountId: string, deliveryId: string): Promise<EmailTracking | null> => {
  const res = await q.query('SELECT * FROM email_tracking WHERE account_id = $1 AND delivery_id = $2', [accountId, deliveryId]);
  return res.rows[0] ? toTracking(res.rows[0]) : null;
};

/** Is this an e-mail delivery of the account? */
export const isEmailDeliveryOf = async (q: Queryable, accountId: string, deliveryId: string): Promise<boolean> => {
  const res = await q.query(`SELECT 1 FROM deliveries WHERE id = $1 AND account_id = $2 AND channel = 'email'`, [deliveryId, accountId]);
  return (res.rowCount ?? 0) > 0;
};

/** The account's settings (tracking switches are read at send time). */
export const accountSettings = async (q: Queryable, accountId: string): Promise<Record<string, unknown> | null> => {
  const res = await q.query('SELECT settings FROM accounts WHERE id = $1', [accountId]);
  return res.rows[0]?.settings ?? null;
};
