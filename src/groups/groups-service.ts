import { mapPgError, withTransaction, type Db, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { CONTACT_SELECT, toContact } from '../contacts/contacts-service.js';
import type { Contact } from '../contacts/contact-types.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';

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

export type GroupsServiceDeps = { db: Db };

/** Groups of contacts: what workflow actions address. Names are unique per account (any case). */
export const createGroupsService = (deps: GroupsServiceDeps) => {
  const { db } = deps;

  const get = async (accountId: string, id: string, q: Queryable = db): Promise<Group> => {
    const res = await q.query(`${SELECT} FROM groups g WHERE g.account_id = $1 AND g.id = $2`, [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('group');
    return toGroup(res.rows[0]);
  };

  const list = async (accountId: string, q: PageQuery): Promise<Page<Group>> => {
    const params: unknown[] = [accountId];
    const res = await db.query(`${SELECT}, ${cursorColumn('g')} FROM groups g WHERE g.account_id = $1 ${pageClause(q, params, 'g')}`, params);
    return toPage(res.rows, q, toGroup);
  };

  const create = async (accountId: string, input: { name: string; description?: string }): Promise<Group> => {
    const res = await db
      .query('INSERT INTO groups (account_id, name, description) VALUES ($1, $2, $3) RETURNING id', [accountId, input.name, input.description ?? ''])
      .catch(nameTaken);
    return get(accountId, res.rows[0].id);
  };

  const update = async (accountId: string, id: string, patch: { name?: string; description?: string }): Promise<Group> => {
    const res = await db
      .query(
        'UPDATE groups SET name = COALESCE($3, name), description = COALESCE($4, description), updated_at = now() WHERE account_id = $1 AND id = $2 RETURNING id',
        [accountId, id, patch.name ?? null, patch.description ?? null],
      )
      .catch(nameTaken);
    if (!res.rows[0]) throw new NotFoundError('group');
    return get(accountId, id);
  };

  /** Refuses (409) while a workflow's current version addresses the group. */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      await get(accountId, id, tx);
      const used = await tx.query(
        `SELECT w.name FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
          WHERE w.account_id = $1 AND w.deleted_at IS NULL
            AND EXISTS (SELECT 1 FROM jsonb_array_elements(v.definition->'actions') a WHERE a->'groupIds' ? $2::text)`,
        [accountId, id],
      );
      if (used.rowCount) {
        const names = used.rows.map((r) => r.name as string);
        throw new ConflictError(`workflows address this group: ${names.join(', ')}`, 'group_in_use', { workflows: names });
      }
      await tx.query('DELETE FROM groups WHERE id = $1', [id]);
    });

  /** Adds contacts (idempotent). Every id must be a contact of the account, else 400 naming `contactIds.N`. */
  const addMembers = async (accountId: string, groupId: string, contactIds: string[]): Promise<{ added: number }> =>
    withTransaction(db, async (tx) => {
      await get(accountId, groupId, tx);
      const found = await tx.query('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, contactIds]);
      const known = new Set(found.rows.map((r) => r.id as string));
      const bad = contactIds.map((c, i) => [c, i] as const).filter(([c]) => !known.has(c));
      if (bad.length > 0) {
        throw new ValidationError(
          `no such contact: ${bad.map(([c]) => c).join(', ')}`,
          bad.map(([, i]) => ({ path: `contactIds.${i}`, message: 'no such contact in this account' })),
        );
      }
      const res = await tx.query(
        `INSERT INTO group_members (group_id, contact_id, account_id) SELECT $2, c, $1 FROM unnest($3::uuid[]) c ON CONFLICT DO NOTHING`,
        [accountId, groupId, contactIds],
      );
      await tx.query('UPDATE groups SET updated_at = now() WHERE id = $1', [groupId]);
      return { added: res.rowCount ?? 0 };
    });

  const removeMember = async (accountId: string, groupId: string, contactId: string): Promise<void> => {
    await get(accountId, groupId);
    const res = await db.query('DELETE FROM group_members WHERE account_id = $1 AND group_id = $2 AND contact_id = $3', [accountId, groupId, contactId]);
    if (!res.rowCount) throw new NotFoundError('group member');
  };

  /** Members as contacts, in contact order. */
  const listMembers = async (accountId: string, groupId: string, q: PageQuery): Promise<Page<Contact>> => {
    await get(accountId, groupId);
    const params: unknown[] = [accountId, groupId];
    const res = await db.query(
      `${CONTACT_SELECT}, ${cursorColumn('c')} FROM contacts c
        WHERE c.account_id = $1 AND EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $2 AND gm.contact_id = c.id)
        ${pageClause(q, params, 'c')}`,
      params,
    );
    return toPage(res.rows, q, toContact);
  };

  return { get, list, create, update, remove, addMembers, removeMember, listMembers };
};

export type GroupsService = ReturnType<typeof createGroupsService>;
