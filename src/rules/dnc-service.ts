import { withTransaction, type Db, type Queryable } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ContactChangeHook } from '../events/contact-events.js';

/** One number on the account's do-not-contact list. */
export type DncEntry = { phone: string; source: 'api' | 'rule'; ruleId: string | null; contactId: string | null; createdAt: Date };

const toEntry = (r: Record<string, any>): DncEntry => ({ phone: r.phone, source: r.source, ruleId: r.rule_id, contactId: r.contact_id, createdAt: r.created_at });
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * True when the number must not be called or texted: it is on the account's DNC list, or it
 * belongs to a contact flagged `do_not_contact`. Rule actions check it when they build a send;
 * the delivery worker refuses every listed number on every send path right before sending
 * (src/delivery/contact-refusals.ts, one query per batch).
 */
export const isDoNotContact = async (q: Queryable, accountId: string, phone: string): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM dnc_numbers WHERE account_id = $1 AND phone = $2
     UNION ALL SELECT 1 FROM contacts WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) AND do_not_contact
     LIMIT 1`,
    [accountId, phone],
  );
  return (res.rowCount ?? 0) > 0;
};

/** The do-not-contact list: numbers, and the contacts flag kept in step with it. */
export const createDncService = (deps: { db: Db; onContactChanged: ContactChangeHook }) => {
  const list = async (accountId: string, f: { before?: string; limit: number }): Promise<DncEntry[]> => {
    const res = await deps.db.query(
      `SELECT * FROM dnc_numbers WHERE account_id = $1 AND ($2::text IS NULL OR phone > $2) ORDER BY phone LIMIT $3`,
      [accountId, f.before ?? null, f.limit],
    );
    return res.rows.map(toEntry);
  };

  /** Adds a number (idempotent) and flags the contact that has it. */
  const add = async (accountId: string, phone: string): Promise<{ entry: DncEntry; created: boolean }> => {
    if (!E164.test(phone)) throw ValidationError.field('phone', 'must be an E.164 number such as +15551234567');
    return withTransaction(deps.db, async (tx) => {
      const contact = await tx.query(
        'SELECT id, do_not_contact FROM contacts WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) ORDER BY created_at LIMIT 1 FOR UPDATE',
        [accountId, phone],
      );
      const c = contact.rows[0];
      const ins = await tx.query(
        `INSERT INTO dnc_numbers (account_id, phone, source, contact_id) VALUES ($1, $2, 'api', $3) ON CONFLICT DO NOTHING RETURNING *`,
        [accountId, phone, c?.id ?? null],
      );
      if (c && !c.do_not_contact) {
        await tx.query('UPDATE contacts SET do_not_contact = true, updated_at = now() WHERE id = $1', [c.id]);
        await deps.onContactChanged(tx, { accountId, contactId: c.id, before: { doNotContact: false }, after: { doNotContact: true } });
      }
      if (ins.rows[0]) return { entry: toEntry(ins.rows[0]), created: true };
      const existing = await tx.query('SELECT * FROM dnc_numbers WHERE account_id = $1 AND phone = $2', [accountId, phone]);
      return { entry: toEntry(existing.rows[0]), created: false };
    });
  };

  /** Removes a number; the contact's flag is cleared once none of its numbers is listed. */
  const remove = async (accountId: string, phone: string): Promise<DncEntry> =>
    withTransaction(deps.db, async (tx) => {
      const del = await tx.query('DELETE FROM dnc_numbers WHERE account_id = $1 AND phone = $2 RETURNING *', [accountId, phone]);
      if (!del.rows[0]) throw new NotFoundError('do-not-contact number');
      const res = await tx.query(
        `UPDATE contacts c SET do_not_contact = false, updated_at = now()
          WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) AND do_not_contact
            AND NOT EXISTS (SELECT 1 FROM dnc_numbers d WHERE d.account_id = $1 AND d.phone IN (c.phone, c.pager_number))
          RETURNING id`,
        [accountId, phone],
      );
      for (const r of res.rows) {
        await deps.onContactChanged(tx, { accountId, contactId: r.id, before: { doNotContact: true }, after: { doNotContact: false } });
      }
      return toEntry(del.rows[0]);
    });

  return { list, add, remove, isDoNotContact: (accountId: string, phone: string) => isDoNotContact(deps.db, accountId, phone) };
};
export type DncService = ReturnType<typeof createDncService>;
