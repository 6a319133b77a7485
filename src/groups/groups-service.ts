import { withTransaction, type Db, type Queryable } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import type { ContactsRepo } from '../contacts/contacts-repo.js';
import type { Contact } from '../contacts/contact-types.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Group, GroupsRepo } from './groups-repo.js';

export type { Group } from './groups-repo.js';

export type GroupsServiceDeps = {
  db: Db;
  groups: Pick<GroupsRepo, 'findGroup' | 'listGroups' | 'insertGroup' | 'updateGroup' | 'workflowsUsingGroup' | 'deleteGroup'
    | 'insertMembers' | 'deleteMember' | 'listMembers'>;
  contacts: Pick<ContactsRepo, 'existingContactIds'>;
};

/** Groups of contacts: what workflow actions address. Names are unique per account (any case). */
export const createGroupsService = (deps: GroupsServiceDeps) => {
  const { db, groups: repo } = deps;

  const get = async (accountId: string, id: string, q: Queryable = db): Promise<Group> => {
    const group = await repo.findGroup(q, accountId, id);
    if (!group) throw new NotFoundError('group');
    return group;
  };

  const list = async (accountId: string, q: PageQuery): Promise<Page<Group>> => repo.listGroups(db, accountId, q);

  const create = async (accountId: string, input: { name: string; description?: string }): Promise<Group> =>
    get(accountId, (await repo.insertGroup(db, accountId, input)).id);

  const update = async (accountId: string, id: string, patch: { name?: string; description?: string }): Promise<Group> => {
    if (!(await repo.updateGroup(db, accountId, id, patch))) throw new NotFoundError('group');
    return get(accountId, id);
  };

  /** Refuses (409) while a workflow's current version addresses the group. */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      await get(accountId, id, tx);
      const names = await repo.workflowsUsingGroup(tx, accountId, id);
      if (names.length > 0) {
        throw new ConflictError(`workflows address this group: ${names.join(', ')}`, 'group_in_use', { workflows: names });
      }
      await repo.deleteGroup(tx, id);
    });

  /** Adds contacts (idempotent). Every id must be a contact of the account, else 400 naming `contactIds.N`. */
  const addMembers = async (accountId: string, groupId: string, contactIds: string[]): Promise<{ added: number }> =>
    withTransaction(db, async (tx) => {
      await get(accountId, groupId, tx);
      const known = await deps.contacts.existingContactIds(tx, accountId, contactIds);
      const bad = contactIds.map((c, i) => [c, i] as const).filter(([c]) => !known.has(c));
      if (bad.length > 0) {
        throw new ValidationError(
          `no such contact: ${bad.map(([c]) => c).join(', ')}`,
          bad.map(([, i]) => ({ path: `contactIds.${i}`, message: 'no such contact in this account' })),
        );
      }
      return { added: await repo.insertMembers(tx, accountId, groupId, contactIds) };
    });

  const removeMember = async (accountId: string, groupId: string, contactId: string): Promise<void> => {
    await get(accountId, groupId);
    if (!(await repo.deleteMember(db, accountId, groupId, contactId))) throw new NotFoundError('group member');
  };

  /** Members as contacts, in contact order. */
  const listMembers = async (accountId: string, groupId: string, q: PageQuery): Promise<Page<Contact>> => {
    await get(accountId, groupId);
    return repo.listMembers(db, accountId, groupId, q);
  };

  return { get, list, create, update, remove, addMembers, removeMember, listMembers };
};

export type GroupsService = ReturnType<typeof createGroupsService>;
