import { withTransaction, type Db, type Queryable } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import { NotFoundError } from '../errors.js';
import type { ContactChangeHook, ContactChangesHook } from '../events/contact-events.js';
import type { Contact, ContactInput, ContactPatch } from './contact-types.js';
import { ANALYZE_AFTER_ROWS, type ImportOptions, type ImportResult } from './contacts-import-repo.js';
import { patchKeys, type ContactsRepo } from './contacts-repo.js';
import type { ParsedImport } from './contacts-import.js';

export type ContactListQuery = PageQuery & { q?: string; groupId?: string };
export type ContactsServiceDeps = {
  db: Db;
  contacts: Pick<ContactsRepo, 'findContact' | 'listContacts' | 'insertContact' | 'lockContact' | 'updateContact' | 'deleteContact' | 'writeImport' | 'refreshContactStatistics'>;
  /** Told of every update inside its transaction (raises contact.status_changed / contact.field_changed events). */
  onChange?: ContactChangeHook;
  /** The same for a bulk import: all changes of a chunk at once (batched events). */
  onChanges?: ContactChangesHook;
};

/** Contacts of an account: people (and pagers, inboxes) that workflows reach. */
export const createContactsService = (deps: ContactsServiceDeps) => {
  const { db, contacts: repo } = deps;

  const get = async (accountId: string, id: string, q: Queryable = db): Promise<Contact> => {
    const contact = await repo.findContact(q, accountId, id);
    if (!contact) throw new NotFoundError('contact');
    return contact;
  };

  /** `q` matches name, e-mail or phone (substring); `groupId` keeps members of one group. */
  const list = async (accountId: string, query: ContactListQuery): Promise<Page<Contact>> => repo.listContacts(db, accountId, query);

  const create = async (accountId: string, input: ContactInput): Promise<Contact> => get(accountId, (await repo.insertContact(db, accountId, input)).id);

  const update = async (accountId: string, id: string, patch: ContactPatch): Promise<Contact> => {
    if (patchKeys(patch).length === 0) return get(accountId, id);
    const found = await withTransaction(db, async (tx) => {
      const before = deps.onChange ? await repo.lockContact(tx, accountId, id) : null;
      const after = await repo.updateContact(tx, accountId, id, patch);
      if (!after) return false;
      if (deps.onChange && before) await deps.onChange(tx, { accountId, contactId: id, before, after });
      return true;
    });
    if (!found) throw new NotFoundError('contact');
    return get(accountId, id);
  };

  const remove = async (accountId: string, id: string): Promise<void> => {
    if (!(await repo.deleteContact(db, accountId, id))) throw new NotFoundError('contact');
  };

  /**
   * Bulk import (see contacts-import.ts for parsing). All-or-nothing unless `partial`: with any
   * bad row nothing is written. Upserts on phone within the account; blank cells and absent
   * JSON keys leave stored values as they are; custom fields are merged. Existing contacts whose
   * status or fields changed raise the same events as an API update (unless `events: false`),
   * committed with the import; the event outbox sweeper queues them in batches.
   */
  const importContacts = async (accountId: string, parsed: ParsedImport, opts: ImportOptions): Promise<ImportResult> => {
    const result = await withTransaction(db, (tx) => repo.writeImport(tx, accountId, parsed, opts, deps.onChanges));
    // A large import makes the planner's row estimates stale: the next group expansion or
    // audience count would pick a row-by-row join (see refreshContactStatistics).
    if (result.created + result.updated >= ANALYZE_AFTER_ROWS) await repo.refreshContactStatistics(db);
    return result;
  };

  return { get, list, create, update, remove, importContacts };
};

export type ContactsService = ReturnType<typeof createContactsService>;
