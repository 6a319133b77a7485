import type { Queryable } from '../db/db.js';
import type { SequenceContact } from './conditions.js';

/** What the sequence worker reads and writes around a batch, besides enrollments themselves. */

/** The contacts of a batch, as conditions and sends see them. */
export const loadRunContacts = async (q: Queryable, ids: string[]): Promise<Map<string, SequenceContact>> => {
  const res = await q.query(
    `SELECT id, name, phone, email, timezone, on_duty, status, do_not_contact, opted_out_channels, custom_fields FROM contacts WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(res.rows.map((r) => [r.id, {
    id: r.id, name: r.name, phone: r.phone, email: r.email, timezone: r.timezone, onDuty: r.on_duty, status: r.status,
    doNotContact: r.do_not_contact, optedOutChannels: r.opted_out_channels ?? [], customFields: r.custom_fields ?? {},
  }]));
};

/** Time zone and settings of each account (quiet hours). */
export const loadRunAccounts = async (q: Queryable, ids: string[]): Promise<Map<string, { timezone: string; settings: Record<string, unknown> | null }>> => {
  const res = await q.query('SELECT id, timezone, settings FROM accounts WHERE id = ANY($1::uuid[])', [ids]);
  return new Map(res.rows.map((r) => [r.id as string, { timezone: r.timezone as string, settings: r.settings }]));
};

/** Voice deliveries of these enrollments whose callee pressed the key (`acknowledged`), with the step that sent them. */
export const acknowledgedCalls = async (
  q: Queryable, contactIds: string[], enrollmentIds: string[],
): Promise<Array<{ deliveryId: string; enrollmentId: string; stepId: string }>> => {
  const res = await q.query(
    `SELECT id, contact_id, meta->>'enrollmentId' AS enrollment_id, meta->>'stepId' AS step_id FROM deliveries
      WHERE contact_id = ANY($1::uuid[]) AND channel = 'voice' AND status = 'acknowledged' AND meta->>'enrollmentId' = ANY($2::text[])`,
    [contactIds, enrollmentIds],
  );
  return res.rows.map((r) => ({ deliveryId: r.id, enrollmentId: r.enrollment_id, stepId: r.step_id }));
};

type ContactStatusFields = { status: string; customFields: Record<string, unknown> };

/**
 * An `update_contact` step: locks the contact, sets the status (when given) and merges the custom
 * fields; the values before and after, or null when the contact is gone.
 */
export const updateContactForStep = async (
  q: Queryable, contactId: string, update: { status?: string | null; fields?: Record<string, unknown> },
): Promise<{ before: ContactStatusFields; after: ContactStatusFields } | null> => {
  const before = await q.query('SELECT status, custom_fields FROM contacts WHERE id = $1 FOR UPDATE', [contactId]);
  const res = await q.query(
    `UPDATE contacts SET status = COALESCE($2, status), custom_fields = custom_fields || $3::jsonb, updated_at = now()
      WHERE id = $1 RETURNING status, custom_fields`,
    [contactId, update.status ?? null, JSON.stringify(update.fields ?? {})],
  );
  const [b, a] = [before.rows[0], res.rows[0]];
  if (!b || !a) return null;
  return { before: { status: b.status, customFields: b.custom_fields }, after: { status: a.status, customFields: a.custom_fields } };
};

export const sequenceRunRepo = {
  loadRunContacts, loadRunAccounts, acknowledgedCalls, updateContactForStep };
export type SequenceRunRepo = typeof sequenceRunRepo;
