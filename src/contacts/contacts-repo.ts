import { mapPgError, type Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { ConflictError } from '../errors.js';
import type { Contact, ContactPatch } from './contact-types.js';
import { refreshContactStatistics, writeImport } from './contacts-import-repo.js';

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

/** The patch's keys that name a column and carry a value. */
export const patchKeys = (patch: ContactPatch): Array<keyof ContactPatch> =>
  (Object.keys(patch) as Array<keyof ContactPatch>).filter((k) => COLUMNS[k] && patch[k] !== undefined);

export const findContact = async (q: Queryable, accountId: string, id: string): Promise<Contact | null> => {
  const res = await q.query(`${CONTACT_SELECT} FROM contacts c WHERE c.account_id = $1 AND c.id = $2`, [accountId, id]);
  return res.rows[0] ? toContact(res.rows[0]) : null;
};

/** `q` matches name, e-mail or phone (substring); `groupId` keeps members of one group. */
export const listContacts = async (q: Queryable, accountId: string, query: PageQuery & { q?: string; groupId?: string }): Promise<Page<Contact>> => {
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
  const res = await q.query(`${CONTACT_SELECT}, ${cursorColumn('c')} FROM contacts c WHERE ${where} ${pageClause(query, params, 'c')}`, params);
  return toPage(res.rows, query, toContact);
};

/** A new contact; fields left out take the column defaults. 409 on a phone another contact has. */
export const insertContact = async (q: Queryable, accountId: string, input: ContactPatch): Promise<{ id: string }> => {
  const keys = (Object.keys(COLUMNS) as Array<keyof ContactPatch>).filter((k) => input[k] !== undefined || DEFAULTS[k] !== undefined);
  const values = keys.map((k) => dbValue(k, input[k] ?? DEFAULTS[k]));
  const res = await q
    .query(
      `INSERT INTO contacts (account_id, ${keys.map((k) => COLUMNS[k]).join(', ')})
       VALUES ($1, ${keys.map((_, i) => `$${i + 2}`).join(', ')}) RETURNING id`,
      [accountId, ...values],
    )
    .catch(phoneTaken);
  return { id: res.rows[0].id };
};

/** The contact row locked for an update (without its groups), or null. */
export const lockContact = async (q: Queryable, accountId: string, id: string): Promise<Contact | null> => {
  const res = await q.query('SELECT * FROM contacts WHERE account_id = $1 AND id = $2 FOR UPDATE', [accountId, id]);
  return res.rows[0] ? toContact(res.rows[0]) : null;
};

/** Sets the patch's fields (see `patchKeys`); null when no such contact. 409 on a taken phone. */
export const updateContact = async (q: Queryable, accountId: string, id: string, patch: ContactPatch): Promise<Contact | null> => {
  const keys = patchKeys(patch);
  const res = await q
    .query(
      `UPDATE contacts SET ${keys.map((k, i) => `${COLUMNS[k]} = $${i + 3}`).join(', ')}, updated_at = now()
        WHERE account_id = $1 AND id = $2 RETURNING *`,
      [accountId, id, ...keys.map((k) => dbValue(k, patch[k] ?? DEFAULTS[k]))],
    )
    .catch(phoneTaken);
  return res.rows[0] ? toContact(res.rows[0]) : null;
};

export const deleteContact = async (q: Queryable, accountId: string, id: string): Promise<boolean> => {
  const res = await q.query('DELETE FROM contacts WHERE account_id = $1 AND id = $2', [accountId, id]);
  return (res.rowCount ?? 0) > 0;
};

/** Of `ids`, those that are contacts of the account. */
export const existingContactIds = async (q: Queryable, accountId: string, ids: string[]): Promise<Set<string>> => {
  const res = await q.query('SELECT id FROM contacts WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, ids]);
  return new Set(res.rows.map((r) => r.id as string));
};

/** Whether the contact exists in the account (another account's contact does not). */
export const contactExists = async (q: Queryable, accountId: string, contactId: string): Promise<boolean> => {
  const res = await q.query('SELECT 1 FROM contacts WHERE account_id = $1 AND id = $2', [accountId, contactId]);
  return (res.rowCount ?? 0) > 0;
};

export const contactsRepo = { findContact, listContacts, insertContact, lockContact, updateContact, deleteContact, existingContactIds, contactExists, writeImport, refreshContactStatistics };
export type ContactsRepo = typeof contactsRepo;
