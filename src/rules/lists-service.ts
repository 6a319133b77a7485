import type { Db } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ContactList, ListsRepo } from './lists-repo.js';

export type ListsServiceDeps = {
  db: Db;
  lists: Pick<ListsRepo,
    'listLists' | 'findList' | 'insertList' | 'deleteList' | 'existingContactIds' | 'insertMembers' | 'deleteMember' | 'listMembers'>;
};

export const createListsService = (deps: ListsServiceDeps) => {
  const { db, lists } = deps;
  const list = (accountId: string): Promise<ContactList[]> => lists.listLists(db, accountId);

  const get = async (accountId: string, id: string): Promise<ContactList> => {
    const found = await lists.findList(db, accountId, id);
    if (!found) throw new NotFoundError('list');
    return found;
  };

  const create = (accountId: string, input: { name: string; description?: string }): Promise<ContactList> => lists.insertList(db, accountId, input);

  const remove = async (accountId: string, id: string): Promise<ContactList> => {
    const removed = await lists.deleteList(db, accountId, id);
    if (!removed) throw new NotFoundError('list');
    return removed;
  };

  /** Adds contacts (idempotent); every id must be a contact of the account, else nothing is added. */
  const addMembers = async (accountId: string, id: string, contactIds: string[]): Promise<{ added: number }> => {
    await get(accountId, id);
    const ok = await lists.existingContactIds(db, accountId, contactIds);
    const bad = contactIds.map((c, i) => [c, i] as const).filter(([c]) => !ok.has(c));
    if (bad.length > 0) throw new ValidationError('unknown contacts', bad.map(([, i]) => ({ path: `contactIds.${i}`, message: 'no such contact in this account' })));
    return { added: await lists.insertMembers(db, accountId, id, contactIds) };
  };

  const removeMember = async (accountId: string, id: string, contactId: string): Promise<void> => {
    if (!(await lists.deleteMember(db, accountId, id, contactId))) throw new NotFoundError('list member');
  };

  const members = async (accountId: string, id: string): Promise<Array<{ contactId: string; addedAt: Date }>> => {
    await get(accountId, id);
    return lists.listMembers(db, id);
  };

  return { list, get, create, remove, addMembers, removeMember, members };
};
export type ListsService = ReturnType<typeof createListsService>;
