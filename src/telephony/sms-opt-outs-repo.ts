import type { Queryable } from '../db/db.js';

/**
 * SMS opt-outs: `sms_opt_outs (account_id, phone)` is the authority (it also covers numbers that
 * are not contacts); a contact with the number gets 'sms' in `opted_out_channels` too.
 */

export const isSmsOptedOut = async (q: Queryable, accountId: string, phone: string): Promise<boolean> => {
  const r = await q.query('SELECT 1 FROM sms_opt_outs WHERE account_id = $1 AND phone = $2', [accountId, phone]);
  return (r.rowCount ?? 0) > 0;
};

/** Opts the number out (idempotent), and its contacts. */
export const optOutSms = async (q: Queryable, accountId: string, phone: string, keyword: string, lineId: string | null): Promise<void> => {
  await q.query(
    `INSERT INTO sms_opt_outs (account_id, phone, keyword, line_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id, phone) DO NOTHING`,
    [accountId, phone, keyword, lineId],
  );
  await q.query(
    `UPDATE contacts SET opted_out_channels = array_append(opted_out_channels, 'sms'), updated_at = now()
      WHERE account_id = $1 AND phone = $2 AND NOT ('sms' = ANY(opted_out_channels))`,
    [accountId, phone],
  );
};

/** Opts the number back in (idempotent), and its contacts. */
export const optInSms = async (q: Queryable, accountId: string, phone: string): Promise<void> => {
  await q.query('DELETE FROM sms_opt_outs WHERE account_id = $1 AND phone = $2', [accountId, phone]);
  await q.query(
    `UPDATE contacts SET opted_out_channels = array_remove(opted_out_channels, 'sms'), updated_at = now()
      WHERE account_id = $1 AND phone = $2 AND 'sms' = ANY(opted_out_channels)`,
    [accountId, phone],
  );
};

/** The account's answer to HELP / INFO ('' when none is set). */
export const accountHelpText = async (q: Queryable, accountId: string): Promise<string> => {
  const r = await q.query('SELECT help_text FROM accounts WHERE id = $1', [accountId]);
  return String(r.rows[0]?.help_text ?? '');
};

export const smsOptOutsRepo = { isSmsOptedOut, optOutSms, optInSms, accountHelpText };
export type SmsOptOutsRepo = typeof smsOptOutsRepo;
