import type { Queryable } from '../db/db.js';

/** Who an enrollment request names, resolved to contact ids (all scoped by account). */

/** Members of the group, or null when the account has no such group. */
export const groupMemberIds = async (q: Queryable, accountId: string, groupId: string): Promise<string[] | null> => {
  const g = await q.query('SELECT 1 FROM groups WHERE account_id = $1 AND id = $2', [accountId, groupId]);
  if (!g.rows[0]) return null;
  const res = await q.query('SELECT contact_id FROM group_members WHERE account_id = $1 AND group_id = $2 ORDER BY added_at, contact_id', [accountId, groupId]);
  return res.rows.map((r) => r.contact_id as string);
};

/** Members of the contact list, or null when the account has no such list. */
export const listMemberIds = async (q: Queryable, accountId: string, listId: string): Promise<string[] | null> => {
  const l = await q.query('SELECT 1 FROM contact_lists WHERE account_id = $1 AND id = $2', [accountId, listId]);
  if (!l.rows[0]) return null;
  const res = await q.query('SELECT contact_id FROM contact_list_members WHERE account_id = $1 AND list_id = $2 ORDER BY added_at, contact_id', [accountId, listId]);
  return res.rows.map((r) => r.contact_id as string);
};

/** Contact id by E.164 phone (the oldest contact when several share a number). */
export const contactIdsByPhone = async (q: Queryable, accountId: string, phones: string[]): Promise<Map<string, string>> => {
  if (phones.length === 0) return new Map();
  const res = await q.query(
    'SELECT DISTINCT ON (phone) phone, id FROM contacts WHERE account_id = $1 AND phone = ANY($2::text[]) ORDER BY phone, created_at, id',
    [accountId, phones],
  );
  return new Map(res.rows.map((r) => [r.phone as string, r.id as string]));
};

/** The ids among `ids` that are this account's contacts. */
export const existingContactIds = async (q: Queryable, accountId: string, ids: string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const res = await q.query('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, ids]);
  return new Set(res.rows.map((r) => r.id as string));
};

/** A contact of the account by id, by phone, or by e-mail (case-insensitive, the oldest). */
export const findContactId = async (q: Queryable, accountId: string, by: { contactId?: string; phone?: string; email?: string }): Promise<string | null> => {
  const res = by.contactId
    ? await q.query('SELECT id FROM contacts WHERE account_id = $1 AND id = $2', [accountId, by.contactId])
    : by.phone
      ? await q.query('SELECT id FROM contacts WHERE account_id = $1 AND phone = $2', [accountId, by.phone])
      : await q.query('SELECT id FROM contacts WHERE account_id = $1 AND lower(email) = lower($2) ORDER BY created_at LIMIT 1', [accountId, by.email ?? '']);
  return res.rows[0]?.id ?? null;
};

export const enrollmentTargetsRepo = { groupMemberIds, listMemberIds, contactIdsByPhone, existingContactIds, findContactId };
export type EnrollmentTargetsRepo = typeof enrollmentTargetsRepo;
