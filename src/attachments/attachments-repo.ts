import type { Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';

/** An attachment's metadata (the bytes are only read by the public short-URL route). */
export type AttachmentMeta = {
  id: string;
  accountId: string;
  shortCode: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  createdAt: Date;
};

export type AttachmentFile = AttachmentMeta & { data: Buffer };

const META = 'id, account_id, short_code, filename, content_type, size_bytes, created_at';

const toMeta = (r: Record<string, unknown>): AttachmentMeta => ({
  id: r.id as string,
  accountId: r.account_id as string,
  shortCode: r.short_code as string,
  filename: r.filename as string,
  contentType: r.content_type as string,
  sizeBytes: Number(r.size_bytes),
  createdAt: r.created_at as Date,
});

export const insertAttachment = async (
  db: Queryable,
  a: { accountId: string; shortCode: string; filename: string; contentType: string; data: Buffer },
): Promise<AttachmentMeta> => {
  const { rows } = await db.query(
    `INSERT INTO attachments (account_id, short_code, filename, content_type, size_bytes, data)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${META}`,
    [a.accountId, a.shortCode, a.filename, a.contentType, a.data.length, a.data],
  );
  return toMeta(rows[0]);
};

export const findAttachment = async (db: Queryable, accountId: string, id: string): Promise<AttachmentMeta | null> => {
  const { rows } = await db.query(`SELECT ${META} FROM attachments WHERE account_id = $1 AND id = $2`, [accountId, id]);
  return rows[0] ? toMeta(rows[0]) : null;
};

export const findAttachmentFileByCode = async (db: Queryable, code: string): Promise<AttachmentFile | null> => {
  const { rows } = await db.query(`SELECT ${META}, data FROM attachments WHERE short_code = $1`, [code]);
  return rows[0] ? { ...toMeta(rows[0]), data: rows[0].data as Buffer } : null;
};

export const listAttachments = async (db: Queryable, accountId: string, q: PageQuery): Promise<Page<AttachmentMeta>> => {
  const params: unknown[] = [accountId];
  const sql = `SELECT ${META}, ${cursorColumn()} FROM attachments WHERE account_id = $1`;
  const { rows } = await db.query(sql + pageClause(q, params), params);
  return toPage(rows as Array<{ id: string; _cursor_t: string }>, q, (r) => toMeta(r));
};

export const deleteAttachment = async (db: Queryable, accountId: string, id: string): Promise<AttachmentMeta | null> => {
  const { rows } = await db.query(`DELETE FROM attachments WHERE account_id = $1 AND id = $2 RETURNING ${META}`, [accountId, id]);
  return rows[0] ? toMeta(rows[0]) : null;
};
