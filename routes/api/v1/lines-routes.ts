import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { e164Phone } from '../../../src/contacts/phone.js';
import { lineSettingsSchema } from '../../../src/lines/line-settings.js';
import type { LinesService } from '../../../src/lines/lines-service.js';
import { auth, requireAdmin } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type LineRoutesOpts = { lines: Pick<LinesService, 'get' | 'list' | 'create' | 'update' | 'remove' | 'linkedWorkflows'> };

const lineOut = z.object({
  id: z.string(), phoneNumber: z.string(), name: z.string(), provider: z.enum(['twilio', 'simulator']), carrierConnectionId: z.string().nullable(),
  mode: z.enum(['activation', 'tracking']), greeting: z.string(), settings: z.record(z.string(), z.unknown()), createdAt: z.date(), updatedAt: z.date(),
});
const lineFields = {
  phoneNumber: e164Phone(),
  name: z.string().trim().max(200).optional(),
  provider: z.enum(['twilio', 'simulator'], { error: 'must be twilio or simulator' }),
  carrierConnectionId: z.uuid({ error: 'must be a UUID' }).nullish(),
  mode: z.enum(['activation', 'tracking'], { error: 'must be activation or tracking' }).optional(),
  greeting: z.string().trim().min(1, 'may not be empty').max(1000).optional(),
  settings: lineSettingsSchema.optional(),
};
const tags = ['lines'];

/** Phone lines. A Twilio line needs a carrier connection of the same account. */
export const lineRoutes: FastifyPluginAsyncZod<LineRoutesOpts> = async (app, { lines }) => {
  app.get('/lines', { schema: { operationId: 'listLines', summary: 'List phone lines', tags, querystring: pageQuery, response: { 200: pageOf(lineOut) } } }, async (req) => lines.list(auth(req).accountId, req.query));

  app.post('/lines', { preHandler: requireAdmin, schema: { operationId: 'createLine', summary: 'Add a phone line', tags, body: z.object(lineFields).strict(), response: { 201: lineOut } } }, async (req, reply) =>
    reply.status(201).send(await lines.create(auth(req).accountId, req.body)));

  app.get('/lines/:id', { schema: { operationId: 'getLine', summary: 'Get a phone line', tags, params: idParams, response: { 200: lineOut } } }, async (req) => lines.get(auth(req).accountId, req.params.id));

  app.patch('/lines/:id', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'updateLine', summary: 'Change a phone line',
      tags,
      description: 'Changes the given fields. `settings` keys are merged into the stored settings (`tracking` is replaced as a whole).',
      params: idParams,
      body: z.object(lineFields).partial().strict(),
      response: { 200: lineOut },
    },
  }, async (req) => lines.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/lines/:id', {
    preHandler: requireAdmin,
    schema: { operationId: 'deleteLine', summary: 'Delete a phone line', tags, description: 'Refused (409 line_in_use) while workflows use the line.', params: idParams, response: { 204: z.null() } },
  }, async (req, reply) => {
    await lines.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/lines/:id/workflows', {
    schema: {
      operationId: 'listLineWorkflows', summary: 'List the workflows that use a line',
      tags,
      description: 'Workflows whose current version uses the line: for code activation, a conference, or a pager.',
      params: idParams,
      response: { 200: z.object({ data: z.array(z.object({ id: z.string(), name: z.string(), status: z.string(), uses: z.array(z.enum(['code_activation', 'conference', 'pager'])) })) }) },
    },
  }, async (req) => ({ data: await lines.linkedWorkflows(auth(req).accountId, req.params.id) }));
};
