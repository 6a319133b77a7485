import type { Queryable } from '../db/db.js';
import { contactExists } from '../contacts/contacts-repo.js';
import { findSendingLine } from '../engine/sending-lines-repo.js';
import { toContactSnapshot, type ContactSnapshot } from './fields.js';

/** Statuses that end a contact's journey unless the account sets `settings.finalStatuses`. */
export const DEFAULT_FINAL_STATUSES = ['closed', 'converted', 'won', 'lost', 'do_not_contact'];

export type AccountInfo = { id: string; timezone: string; ownerEmails: string[]; finalStatuses: string[] };

/** What rules read of the account they run for. */
export const loadAccount = async (q: Queryable, accountId: string): Promise<AccountInfo | null> => {
  const res = await q.query('SELECT id, timezone, owner_emails, settings FROM accounts WHERE id = $1', [accountId]);
  const r = res.rows[0];
  if (!r) return null;
  const fs = Array.isArray(r.settings?.finalStatuses) ? (r.settings.finalStatuses as unknown[]).map(String) : DEFAULT_FINAL_STATUSES;
  return { id: r.id, timezone: r.timezone, ownerEmails: r.owner_emails ?? [], finalStatuses: fs };
};

/** The contact as conditions and templates see it; `forUpdate` locks the row. */
export const loadContact = async (q: Queryable, accountId: string, contactId: string, forUpdate = false): Promise<ContactSnapshot | null> => {
  const res = await q.query(`SELECT * FROM contacts WHERE account_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [accountId, contactId]);
  return res.rows[0] ? toContactSnapshot(res.rows[0]) : null;
};

/** Whether the contact is a member of one of the groups (`groups`) or contact lists (`lists`). */
export const isMemberOf = async (q: Queryable, kind: 'groups' | 'lists', contactId: string, ids: string[]): Promise<boolean> => {
  const table = kind === 'groups' ? 'group_members' : 'contact_list_members';
  const col = kind === 'groups' ? 'group_id' : 'list_id';
  const res = await q.query(`SELECT 1 FROM ${table} WHERE contact_id = $1 AND ${col} = ANY($2::uuid[]) LIMIT 1`, [contactId, ids]);
  return (res.rowCount ?? 0) > 0;
};

/** The workflow an activation of the account ran, or null (also for an id that is not a uuid). */
export const activationWorkflowId = async (q: Queryable, accountId: string, activationId: string): Promise<string | null> => {
  const res = await q.query('SELECT workflow_id FROM activations WHERE id = $1 AND account_id = $2', [activationId, accountId])
    .catch(() => ({ rows: [] as Array<Record<string, string>> }));
  return res.rows[0]?.workflow_id ?? null;
};

/** A call in progress with the contact (by id or by number); stale rows older than 6 hours are ignored. */
export const hasLiveCall = async (q: Queryable, contact: ContactSnapshot, now: Date): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM calls
      WHERE account_id = $1 AND ended_at IS NULL AND status IN ('queued', 'initiated', 'ringing', 'in-progress', 'answered')
        AND started_at > $4::timestamptz - interval '6 hours'
        AND (contact_id = $2 OR ($3::text IS NOT NULL AND (from_number = $3 OR to_number = $3)))
      LIMIT 1`,
    [contact.accountId, contact.id, contact.phone, now],
  );
  return (res.rowCount ?? 0) > 0;
};

/** Sets a contact column (`column` comes from the field catalog, never from input). */
export const setContactColumn = async (q: Queryable, contactId: string, column: string, value: unknown): Promise<void> => {
  await q.query(`UPDATE contacts SET ${column} = $2, updated_at = now() WHERE id = $1`, [contactId, value]);
};

/** Sets one custom field of a contact (stored as JSON). */
export const setContactCustomField = async (q: Queryable, contactId: string, key: string, value: unknown): Promise<void> => {
  await q.query(
    `UPDATE contacts SET custom_fields = jsonb_set(custom_fields, ARRAY[$2::text], $3::jsonb, true), updated_at = now() WHERE id = $1`,
    [contactId, key, JSON.stringify(value ?? null)],
  );
};

export const ruleContextRepo = {
  loadAccount, loadContact, contactExists, isMemberOf, activationWorkflowId, hasLiveCall, findSendingLine, setContactColumn, setContactCustomField,
};
export type RuleContextRepo = typeof ruleContextRepo;
