import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SequenceTemplateService } from '../../../src/sequences/sequence-template-service.js';
import { sequenceInputSchema } from '../../../src/sequences/sequence-types.js';
import { auth, requireAdmin } from '../../auth.js';

export type SequenceTemplateRoutesOpts = { templates: Pick<SequenceTemplateService, 'list' | 'get' | 'create' | 'update' | 'remove' | 'copy'> };

const templateOut = z.object({
  key: z.string(), builtIn: z.boolean(), name: z.string(), description: z.string(), placeholders: z.array(z.string()),
  definition: z.record(z.string(), z.unknown()), createdAt: z.date().nullable(), updatedAt: z.date().nullable(),
});
const keyParams = z.object({ key: z.string().regex(/^[a-z0-9-]{1,60}$/, 'is not a template key') });
const tags = ['sequences'];

/**
 * Sequence templates: the four built-in ones (read-only; keyed by slug) and the account's own
 * (keyed by UUID; create, replace, delete). Copying any of them creates an editable sequence.
 */
export const sequenceTemplateRoutes: FastifyPluginAsyncZod<SequenceTemplateRoutesOpts> = async (app, { templates }) => {
  app.get('/sequence-templates', {
    schema: { operationId: 'listSequenceTemplates', summary: 'List sequence templates (built-in, then the account\'s own)', tags, response: { 200: z.object({ data: z.array(templateOut) }) } },
  }, async (req) => ({ data: await templates.list(auth(req).accountId) }));

  app.get('/sequence-templates/:key', {
    schema: { operationId: 'getSequenceTemplate', summary: 'Get a sequence template', tags, params: keyParams, response: { 200: templateOut } },
  }, async (req) => templates.get(auth(req).accountId, req.params.key));

  app.post('/sequence-templates', {
    preHandler: requireAdmin,
    schema: { operationId: 'createSequenceTemplate', summary: 'Create a custom template (same body as a sequence)', tags, body: sequenceInputSchema.strict(), response: { 201: templateOut } },
  }, async (req, reply) => reply.status(201).send(await templates.create(auth(req).accountId, req.body)));

  app.put('/sequence-templates/:key', {
    preHandler: requireAdmin,
    schema: { operationId: 'replaceSequenceTemplate', summary: 'Replace a custom template (built-in ones are read-only: 409)', tags, params: keyParams, body: sequenceInputSchema.strict(), response: { 200: templateOut } },
  }, async (req) => templates.update(auth(req).accountId, req.params.key, req.body));

  app.delete('/sequence-templates/:key', {
    preHandler: requireAdmin,
    schema: { operationId: 'deleteSequenceTemplate', summary: 'Delete a custom template (built-in ones are read-only: 409)', tags, params: keyParams, response: { 204: z.null() } },
  }, async (req, reply) => {
    await templates.remove(auth(req).accountId, req.params.key);
    return reply.status(204).send(null);
  });

  app.post('/sequence-templates/:key/copy', {
    schema: {
      operationId: 'copySequenceTemplate', summary: 'Create a sequence from a template',
      tags, params: keyParams,
      body: z.object({ name: z.string().trim().min(1).max(200).optional(), lineId: z.uuid({ error: 'must be a UUID' }).optional() }).strict().optional(),
    },
  }, async (req, reply) => reply.status(201).send(await templates.copy(auth(req).accountId, req.params.key, req.body ?? {})));
};
