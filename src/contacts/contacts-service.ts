import { mapPgError, withTransaction, type Db, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { ContactChangeHook, ContactChangesHook } from '../events/contact-events.js';
import type { Contact, ContactInput, ContactPatch } from './contact-types.js';
import { writeImport, type ImportOptions, type ImportResult } from './contacts-import-repo.js';
import type { ParsedImport } from './contacts-import.js';

export const CONTACT_SELECT = `SELECT c.*, ARRAY(SELECT gm.group_id FROM group_members gm WHERE gm.contact_id = c.id ORDER BY gm.added_at, gm.group_id) AS group_ids`;

export const toContact = (r: Record<string, any>): Contact => ({
  id: r.id, name: r.name, phone: r.phone, email: r.email, pagerNumber: r.pager_number, pushToken: r.push_token,
  timezone: r.timezone, onDuty: r.on_duty, optedOutChannels: r.opted_out_channels, doNotContact: r.do_not_contact,
  status: r.status, customFields: r.custom_fields, groupIds: r.group_ids ?? [], createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Column for each patchable field. */
const COLUMNS: Record<keyof ContactPatch, string> = {
  name: 'name', phone: 'phone', email: 'email', pagerNumber: 'pager_number', pushToken: 'push_token', timezone: 'timezone',
  onDuty: 'on_duty', optedOutChannels: 'opted_out_channels', doNotContact: 'do_not_contact', status: 'status', customFields: 'custom_fields',
};
const DEFAULTS: Partial<Record<keyof ContactPatch, unknown>> = { onDuty: true, optedOutChannels: [], doNotContact: false, status: 'active', customFields: {} };

const phoneTaken = (err: unknown): never => {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'contacts_phone_uniq') {
    throw new ConflictError('phone: another contact of this account has this number', 'conflict', [{ path: 'phone', message: 'another contact has this number' }]);
  }
  return mapPgError(err);
};

const dbValue = (key: keyof ContactPatch, v: unknown) => (key === 'customFields' ? JSON.stringify(v) : v ?? null);

export type ContactListQuery = PageQuery & { q?: string; groupId?: string };
export type ContactsServiceDeps = {
  db: Db;
  /** Told of every update inside its transaction (raises contact.status_changed / contact.field_changed events). */
  onChange?: ContactChangeHook;
  /** The same for a bulk import: all changes of a chunk at once (batched events). */
  onChanges?: ContactChangesHook;
};

/** Contacts of an account: people (and pagers, inboxes) that workflows reach. */
export const createContactsService = (deps: ContactsServiceDeps) => {
  const { db } = deps;

  const get = async (accountId: string, id: string, q: Queryable = db): Promise<Contact> => {
    const res = await q.query(`${CONTACT_SELECT} FROM contacts c WHERE c.account_id = $1 AND c.id = $2`, [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('contact');
    return toContact(res.rows[0]);
  };

  /** `q` matches name, e-mail or phone (substring); `groupId` keeps members of one group. */
  const list = async (accountId: string, query: ContactListQuery): Promise<Page<Contact>> => {
    const params: unknown[] = [accountId];
    let where = 'c.account_id = $1';
    if (query.q) {
      params.push(`%${query.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      where += ` AND (c.name ILIKE $${params.length} OR c.email ILIKE $${params.length} OR c.phone LIKE $${params.length})`;
    }
    if (query.groupId) {
      params.push(query.groupId);
      where += ` AND EXISTS (SELECT 1 FROM group_members gm WHERE gm.contact_id = c.id AND gm.group_id = $${params.length})`;
    }
    const res = await db.query(`${CONTACT_SELECT}, ${cursorColumn('c')} FROM contacts c WHERE ${where} ${pageClause(query, params, 'c')}`, params);
    return toPage(res.rows, query, toContact);
  };

  const create = async (accountId: string, input: ContactInput): Promise<Contact> => {
    const keys = (Object.keys(COLUMNS) as Array<keyof ContactPatch>).filter((k) => input[k] !== undefined || DEFAULTS[k] !== undefined);
    const values = keys.map((k) => dbValue(k, input[k] ?? DEFAULTS[k]));
    const res = await db
      .query(
        `INSERT INTO contacts (account_id, ${keys.map((k) => COLUMNS[k]).join(', ')})
         VALUES ($1, ${keys.map((_, i) => `$${i + 2}`).join(', ')}) RETURNING id`,
        [accountId, ...values],
      )
      .catch(phoneTaken);
    return get(accountId, res.rows[0].id);
  };

  const update = async (accountId: string, id: string, patch: ContactPatch): Promise<Contact> => {
    const keys = (Object.keys(patch) as Array<keyof ContactPatch>).filter((k) => COLUMNS[k] && patch[k] !== undefined);
    if (keys.length === 0) return get(accountId, id);
    const found = await withTransaction(db, async (tx) => {
      const before = deps.onChange ? await tx.query('SELECT * FROM contacts WHERE account_id = $1 AND id = $2 FOR UPDATE', [accountId, id]) : null;
      const res = await tx
        .query(
          `UPDATE contacts SET ${keys.map((k, i) => `${COLUMNS[k]} = $${i + 3}`).join(', ')}, updated_at = now()
            WHERE account_id = $1 AND id = $2 RETURNING *`,
          [accountId, id, ...keys.map((k) => dbValue(k, patch[k] ?? DEFAULTS[k]))],
        )
        .catch(phoneTaken);
      if (!res.rows[0]) return false;
      if (deps.onChange && before?.rows[0]) {
        await deps.onChange(tx, { accountId, contactId: id, before: toContact(before.rows[0]), after: toContact(res.rows[0]) });
      }
      return true;
    });
    if (!found) throw new NotFoundError('contact');
    return get(accountId, id);
  };

  const remove = async (accountId: string, id: string): Promise<void> => {
    const res = await db.query('DELETE FROM contacts WHERE account_id = $1 AND id = $2', [accountId, id]);
    if (!res.rowCount) throw new NotFoundError('contact');
  };

  /**
   * Bulk import (see contacts-import.ts for parsing). All-or-nothing unless `partial`: with any
   * bad row nothing is written. Upserts on phone within the account; blank cells and absent
   * JSON keys leave stored values as they are; custom fields are merged. Existing contacts whose
   * status or fields changed raise the same events as an API update (unless `events: false`),
   * committed with the import; the event outbox sweeper queues them in batches.
   */
  const importContacts = async (accountId: string, parsed: ParsedImport, opts: ImportOptions): Promise<ImportResult> =>
    withTransaction(db, (tx) => writeImport(tx, accountId, parsed, opts, deps.onChanges));

  return { get, list, create, update, remove, importContacts };
};

export type ContactsService = ReturnType<typeof createContactsService>;
