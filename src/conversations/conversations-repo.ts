import type { Queryable } from '../db/db.js';
import { contactExists } from '../contacts/contacts-repo.js';
import { decodeCursor, encodeCursor } from '../db/pagination.js';

/** One message of a contact's conversation history (inbound or outbound, any channel). */
export type ConversationMessage = {
  id: string;
  direction: 'inbound' | 'outbound';
  channel: 'sms' | 'email' | 'voice' | 'push';
  from: string | null;
  to: string | null;
  body: string;
  status: string | null;
  lineId: string | null;
  activationId: string | null;
  createdAt: Date;
};

export type ConversationPage = { data: ConversationMessage[]; nextCursor: string | null };

const toMessage = (r: Record<string, any>): ConversationMessage => ({
  id: r.id, direction: r.direction, channel: r.channel, from: r.from_address, to: r.to_address, body: r.body, status: r.status,
  lineId: r.line_id, activationId: r.activation_id, createdAt: r.created_at,
});

// Newest first, keyset on (created_at, id); the cursor keeps PostgreSQL's microseconds (db/pagination.ts).

/** The contact's messages, newest first; a bad cursor is a 400 naming `cursor`. */
export const listContactMessages = async (
  q: Queryable, accountId: string, contactId: string, page: { limit: number; cursor?: string | null },
): Promise<ConversationPage> => {
  const params: unknown[] = [accountId, contactId];
  let where = '';
  if (page.cursor) {
    const k = decodeCursor(page.cursor);
    params.push(k.t, k.id);
    where = ' AND (created_at, id) < ($3::timestamptz, $4::uuid)';
  }
  params.push(page.limit + 1);
  const res = await q.query(
    `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS _t FROM messages
      WHERE account_id = $1 AND contact_id = $2${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const more = res.rows.length > page.limit;
  const rows = more ? res.rows.slice(0, page.limit) : res.rows;
  const last = rows[rows.length - 1];
  return { data: rows.map(toMessage), nextCursor: more && last ? encodeCursor({ t: last._t, id: last.id }) : null };
};

export const conversationsRepo = { contactExists, listContactMessages };
export type ConversationsRepo = typeof conversationsRepo;
