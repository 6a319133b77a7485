import type { Queryable } from '../db/db.js';

/** One amount a rule's `log_revenue` action recorded for a contact. */
export type RevenueEntry = {
  id: string;
  accountId: string;
  contactId: string | null;
  ruleId: string | null;
  amount: number;
  currency: string;
  note: string;
  createdAt: Date;
};

/** Sum and count of the matching entries in one currency. */
export type RevenueTotal = { currency: string; sum: number; count: number };

/** `from` inclusive, `to` exclusive; `after` is the last row of the previous page (newest first). */
export type RevenueFilter = { contactId?: string; ruleId?: string; from?: Date; to?: Date };
export type RevenuePageKey = { createdAt: Date; id: string };

const toEntry = (r: Record<string, any>): RevenueEntry => ({
  id: r.id, accountId: r.account_id, contactId: r.contact_id, ruleId: r.rule_id, amount: Number(r.amount),
  currency: r.currency, note: r.note, createdAt: r.created_at,
});

const whereOf = (accountId: string, f: RevenueFilter) => {
  const where = ['account_id = $1'];
  const args: unknown[] = [accountId];
  const add = (sql: string, v: unknown) => { args.push(v); where.push(sql.replaceAll('?', `$${args.length}`)); };
  if (f.contactId) add('contact_id = ?', f.contactId);
  if (f.ruleId) add('rule_id = ?', f.ruleId);
  if (f.from) add('created_at >= ?', f.from);
  if (f.to) add('created_at < ?', f.to);
  return { where, args, add };
};

/** Up to `limit` entries, newest first (ties by id), after `after` when given. */
export const listRevenue = async (q: Queryable, accountId: string, f: RevenueFilter, limit: number, after?: RevenuePageKey): Promise<RevenueEntry[]> => {
  const { where, args, add } = whereOf(accountId, f);
  if (after) {
    args.push(after.createdAt);
    add(`(created_at, id) < ($${args.length}::timestamptz, ?::uuid)`, after.id);
  }
  args.push(limit);
  const res = await q.query(
    `SELECT * FROM revenue_entries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`,
    args,
  );
  return res.rows.map(toEntry);
};

/** Totals per currency over every entry the filter matches (all pages), by currency code. */
export const revenueTotals = async (q: Queryable, accountId: string, f: RevenueFilter): Promise<RevenueTotal[]> => {
  const { where, args } = whereOf(accountId, f);
  const res = await q.query(
    `SELECT currency, sum(amount) AS sum, count(*)::int AS count FROM revenue_entries
      WHERE ${where.join(' AND ')} GROUP BY currency ORDER BY currency`,
    args,
  );
  return res.rows.map((r) => ({ currency: r.currency, sum: Number(r.sum), count: r.count }));
};

/** Records what a `log_revenue` action logged; once per pending action (a re-run adds nothing). */
export const insertRevenueEntry = async (
  q: Queryable, e: { accountId: string; contactId: string; ruleId: string; pendingId: string; amount: number; currency: string; note: string },
): Promise<void> => {
  await q.query(
    `INSERT INTO revenue_entries (account_id, contact_id, rule_id, pending_id, amount, currency, note) VALUES ($1,$2,$3,$4,$5,$6,$7)
     ON CONFLICT (pending_id) DO NOTHING`,
    [e.accountId, e.contactId, e.ruleId, e.pendingId, e.amount, e.currency, e.note],
  );
};

export const revenueRepo = { listRevenue, revenueTotals, insertRevenueEntry };
export type RevenueRepo = typeof revenueRepo;
