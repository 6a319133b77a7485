import type { Queryable } from '../db/db.js';
import { findSendingLine } from '../engine/sending-lines-repo.js';

/** What post-call workflows read about a call's account, line, caller and owners. */

/** The account's time zone, the called line and the caller's contact (by id, else by number). */
export const callContext = async (
  q: Queryable, c: { accountId: string; lineId: string | null; contactId: string | null; caller: string },
): Promise<{ timezone: string | null; line: { id: string; name: string; number: string } | null; contact: { id: string; name: string } | null }> => {
  const r = await q.query(
    `SELECT a.timezone, l.id AS line_id, l.name AS line_name, l.phone_number, k.id AS contact_id, k.name AS contact_name
       FROM accounts a LEFT JOIN lines l ON l.id = $2 AND l.account_id = a.id
       LEFT JOIN contacts k ON k.account_id = a.id AND (k.id = $3 OR ($3::uuid IS NULL AND k.phone = $4))
      WHERE a.id = $1 LIMIT 1`,
    [c.accountId, c.lineId, c.contactId, c.caller],
  );
  const x = r.rows[0];
  if (!x) return { timezone: null, line: null, contact: null };
  return {
    timezone: x.timezone ?? null,
    line: x.line_id ? { id: x.line_id, name: x.line_name, number: x.phone_number } : null,
    contact: x.contact_id ? { id: x.contact_id, name: x.contact_name } : null,
  };
};

/** Whether a contact with the number is flagged do-not-contact, or opted out of SMS. */
export const callerSmsFlags = async (q: Queryable, accountId: string, phone: string): Promise<{ doNotContact: boolean; optedOutSms: boolean }> => {
  const c = await q.query('SELECT opted_out_channels, do_not_contact FROM contacts WHERE account_id = $1 AND phone = $2', [accountId, phone]);
  return {
    doNotContact: c.rows.some((r) => r.do_not_contact),
    optedOutSms: c.rows.some((r) => (r.opted_out_channels ?? []).includes('sms')),
  };
};

/** The account's owner e-mail addresses, each once. */
export const ownerEmails = async (q: Queryable, accountId: string): Promise<string[]> => {
  const r = await q.query('SELECT owner_emails FROM accounts WHERE id = $1', [accountId]);
  return [...new Set<string>(r.rows[0]?.owner_emails ?? [])];
};

export const callDetailsRepo = { callContext, callerSmsFlags, findSendingLine, ownerEmails };
export type CallDetailsRepo = typeof callDetailsRepo;
