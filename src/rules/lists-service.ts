import type { Db } from '../db/db.js';
import { mapPgError } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';

/** A named list of contacts (rule scope "lists", action "move to list"). */
export type ContactList = { id: string; name: string; description: string; memberCount: number; createdAt: Date };

const toList = (r: Record<string, any>): ContactList => ({ id: r.id, name: r.name, description: r.description, memberCount: r.member_count ?? 0, createdAt: r.created_at });
const names = { contact_lists_name_uniq: 'a list with this name already exists' };

export const createListsService = (deps: { db: Db }) => {
  const list = async (accountId: string): Promise<ContactList[]> => {
    const res = await deps.db.query(
      `SELECT l.*, (SELECT count(*)::int FROM contact_list_members m WHERE m.list_id = l.id) AS member_count
         FROM contact_lists l WHERE l.account_id = $1 ORDER BY lower(l.name)`,
      [accountId],
    );
    return res.rows.map(toList);
  };

  const get = async (accountId: string, id: string): Promise<ContactList> => {
    const res = await deps.db.query(
      `SELECT l.*, (SELECT count(*)::int FROM contact_list_members m WHERE m.list_id = l.id) AS member_count
         FROM contact_lists l WHERE l.account_id = $1 AND l.id = $2`,
      [accountId, id],
    );
    if (!res.rows[0]) throw new NotFoundError('list');
    return toList(res.rows[0]);
  };

  const create = async (accountId: string, input: { name: string; description?: string }): Promise<ContactList> => {
    const res = await deps.db.query('INSERT INTO contact_lists (account_id, name, description) VALUES ($1, $2, $3) RETURNING *', [
      accountId, input.name, input.description ?? '',
    ]).catch((err) => mapPgError(err, names));
    return toList(res.rows[0]);
  };

  const remove = async (accountId: string, id: string): Promise<ContactList> => {
    const res = await deps.db.query('DELETE FROM contact_lists WHERE account_id = $1 AND id = $2 RETURNING *', [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('list');
    return toList(res.rows[0]);
  };

  /** Adds contacts (idempotent); every id must be a contact of the account, else nothing is added. */
  const addMembers = async (accountId: string, id: string, contactIds: string[]): Promise<{ added: number }> => {
    await get(accountId, id);
    const found = await deps.db.query('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, contactIds]);
    const ok = new Set(found.rows.map((r) => r.id as string));
    const bad = contactIds.map((c, i) => [c, i] as const).filter(([c]) => !ok.has(c));
    if (bad.length > 0) throw new ValidationError('unknown contacts', bad.map(([, i]) => ({ path: `contactIds.${i}`, message: 'no such contact in this account' })));
    const res = await deps.db.query(
      `INSERT INTO contact_list_members (list_id, contact_id, account_id) SELECT $1, c, $2 FROM unnest($3::uuid[]) AS c ON CONFLICT DO NOTHING`,
      [id, accountId, contactIds],
    );
    return { added: res.rowCount ?? 0 };
  };

  const removeMember = async (accountId: string, id: string, contactId: string): Promise<void> => {
    const res = await deps.db.query('DELETE FROM contact_list_members WHERE account_id = $1 AND list_id = $2 AND contact_id = $3', [accountId, id, contactId]);
    if (!res.rowCount) throw new NotFoundError('list member');
  };

  const members = async (accountId: string, id: string): Promise<Array<{ contactId: string; addedAt: Date }>> => {
    await get(accountId, id);
    const res = await deps.db.query('SELECT contact_id, added_at FROM contact_list_members WHERE list_id = $1 ORDER BY added_at, contact_id LIMIT 10000', [id]);
    return res.rows.map((r) => ({ contactId: r.contact_id, addedAt: r.added_at }));
  };

  return { list, get, create, remove, addMembers, removeMember, members };
};
export type ListsService = ReturnType<typeof createListsService>;
