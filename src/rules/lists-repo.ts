import { mapPgError, type Queryable } from '../db/db.js';

/** A named list of contacts (rule scope "lists", action "move to list"). */
export type ContactList = { id: string; name: string; description: string; memberCount: number; createdAt: Date };

const toList = (r: Record<string, any>): ContactList => ({ id: r.id, name: r.name, description: r.description, memberCount: r.member_count ?? 0, createdAt: r.created_at });
const names = { contact_lists_name_uniq: 'a list with this name already exists' };
const SELECT = `SELECT l.*, (SELECT count(*)::int FROM contact_list_members m WHERE m.list_id = l.id) AS member_count FROM contact_lists l`;

export const listLists = async (q: Queryable, accountId: string): Promise<ContactList[]> => {
  const res = await q.query(`${SELECT} WHERE l.account_id = $1 ORDER BY lower(l.name)`, [accountId]);
  return res.rows.map(toList);
};

export const findList = async (q: Queryable, accountId: string, id: string): Promise<ContactList | null> => {
  const res = await q.query(`${SELECT} WHERE l.account_id = $1 AND l.id = $2`, [accountId, id]);
  return res.rows[0] ? toList(res.rows[0]) : null;
};

/** A duplicate name is a `ConflictError`. */
export const insertList = async (q: Queryable, accountId: string, input: { name: string; description?: string }): Promise<ContactList> => {
  const res = await q.query('INSERT INTO contact_lists (account_id, name, description) VALUES ($1, $2, $3) RETURNING *', [
    accountId, input.name, input.description ?? '',
  ]).catch((err) => mapPgError(err, names));
  return toList(res.rows[0]);
};

export const deleteList = async (q: Queryable, accountId: string, id: string): Promise<ContactList | null> => {
  const res = await q.query('DELETE FROM contact_lists WHERE account_id = $1 AND id = $2 RETURNING *', [accountId, id]);
  return res.rows[0] ? toList(res.rows[0]) : null;
};

/** Which of `contactIds` are contacts of the account. */
export const existingContactIds = async (q: Queryable, accountId: string, contactIds: string[]): Promise<Set<string>> => {
  const res = await q.query('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, contactIds]);
  return new Set(res.rows.map((r) => r.id as string));
};

/** Adds members (idempotent); how many were new. */
export const insertMembers = async (q: Queryable, accountId: string, listId: string, contactIds: string[]): Promise<number> => {
  const res = await q.query(
    `INSERT INTO contact_list_members (list_id, contact_id, account_id) SELECT $1, c, $2 FROM unnest($3::uuid[]) AS c ON CONFLICT DO NOTHING`,
    [listId, accountId, contactIds],
  );
  return res.rowCount ?? 0;
};

/** Adds the contact to the list if the list is the account's (idempotent); whether it was new. */
export const addMemberIfListExists = async (q: Queryable, accountId: string, listId: string, contactId: string): Promise<boolean> => {
  const res = await q.query(
    `INSERT INTO contact_list_members (list_id, contact_id, account_id) SELECT $1, $2, $3
      WHERE EXISTS (SELECT 1 FROM contact_lists WHERE id = $1 AND account_id = $3) ON CONFLICT DO NOTHING RETURNING list_id`,
    [listId, contactId, accountId],
  );
  return (res.rowCount ?? 0) > 0;
};

export const deleteMember = async (q: Queryable, accountId: string, listId: string, contactId: string): Promise<boolean> => {
  const res = await q.query('DELETE FROM contact_list_members WHERE account_id = $1 AND list_id = $2 AND contact_id = $3', [accountId, listId, contactId]);
  return (res.rowCount ?? 0) > 0;
};

/** Removes the contact from every list but `keepListId`; the lists it left. */
export const removeFromOtherLists = async (q: Queryable, contactId: string, keepListId: string): Promise<string[]> => {
  const res = await q.query('DELETE FROM contact_list_members WHERE contact_id = $1 AND list_id <> $2 RETURNING list_id', [contactId, keepListId]);
  return res.rows.map((r) => r.list_id as string);
};

/** The first 10,000 members, oldest first. */
export const listMembers = async (q: Queryable, listId: string): Promise<Array<{ contactId: string; addedAt: Date }>> => {
  const res = await q.query('SELECT contact_id, added_at FROM contact_list_members WHERE list_id = $1 ORDER BY added_at, contact_id LIMIT 10000', [listId]);
  return res.rows.map((r) => ({ contactId: r.contact_id, addedAt: r.added_at }));
};

export const listsRepo = {
  listLists, findList, insertList, deleteList, existingContactIds, insertMembers, addMemberIfListExists, deleteMember, removeFromOtherLists, listMembers,
};
export type ListsRepo = typeof listsRepo;
