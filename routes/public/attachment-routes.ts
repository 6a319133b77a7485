import type { FastifyPluginAsync } from 'fastify';
import type { AttachmentsService } from '../../src/attachments/attachments-service.js';

export type PublicAttachmentRoutesOpts = { attachments: Pick<AttachmentsService, 'openByCode'> };

/** Types a browser may render in place; everything else (HTML, SVG, scripts…) is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|application\/pdf|text\/plain|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+)$/;

const asciiFallback = (name: string) => name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');

/** `Content-Disposition` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / 5987). */
export const contentDisposition = (type: 'inline' | 'attachment', filename: string): string =>
  `${type}; filename="${asciiFallback(filename)}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/**
 * `GET /a/:code`: the public short URL of an attachment, as sent in notifications. No account
 * credentials: the unguessable code is the key. Served so that an uploaded file can never run
 * as part of Switchboard's origin: nosniff, a sandboxing CSP, and active types as downloads.
 */
export const publicAttachmentRoutes: FastifyPluginAsync<PublicAttachmentRoutesOpts> = async (app, { attachments }) => {
  app.get<{ Params: { code: string } }>('/a/:code', { schema: { hide: true } }, async (req, reply) => {
    const file = await attachments.openByCode(req.params.code);
    if (!file) {
      return reply.status(404).header('cache-control', 'no-store')
        .send({ error: 'not_found', message: 'attachment not found', details: null, requestId: req.id });
    }
    const inline = INLINE.test(file.contentType);
    return reply
      .header('content-type', file.contentType)
      .header('content-length', String(file.sizeBytes))
      .header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', file.filename))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; img-src 'self'; media-src 'self'; sandbox")
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'private, max-age=300')
      .send(file.data);
  });
};
