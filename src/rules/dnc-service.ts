import { withTransaction, type Db } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ContactChangeHook } from '../events/contact-events.js';
import type { DncEntry, DncRepo } from './dnc-repo.js';

const E164 = /^\+[1-9]\d{6,14}$/;

export type DncServiceDeps = {
  db: Db;
  dnc: Pick<DncRepo,
    'isDoNotContact' | 'listDnc' | 'findDnc' | 'lockContactByNumber' | 'insertDnc' | 'deleteDnc' | 'flagContactDoNotContact' | 'unflagUnlistedContacts'>;
  onContactChanged: ContactChangeHook;
};

/** The do-not-contact list: numbers, and the contacts flag kept in step with it. */
export const createDncService = (deps: DncServiceDeps) => {
  const { db, dnc } = deps;
  const list = (accountId: string, f: { before?: string; limit: number }): Promise<DncEntry[]> => dnc.listDnc(db, accountId, f);

  /** Adds a number (idempotent) and flags the contact that has it. */
  const add = async (accountId: string, phone: string): Promise<{ entry: DncEntry; created: boolean }> => {
    if (!E164.test(phone)) throw ValidationError.field('phone', 'must be an E.164 number such as +15551234567');
    return withTransaction(db, async (tx) => {
      const c = await dnc.lockContactByNumber(tx, accountId, phone);
      const created = await dnc.insertDnc(tx, { accountId, phone, source: 'api', contactId: c?.id ?? null });
      if (c && !c.doNotContact) {
        await dnc.flagContactDoNotContact(tx, c.id);
        await deps.onContactChanged(tx, { accountId, contactId: c.id, before: { doNotContact: false }, after: { doNotContact: true } });
      }
      if (created) return { entry: created, created: true };
      return { entry: (await dnc.findDnc(tx, accountId, phone))!, created: false };
    });
  };

  /** Removes a number; the contact's flag is cleared once none of its numbers is listed. */
  const remove = async (accountId: string, phone: string): Promise<DncEntry> =>
    withTransaction(db, async (tx) => {
      const entry = await dnc.deleteDnc(tx, accountId, phone);
      if (!entry) throw new NotFoundError('do-not-contact number');
      for (const contactId of await dnc.unflagUnlistedContacts(tx, accountId, phone)) {
        await deps.onContactChanged(tx, { accountId, contactId, before: { doNotContact: true }, after: { doNotContact: false } });
      }
      return entry;
    });

  return { list, add, remove, isDoNotContact: (accountId: string, phone: string) => dnc.isDoNotContact(db, accountId, phone) };
};
export type DncService = ReturnType<typeof createDncService>;
