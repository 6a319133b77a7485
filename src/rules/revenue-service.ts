import type { Db } from '../db/db.js';
import { ValidationError } from '../errors.js';
import type { RevenueEntry, RevenueFilter, RevenueRepo, RevenueTotal } from './revenue-repo.js';

export type RevenueQuery = RevenueFilter & { limit: number; cursor?: string };
export type RevenuePage = { data: RevenueEntry[]; totals: RevenueTotal[]; nextCursor: string | null };

const encode = (e: RevenueEntry) => Buffer.from(JSON.stringify({ t: e.createdAt.toISOString(), id: e.id })).toString('base64url');
const decode = (c: string): { createdAt: Date; id: string } => {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (typeof v.t === 'string' && !Number.isNaN(Date.parse(v.t)) && typeof v.id === 'string' && /^[0-9a-f-]{36}$/i.test(v.id)) {
      return { createdAt: new Date(v.t), id: v.id };
    }
  } catch { /* fall through */ }
  throw ValidationError.field('cursor', 'is not a cursor returned by this list');
};

export type RevenueServiceDeps = { db: Db; revenue: Pick<RevenueRepo, 'listRevenue' | 'revenueTotals'> };

/**
 * Read side of rule `log_revenue` entries: a filtered, paginated list (newest first) and totals
 * per currency over everything the filter matches. Scoped by account; bad filters are a 400
 * naming the field (`to` before `from`, a cursor this list did not return).
 */
export const createRevenueService = (deps: RevenueServiceDeps) => {
  const list = async (accountId: string, q: RevenueQuery): Promise<RevenuePage> => {
    if (q.from && q.to && q.to.getTime() < q.from.getTime()) throw ValidationError.field('to', 'must not be before from');
    const after = q.cursor ? decode(q.cursor) : undefined;
    const filter: RevenueFilter = { contactId: q.contactId, ruleId: q.ruleId, from: q.from, to: q.to };
    const [rows, totals] = await Promise.all([
      deps.revenue.listRevenue(deps.db, accountId, filter, q.limit + 1, after),
      deps.revenue.revenueTotals(deps.db, accountId, filter),
    ]);
    const data = rows.slice(0, q.limit);
    return { data, totals, nextCursor: rows.length > q.limit ? encode(data[data.length - 1]!) : null };
  };
  return { list };
};
export type RevenueService = ReturnType<typeof createRevenueService>;
