import { mapPgError, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { CONTACT_SELECT, toContact } from '../contacts/contacts-repo.js';
import type { Contact } from '../contacts/contact-types.js';
import { ConflictError } from '../errors.js';

export type Group = { id: string; name: string; description: string; memberCount: number; createdAt: Date; updatedAt: Date };

const SELECT = `SELECT g.*, (SELECT count(*) FROM group_members m WHERE m.group_id = g.id) AS member_count`;
const toGroup = (r: Record<string, any>): Group => ({
  id: r.id, name: r.name, description: r.description, memberCount: r.member_count ?? 0, createdAt: r.created_at, updatedAt: r.updated_at,
});

const nameTaken = (err: unknown): never => {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'groups_name_uniq') {
    throw new ConflictError('name: a group with this name exists', 'conflict', [{ path: 'name', message: 'a group with this name exists' }]);
  }
  return mapPgError(err);
};

export const findGroup = async (q: Queryable, accountId: string, id: string): Promise<Group | null> => {
  const res = await q.query(`${SELECT} FROM groups g WHERE g.account_id = $1 AND g.id = $2`, [accountId, id]);
  return res.rows[0] ? toGroup(res.rows[0]) : null;
};

export const listGroups = async (q: Queryable, accountId: string, page: PageQuery): Promise<Page<Group>> => {
  const params: unknown[] = [accountId];
  const res = await q.query(`${SELECT}, ${cursorColumn('g')} FROM groups g WHERE g.account_id = $1 ${pageClause(page, params, 'g')}`, params);
  return toPage(res.rows, page, toGroup);
};

/** 409 naming `name` when the account has a group of that name (any case). */
export const insertGroup = async (q: Queryable, accountId: string, input: { name: string; description?: string }): Promise<{ id: string }> => {
  const res = await q
    .query('INSERT INTO groups (account_id, name, description) VALUES ($1, $2, $3) RETURNING id', [accountId, input.name, input.description ?? ''])
    .catch(nameTaken);
  return { id: res.rows[0].id };
};

/** Sets the given fields; false when no such group. 409 naming `name` on a taken name. */
export const updateGroup = async (q: Queryable, accountId: string, id: string, patch: { name?: string; description?: string }): Promise<boolean> => {
  const res = await q
    .query(
      'UPDATE groups SET name = COALESCE($3, name), description = COALESCE($4, description), updated_at = now() WHERE account_id = $1 AND id = $2 RETURNING id',
      [accountId, id, patch.name ?? null, patch.description ?? null],
    )
    .catch(nameTaken);
  return res.rows.length > 0;
};

/** Names of the live workflows whose current version addresses the group. */
export const workflowsUsingGroup = async (q: Queryable, accountId: string, groupId: string): Promise<string[]> => {
  const res = await q.query(
    `SELECT w.name FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
      WHERE w.account_id = $1 AND w.deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(v.definition->'actions') a WHERE a->'groupIds' ? $2::text)`,
    [accountId, groupId],
  );
  return res.rows.map((r) => r.name as string);
};

export const deleteGroup = async (q: Queryable, id: string): Promise<void> => {
  await q.query('DELETE FROM groups WHERE id = $1', [id]);
};

/** Adds the contacts (already present ones are left); touches the group. Returns how many were added. */
export const insertMembers = async (q: Queryable, accountId: string, groupId: string, contactIds: string[]): Promise<number> => {
  const res = await q.query(
    'INSERT INTO group_members (group_id, contact_id, account_id) SELECT $2, c, $1 FROM unnest($3::uuid[]) c ON CONFLICT DO NOTHING',
    [accountId, groupId, contactIds],
  );
  await q.query('UPDATE groups SET updated_at = now() WHERE id = $1', [groupId]);
  return res.rowCount ?? 0;
};

export const deleteMember = async (q: Queryable, accountId: string, groupId: string, contactId: string): Promise<boolean> => {
  const res = await q.query('DELETE FROM group_members WHERE account_id = $1 AND group_id = $2 AND contact_id = $3', [accountId, groupId, contactId]);
  return (res.rowCount ?? 0) > 0;
};

/** Members as contacts, in contact order. */
export const listMembers = async (q: Queryable, accountId: string, groupId: string, page: PageQuery): Promise<Page<Contact>> => {
  const params: unknown[] = [accountId, groupId];
  const res = await q.query(
    `${CONTACT_SELECT}, ${cursorColumn('c')} FROM contacts c
      WHERE c.account_id = $1 AND EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $2 AND gm.contact_id = c.id)
      ${pageClause(page, params, 'c')}`,
    params,
  );
  return toPage(res.rows, page, toContact);
};

export const groupsRepo = { findGroup, listGroups, insertGroup, updateGroup, workflowsUsingGroup, deleteGroup, insertMembers, deleteMember, listMembers };
export type GroupsRepo = typeof groupsRepo;
