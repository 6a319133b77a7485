import type { Queryable } from '../db/db.js';

/** One number on the account's do-not-contact list. */
export type DncEntry = { phone: string; source: 'api' | 'rule'; ruleId: string | null; contactId: string | null; createdAt: Date };

const toEntry = (r: Record<string, any>): DncEntry => ({ phone: r.phone, source: r.source, ruleId: r.rule_id, contactId: r.contact_id, createdAt: r.created_at });

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

/** A page of the list, by phone ascending, after `before` (exclusive). */
export const listDnc = async (q: Queryable, accountId: string, f: { before?: string; limit: number }): Promise<DncEntry[]> => {
  const res = await q.query(
    `SELECT * FROM dnc_numbers WHERE account_id = $1 AND ($2::text IS NULL OR phone > $2) ORDER BY phone LIMIT $3`,
    [accountId, f.before ?? null, f.limit],
  );
  return res.rows.map(toEntry);
};

export const findDnc = async (q: Queryable, accountId: string, phone: string): Promise<DncEntry | null> => {
  const res = await q.query('SELECT * FROM dnc_numbers WHERE account_id = $1 AND phone = $2', [accountId, phone]);
  return res.rows[0] ? toEntry(res.rows[0]) : null;
};

/** The oldest contact having the number (phone or pager), locked; for flagging it. */
export const lockContactByNumber = async (q: Queryable, accountId: string, phone: string): Promise<{ id: string; doNotContact: boolean } | null> => {
  const res = await q.query(
    'SELECT id, do_not_contact FROM contacts WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) ORDER BY created_at LIMIT 1 FOR UPDATE',
    [accountId, phone],
  );
  return res.rows[0] ? { id: res.rows[0].id, doNotContact: res.rows[0].do_not_contact } : null;
};

/** Lists a number (idempotent): the new entry, or null when it was already listed. */
export const insertDnc = async (
  q: Queryable, e: { accountId: string; phone: string; source: 'api' | 'rule'; ruleId?: string | null; contactId: string | null },
): Promise<DncEntry | null> => {
  const res = await q.query(
    `INSERT INTO dnc_numbers (account_id, phone, source, rule_id, contact_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING *`,
    [e.accountId, e.phone, e.source, e.ruleId ?? null, e.contactId],
  );
  return res.rows[0] ? toEntry(res.rows[0]) : null;
};

export const deleteDnc = async (q: Queryable, accountId: string, phone: string): Promise<DncEntry | null> => {
  const res = await q.query('DELETE FROM dnc_numbers WHERE account_id = $1 AND phone = $2 RETURNING *', [accountId, phone]);
  return res.rows[0] ? toEntry(res.rows[0]) : null;
};

export const flagContactDoNotContact = async (q: Queryable, contactId: string): Promise<void> => {
  await q.query('UPDATE contacts SET do_not_contact = true, updated_at = now() WHERE id = $1', [contactId]);
};

/** Clears the flag of the contacts having `phone` once none of their numbers is listed; their ids. */
export const unflagUnlistedContacts = async (q: Queryable, accountId: string, phone: string): Promise<string[]> => {
  const res = await q.query(
    `UPDATE contacts c SET do_not_contact = false, updated_at = now()
      WHERE account_id = $1 AND (phone = $2 OR pager_number = $2) AND do_not_contact
        AND NOT EXISTS (SELECT 1 FROM dnc_numbers d WHERE d.account_id = $1 AND d.phone IN (c.phone, c.pager_number))
      RETURNING id`,
    [accountId, phone],
  );
  return res.rows.map((r) => r.id as string);
};

export const dncRepo = { isDoNotContact, listDnc, findDnc, lockContactByNumber, insertDnc, deleteDnc, flagContactDoNotContact, unflagUnlistedContacts };
export type DncRepo = typeof dncRepo;
