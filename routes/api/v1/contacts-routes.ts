import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contactChannels, contactInputSchema, contactPatchSchema } from '../../../src/contacts/contact-types.js';
import { parseContactsCsv, parseContactsJson, type ParsedImport } from '../../../src/contacts/contacts-import.js';
import type { ContactsService } from '../../../src/contacts/contacts-service.js';
import { AppError, ValidationError } from '../../../src/errors.js';
import { auth } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type ContactRoutesOpts = { contacts: Pick<ContactsService, 'get' | 'list' | 'create' | 'update' | 'remove' | 'importContacts'> };

export const contactOut = z.object({
  id: z.string(), name: z.string(), phone: z.string().nullable(), email: z.string().nullable(), pagerNumber: z.string().nullable(),
  pushToken: z.string().nullable(), timezone: z.string().nullable(), onDuty: z.boolean(), optedOutChannels: z.array(z.enum(contactChannels)),
  doNotContact: z.boolean(), status: z.string(), customFields: z.record(z.string(), z.unknown()), groupIds: z.array(z.string()),
  createdAt: z.date(), updatedAt: z.date(),
});
const importOut = z.object({
  total: z.number(), created: z.number(), updated: z.number(), skipped: z.number(),
  errors: z.array(z.object({ line: z.number(), field: z.string(), message: z.string() })),
});
const tags = ['contacts'];
const IMPORT_LIMIT = 25 * 1024 * 1024;

const IMPORT_DOC = `Imports up to 20,000 contacts from CSV (\`Content-Type: text/csv\`, or a multipart upload in field \`file\`)
or JSON (an array of contacts). CSV columns: name (or first_name/last_name), phone, email, pager_number, push_token,
timezone, on_duty, opted_out_channels (separated by ;), do_not_contact, status, groups (group names separated by ;),
and custom.<name> for custom fields.

Policy: all or nothing. If any row is bad, nothing is written and the 400 lists each bad row by line (CSV: line of
the file, header = line 1; JSON: position in the array, from 1) and field. With \`?partial=true\` the good rows are
imported and the bad ones reported in \`errors\`. Rows upsert on phone within the account: a blank cell (or a missing
JSON key) keeps the stored value; custom fields are merged.

Events: an existing contact whose status or fields the import changed raises contact.status_changed /
contact.field_changed, exactly as an update through PATCH /v1/contacts/:id does (new contacts raise none), so rules
and sequence exits react to imports too. \`?events=false\` imports silently (a first data load).`;

/** The uploaded file; a malformed multipart body (busboy's errors carry no status) is a 400, not a 500. */
const readUpload = async (req: FastifyRequest) => {
  try {
    const file = await req.file({ limits: { fileSize: IMPORT_LIMIT, files: 1 } });
    if (!file) throw ValidationError.field('file', 'upload the CSV or JSON file in field "file"');
    return { file, buf: await file.toBuffer() };
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    if (err instanceof AppError || (typeof e.statusCode === 'number' && e.statusCode < 500)) throw err;
    throw ValidationError.field('file', `is not a readable multipart upload: ${e.message ?? 'malformed'}`);
  }
};

const readImport = async (req: FastifyRequest): Promise<ParsedImport> => {
  if (req.isMultipart()) {
    const { file, buf } = await readUpload(req);
    const text = buf.toString('utf8');
    if (/\.json$/i.test(file.filename) || file.mimetype === 'application/json') {
      try {
        return parseContactsJson(JSON.parse(text));
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw ValidationError.field('file', `is not valid JSON: ${(err as Error).message}`);
      }
    }
    return parseContactsCsv(text);
  }
  if (typeof req.body === 'string') return parseContactsCsv(req.body);
  return parseContactsJson(req.body);
};

/** Contacts and their bulk import. */
export const contactRoutes: FastifyPluginAsyncZod<ContactRoutesOpts> = async (app, { contacts }) => {
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: IMPORT_LIMIT }, (_req, body, done) => done(null, body));
  if (!app.hasContentTypeParser('multipart/form-data')) await app.register(multipart);

  app.get('/contacts', {
    schema: {
      operationId: 'listContacts', summary: 'List or search contacts',
      tags,
      querystring: pageQuery.extend({ q: z.string().trim().min(1).max(200).optional(), groupId: z.uuid().optional() }),
      response: { 200: pageOf(contactOut) },
    },
  }, async (req) => contacts.list(auth(req).accountId, req.query));

  app.post('/contacts', { schema: { operationId: 'createContact', summary: 'Create a contact', tags, body: contactInputSchema, response: { 201: contactOut } } }, async (req, reply) =>
    reply.status(201).send(await contacts.create(auth(req).accountId, req.body)));

  app.post('/contacts/import', {
    bodyLimit: IMPORT_LIMIT,
    schema: {
      operationId: 'importContacts', summary: 'Import contacts from CSV',
      tags,
      description: IMPORT_DOC,
      querystring: z.object({
        partial: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
        events: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
      }),
      response: { 200: importOut },
    },
  }, async (req) => {
    const parsed = await readImport(req);
    return contacts.importContacts(auth(req).accountId, parsed, { partial: req.query.partial, events: req.query.events });
  });

  app.get('/contacts/:id', { schema: { operationId: 'getContact', summary: 'Get a contact', tags, params: idParams, response: { 200: contactOut } } }, async (req) => contacts.get(auth(req).accountId, req.params.id));

  app.patch('/contacts/:id', {
    schema: { operationId: 'updateContact', summary: 'Change a contact', tags, description: 'Changes the given fields; null clears an optional one; customFields replaces the stored object.', params: idParams, body: contactPatchSchema, response: { 200: contactOut } },
  }, async (req) => contacts.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/contacts/:id', { schema: { operationId: 'deleteContact', summary: 'Delete a contact', tags, params: idParams, response: { 204: z.null() } } }, async (req, reply) => {
    await contacts.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });
};
