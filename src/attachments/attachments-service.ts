import { randomBytes } from 'node:crypto';
import type { Db } from '../db/db.js';
import { isUuid } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import type { AttachmentLinks } from '../engine/notification-extras-port.js';
import { NotFoundError, ValidationError } from '../errors.js';
import {
  deleteAttachment, findAttachment, findAttachmentFileByCode, insertAttachment, listAttachments,
  type AttachmentFile, type AttachmentMeta,
} from './attachments-repo.js';

export type { AttachmentFile, AttachmentMeta };
export type AttachmentView = AttachmentMeta & { shortUrl: string };

export type AttachmentsServiceDeps = { db: Db; publicUrl: string; maxBytes: number };

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
/** 10 characters from 57 (no 0/O, 1/l/I): ~58 bits, unguessable, still short in an SMS. */
export const newShortCode = (): string => {
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) {
    if (b >= 228) continue; // 228 = 4 * 57: keeps the distribution uniform
    out += ALPHABET[b % 57];
    if (out.length === 10) return out;
  }
  return newShortCode();
};
export const shortCodePattern = /^[A-Za-z0-9]{6,16}$/;

/** Characters of an attachment's short URL (`PUBLIC_URL/a/<code>`): what it adds to a text. */
export const shortUrlLength = (publicUrl: string): number => `${publicUrl}/a/`.length + 10;

/** Keeps a display name: no path, no control characters, at most 200 characters. */
export const cleanFilename = (name: string | undefined): string => {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean || 'attachment';
};

/** A syntactically valid MIME type (parameters dropped), else application/octet-stream. */
export const cleanContentType = (type: string | undefined): string => {
  const t = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(t) ? t : 'application/octet-stream';
};

/**
 * Files attached to notifications: stored in PostgreSQL (any type, up to ATTACHMENT_MAX_BYTES),
 * served publicly at `PUBLIC_URL/a/<code>` — the unguessable code is the only credential, as
 * for any link sent by SMS. Account-scoped for management (another account's id is a 404).
 * Implements the engine's `AttachmentLinks` port.
 */
export const createAttachmentsService = (deps: AttachmentsServiceDeps) => {
  const shortUrlFor = (code: string) => `${deps.publicUrl}/a/${code}`;
  const view = (m: AttachmentMeta): AttachmentView => ({ ...m, shortUrl: shortUrlFor(m.shortCode) });

  const create = async (input: { accountId: string; filename?: string; contentType?: string; data: Buffer }): Promise<AttachmentView> => {
    if (input.data.length === 0) throw ValidationError.field('file', 'is empty');
    if (input.data.length > deps.maxBytes) throw ValidationError.field('file', `is larger than ${deps.maxBytes} bytes`);
    for (let attempt = 0; ; attempt++) {
      try {
        return view(await insertAttachment(deps.db, {
          accountId: input.accountId,
          shortCode: newShortCode(),
          filename: cleanFilename(input.filename),
          contentType: cleanContentType(input.contentType),
          data: input.data,
        }));
      } catch (err) {
        // A short-code collision (astronomically rare): draw another code.
        if ((err as { code?: string }).code === '23505' && attempt < 3) continue;
        throw err;
      }
    }
  };

  const get = async (accountId: string, id: string): Promise<AttachmentView> => {
    const m = isUuid(id) ? await findAttachment(deps.db, accountId, id) : null;
    if (!m) throw new NotFoundError('attachment');
    return view(m);
  };

  /** Oldest first, keyset-paged. */
  const list = async (accountId: string, q: PageQuery): Promise<Page<AttachmentView>> => {
    const page = await listAttachments(deps.db, accountId, q);
    return { data: page.data.map(view), nextCursor: page.nextCursor };
  };

  const remove = async (accountId: string, id: string): Promise<AttachmentView> => {
    const m = isUuid(id) ? await deleteAttachment(deps.db, accountId, id) : null;
    if (!m) throw new NotFoundError('attachment');
    return view(m);
  };

  /** For the public route: the file behind a short code, or null. */
  const openByCode = async (code: string): Promise<AttachmentFile | null> =>
    shortCodePattern.test(code) ? findAttachmentFileByCode(deps.db, code) : null;

  /** `AttachmentLinks` port: the public short URL, or null when the attachment is gone. */
  const shortUrl: AttachmentLinks['shortUrl'] = async (accountId, attachmentId) => {
    const m = isUuid(attachmentId) ? await findAttachment(deps.db, accountId, attachmentId) : null;
    return m ? shortUrlFor(m.shortCode) : null;
  };

  return { create, get, list, remove, openByCode, shortUrl, maxBytes: deps.maxBytes };
};
export type AttachmentsService = ReturnType<typeof createAttachmentsService>;
