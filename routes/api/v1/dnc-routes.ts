import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { e164Phone } from '../../../src/contacts/phone.js';
import type { DncService } from '../../../src/rules/dnc-service.js';
import { auth } from '../../auth.js';

export type DncRoutesOpts = { dnc: Pick<DncService, 'list' | 'add' | 'remove'> };

const entryOut = z.object({ phone: z.string(), source: z.enum(['api', 'rule']), ruleId: z.string().nullable(), contactId: z.string().nullable(), createdAt: z.date() });
const tags = ['do-not-contact'];

/** The account's do-not-contact numbers. Listed numbers are never texted or called. */
export const dncRoutes: FastifyPluginAsyncZod<DncRoutesOpts> = async (app, { dnc }) => {
  app.get('/dnc', {
    schema: {
      operationId: 'listDoNotContact', summary: 'List do-not-contact numbers',
      tags,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), cursor: z.string().max(40).optional() }),
      response: { 200: z.object({ data: z.array(entryOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const rows = await dnc.list(auth(req).accountId, { before: req.query.cursor, limit: req.query.limit + 1 });
    const data = rows.slice(0, req.query.limit);
    return { data, nextCursor: rows.length > req.query.limit ? data[data.length - 1]!.phone : null };
  });

  app.post('/dnc', {
    schema: { operationId: 'addDoNotContact', summary: 'Add a number to the do-not-contact list', tags, body: z.object({ phone: e164Phone() }).strict(), response: { 200: entryOut, 201: entryOut } },
  }, async (req, reply) => {
    const { entry, created } = await dnc.add(auth(req).accountId, req.body.phone);
    return reply.status(created ? 201 : 200).send(entry);
  });

  app.delete('/dnc/:phone', {
    schema: { operationId: 'removeDoNotContact', summary: 'Remove a number from the do-not-contact list', tags, params: z.object({ phone: e164Phone() }), response: { 200: entryOut } },
  }, async (req) => dnc.remove(auth(req).accountId, req.params.phone));
};
