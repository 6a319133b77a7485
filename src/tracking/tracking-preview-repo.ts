import type { Queryable } from '../db/db.js';

export type PreviewContext = {
  timezone: string;
  line: { id: string; name: string; phoneNumber: string; settings: Record<string, unknown> } | null;
};

/**
 * The account's time zone and the line a preview stands for: `lineId` when given (null when it is
 * not the account's), else the account's first tracking line, else none.
 */
export const loadPreviewContext = async (q: Queryable, accountId: string, lineId?: string): Promise<PreviewContext | null> => {
  const r = await q.query(
    `SELECT a.timezone, l.id AS line_id, l.name, l.phone_number, l.settings
       FROM accounts a
       LEFT JOIN LATERAL (SELECT * FROM lines WHERE account_id = a.id AND ($2::uuid IS NULL OR id = $2)
                          ORDER BY (mode = 'tracking') DESC, created_at, id LIMIT 1) l ON true
      WHERE a.id = $1`,
    [accountId, lineId ?? null],
  );
  const x = r.rows[0];
  if (!x) return null;
  if (lineId && !x.line_id) return { timezone: x.timezone, line: null };
  return { timezone: x.timezone, line: x.line_id ? { id: x.line_id, name: x.name, phoneNumber: x.phone_number, settings: x.settings ?? {} } : null };
};

export const trackingPreviewRepo = { loadPreviewContext };
export type TrackingPreviewRepo = typeof trackingPreviewRepo;
