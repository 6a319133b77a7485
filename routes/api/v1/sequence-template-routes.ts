import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Sequences } from '../../../src/sequences/sequences-module.js';
import { auth } from '../../auth.js';

export type SequenceTemplateRoutesOpts = { templates: Sequences['templates'] };

/** Ready-made sequences: list them, copy one into the account as an editable sequence. */
export const sequenceTemplateRoutes: FastifyPluginAsyncZod<SequenceTemplateRoutesOpts> = async (app, { templates }) => {
  app.get('/sequence-templates', {
    schema: {
      operationId: 'listSequenceTemplates', summary: 'List sequence templates',
      tags: ['sequences'],
      response: { 200: z.object({ data: z.array(z.object({ key: z.string(), name: z.string(), description: z.string(), placeholders: z.array(z.string()), definition: z.record(z.string(), z.unknown()) })) }) },
    },
  }, async () => ({ data: templates.list() }));

  app.post('/sequence-templates/:key/copy', {
    schema: {
      operationId: 'copySequenceTemplate', summary: 'Create a sequence from a template',
      tags: ['sequences'],
      params: z.object({ key: z.string().regex(/^[a-z0-9-]{1,60}$/, 'is not a template key') }),
      body: z.object({ name: z.string().trim().min(1).max(200).optional(), lineId: z.uuid({ error: 'must be a UUID' }).optional() }).strict().optional(),
    },
  }, async (req, reply) => reply.status(201).send(await templates.copy(auth(req).accountId, req.params.key, req.body ?? {})));
};
