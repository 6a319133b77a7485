/**
 * The simulator_outbox table: what the `simulator` telephony provider "sent" (written by
 * adapters/telephony/simulator-provider.ts, listed by `GET /v1/simulator/outbox`).
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

/** What the account's lines sent (scoped through the sending line's number), newest first. */
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

/** Stores a "sent" text (status `sent`). */
export const insertSimulatedSms = async (
  q: Queryable, m: { providerId: string; from: string; to: string; body: string; mediaUrls: string[]; statusCallbackUrl: string | null },
): Promise<void> => {
  await q.query(
    `INSERT INTO simulator_outbox (provider_id, kind, from_number, to_number, body, media_urls, status_callback_url, status)
     VALUES ($1, 'sms', $2, $3, $4, $5, $6, 'sent')`,
    [m.providerId, m.from, m.to, m.body, m.mediaUrls, m.statusCallbackUrl],
  );
};

/** Stores a "placed" call (status `queued`). */
export const insertSimulatedCall = async (
  q: Queryable, c: { providerId: string; from: string; to: string; twimlUrl: string; sendDigits: string | null; statusCallbackUrl: string | null },
): Promise<void> => {
  await q.query(
    `INSERT INTO simulator_outbox (provider_id, kind, from_number, to_number, twiml_url, send_digits, status_callback_url, status)
     VALUES ($1, 'call', $2, $3, $4, $5, $6, 'queued')`,
    [c.providerId, c.from, c.to, c.twimlUrl, c.sendDigits, c.statusCallbackUrl],
  );
};

export const findSimulatedStatus = async (q: Queryable, providerId: string): Promise<{ providerId: string; status: string } | null> => {
  const r = await q.query('SELECT provider_id, status FROM simulator_outbox WHERE provider_id = $1', [providerId]);
  return r.rows[0] ? { providerId: r.rows[0].provider_id, status: r.rows[0].status } : null;
};

/** Texts from one number to another since a time, oldest first. */
export const findSimulatedTexts = async (
  q: Queryable, f: { from: string; to: string; since: Date },
): Promise<Array<{ providerId: string; from: string; to: string; body: string; status: string; sentAt: Date }>> => {
  const r = await q.query(
    `SELECT provider_id, from_number, to_number, body, status, created_at FROM simulator_outbox
      WHERE kind = 'sms' AND from_number = $1 AND to_number = $2 AND created_at >= $3 ORDER BY id`,
    [f.from, f.to, f.since],
  );
  return r.rows.map((m) => ({ providerId: m.provider_id, from: m.from_number, to: m.to_number, body: m.body ?? '', status: m.status, sentAt: m.created_at }));
};

export const completeSimulatedCall = async (q: Queryable, providerId: string): Promise<void> => {
  await q.query(`UPDATE simulator_outbox SET status = 'completed' WHERE provider_id = $1 AND kind = 'call'`, [providerId]);
};

export const simulatorOutboxRepo = {
  listSimulatorOutbox, insertSimulatedSms, insertSimulatedCall, findSimulatedStatus, findSimulatedTexts, completeSimulatedCall,
};
export type SimulatorOutboxRepo = typeof simulatorOutboxRepo;
