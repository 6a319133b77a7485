/**
 * What the `simulator` provider "sent" from an account's lines (the simulator_outbox table,
 * scoped through the sending line's number), newest first.
 */
import type { Queryable } from '../db/db.js';

export type SimulatedItem = {
  id: number;
  providerId: string;
  kind: 'sms' | 'call';
  from: string;
  to: string;
  body: string | null;
  mediaUrls: string[];
  twimlUrl: string | null;
  sendDigits: string | null;
  status: string;
  createdAt: Date;
};

export type SimulatorOutboxQuery = { to?: string; kind?: 'sms' | 'call'; limit: number; beforeId?: number };

export const listSimulatorOutbox = async (q: Queryable, accountId: string, f: SimulatorOutboxQuery): Promise<SimulatedItem[]> => {
  const r = await q.query(
    `SELECT o.* FROM simulator_outbox o
       JOIN lines l ON l.phone_number = o.from_number AND l.account_id = $1
      WHERE ($2::text IS NULL OR o.to_number = $2) AND ($3::text IS NULL OR o.kind = $3) AND ($4::bigint IS NULL OR o.id < $4)
      ORDER BY o.id DESC LIMIT $5`,
    [accountId, f.to ?? null, f.kind ?? null, f.beforeId ?? null, f.limit],
  );
  return r.rows.map((x) => ({
    id: Number(x.id), providerId: x.provider_id, kind: x.kind, from: x.from_number, to: x.to_number, body: x.body,
    mediaUrls: x.media_urls ?? [], twimlUrl: x.twiml_url, sendDigits: x.send_digits, status: x.status, createdAt: x.created_at,
  }));
};

export const createSimulatorOutbox = (deps: { db: Queryable }) => ({
  list: (accountId: string, f: SimulatorOutboxQuery) => listSimulatorOutbox(deps.db, accountId, f),
});
export type SimulatorOutbox = ReturnType<typeof createSimulatorOutbox>;
