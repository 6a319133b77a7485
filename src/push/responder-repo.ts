/** SQL of the responder view: the alerts sent to one contact. */
import type { Queryable } from '../db/db.js';

export type AlertRow = {
  deliveryId: string; activationId: string; actionId: string; workflowName: string; channel: string; status: string;
  payload: Record<string, unknown>; createdAt: Date;
  poll: { id: string; question: string; options: string[]; closesAt: Date; myAnswer: number | null } | null;
};

const toAlert = (r: Record<string, any>): AlertRow => ({
  deliveryId: r.id, activationId: r.activation_id, actionId: r.action_id, workflowName: r.workflow_name, channel: r.channel,
  status: r.status, payload: r.payload ?? {}, createdAt: r.created_at,
  poll: r.poll_id ? { id: r.poll_id, question: r.question, options: r.options, closesAt: r.closes_at, myAnswer: r.my_answer ?? null } : null,
});

// One alert per notification action: the push when it went out, else the text, call or e-mail.
const ALERTS = `
  SELECT * FROM (
    SELECT DISTINCT ON (d.activation_id, d.action_id)
           d.id, d.activation_id, d.action_id, d.channel, d.status, d.payload, d.created_at, w.name AS workflow_name,
           p.id AS poll_id, p.question, p.options, p.closes_at, pa.option AS my_answer
      FROM deliveries d
      JOIN activations a ON a.id = d.activation_id
      JOIN workflows w ON w.id = a.workflow_id
      LEFT JOIN polls p ON p.activation_id = d.activation_id AND p.action_id = d.action_id
      LEFT JOIN poll_answers pa ON pa.poll_id = p.id AND pa.contact_id = d.contact_id
     WHERE d.account_id = $1 AND d.contact_id = $2 AND d.channel IN ('push', 'sms', 'voice', 'email')
       AND d.status NOT IN ('skipped', 'pending', 'sending', 'failed') AND ($3::uuid IS NULL OR d.id = $3)
     ORDER BY d.activation_id, d.action_id, (d.channel = 'push') DESC, d.created_at
  ) x ORDER BY created_at DESC, id LIMIT $4`;

/** The latest alerts that reached this contact (newest first). */
export const alertsOf = async (q: Queryable, accountId: string, contactId: string, limit: number): Promise<AlertRow[]> =>
  (await q.query(ALERTS, [accountId, contactId, null, limit])).rows.map(toAlert);

/** One alert of this contact by delivery id (null: not theirs, or not sent). */
export const alertOf = async (q: Queryable, accountId: string, contactId: string, deliveryId: string): Promise<AlertRow | null> => {
  const rows = (await q.query(ALERTS, [accountId, contactId, deliveryId, 1])).rows;
  return rows[0] ? toAlert(rows[0]) : null;
};
