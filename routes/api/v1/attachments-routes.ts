import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AttachmentsService } from '../../../src/attachments/attachments-service.js';
import { AppError, ValidationError } from '../../../src/errors.js';
import { auth } from '../../auth.js';

export type AttachmentsRoutesOpts = { attachments: Pick<AttachmentsService, 'create' | 'get' | 'list' | 'remove' | 'maxBytes'> };

const attachmentOut = z.object({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  sizeBytes: z.number(),
  shortUrl: z.string(),
  createdAt: z.date(),
});
const strip = ({ id, filename, contentType, sizeBytes, shortUrl, createdAt }: z.infer<typeof attachmentOut>) => ({ id, filename, contentType, sizeBytes, shortUrl, createdAt });

/**
 * Attachments for notifications. Upload: `POST /v1/attachments` as multipart/form-data with one
 * file part (any type, at most ATTACHMENT_MAX_BYTES: 413 beyond). The response's `shortUrl`
 * (`PUBLIC_URL/a/<code>`) is what recipients get; use `id` as a notification's `attachmentId`.
 */
export const attachmentsRoutes: FastifyPluginAsyncZod<AttachmentsRoutesOpts> = async (app, { attachments }) => {
  // Encapsulated: multipart parsing exists only for this plugin's routes.
  await app.register(multipart, { limits: { fileSize: attachments.maxBytes, files: 1, fields: 10, parts: 12, fieldSize: 1024 } });

  app.post('/attachments', {
    schema: { operationId: 'uploadAttachment', tags: ['attachments'], summary: 'Upload a file (multipart/form-data, one file part)', consumes: ['multipart/form-data'], response: { 201: attachmentOut } },
  }, async (req, reply) => {
    if (!req.isMultipart()) throw new AppError('unsupported_media_type', 'send the file as multipart/form-data with one file part named "file"', { status: 415, details: [{ path: 'file', message: 'is required' }] });
    let file;
    let data: Buffer;
    try {
      file = await req.file();
      if (!file) throw ValidationError.field('file', 'is required');
      data = await file.toBuffer();
    } catch (err) {
      if (err instanceof app.multipartErrors.RequestFileTooLargeError) {
        throw new AppError('payload_too_large', `file: is larger than the ${attachments.maxBytes} bytes allowed`, {
          status: 413, details: [{ path: 'file', message: `is larger than the ${attachments.maxBytes} bytes allowed` }],
        });
      }
      const e = err as { statusCode?: number; message?: string; code?: string };
      if (!(err instanceof AppError) && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
        // Malformed multipart bodies, too many parts/files: the client's fault, say why.
        throw new AppError('invalid_multipart', e.message ?? 'malformed multipart body', { status: 400, details: [{ path: 'file', message: e.message ?? 'is malformed' }] });
      }
      if (err instanceof AppError) throw err;
      // busboy's parse errors ("Unexpected end of multipart data") carry no status: still the client's fault.
      throw new AppError('invalid_multipart', 'malformed multipart body', { status: 400, details: [{ path: 'file', message: e.message ?? 'is malformed' }] });
    }
    const created = await attachments.create({ accountId: auth(req).accountId, filename: file.filename, contentType: file.mimetype, data });
    return reply.status(201).send(strip(created));
  });

  app.get('/attachments', {
    schema: {
      operationId: 'listAttachments', summary: 'List attachments',
      tags: ['attachments'],
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().max(200).optional() }),
      response: { 200: z.object({ data: z.array(attachmentOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const page = await attachments.list(auth(req).accountId, req.query);
    return { data: page.data.map(strip), nextCursor: page.nextCursor };
  });

  app.get('/attachments/:id', {
    schema: { operationId: 'getAttachment', summary: 'Get an attachment', tags: ['attachments'], params: z.object({ id: z.uuid() }), response: { 200: attachmentOut } },
  }, async (req) => strip(await attachments.get(auth(req).accountId, req.params.id)));

  app.delete('/attachments/:id', {
    schema: { operationId: 'deleteAttachment', summary: 'Delete an attachment', tags: ['attachments'], params: z.object({ id: z.uuid() }), response: { 200: attachmentOut } },
  }, async (req) => strip(await attachments.remove(auth(req).accountId, req.params.id)));
};
