import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { promptInputSchema } from '../../../src/prompts/prompt-types.js';
import type { PromptsService } from '../../../src/prompts/prompts-service.js';
import { auth } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type PromptRoutesOpts = { prompts: Pick<PromptsService, 'create' | 'get' | 'list' | 'update' | 'remove' | 'listVersions' | 'getVersion'> };

const settingsOut = z.object({ model: z.string().optional(), maxOutputChars: z.number().optional(), temperature: z.number().optional() });
const promptOut = z.object({ id: z.string(), name: z.string(), version: z.number(), text: z.string(), settings: settingsOut, createdAt: z.date(), updatedAt: z.date() });
const versionOut = z.object({ version: z.number(), text: z.string(), settings: settingsOut, createdAt: z.date() });
const tags = ['prompts'];

/** The prompt library (docs/CHANNELS.md "Prompt library"): saved prompts, versioned on every replace. */
export const promptRoutes: FastifyPluginAsyncZod<PromptRoutesOpts> = async (app, { prompts }) => {
  app.get('/prompts', { schema: { operationId: 'listPrompts', summary: 'List saved prompts', tags, querystring: pageQuery, response: { 200: pageOf(promptOut) } } },
    async (req) => prompts.list(auth(req).accountId, req.query));

  app.post('/prompts', {
    schema: {
      operationId: 'createPrompt', summary: 'Save a prompt', tags,
      description: 'Name, text and the prompt runner\'s settings (model, maxOutputChars, temperature). Version 1.',
      body: promptInputSchema, response: { 201: promptOut },
    },
  }, async (req, reply) => reply.status(201).send(await prompts.create(auth(req).accountId, req.body)));

  app.get('/prompts/:id', { schema: { operationId: 'getPrompt', summary: 'Get a prompt (its current version)', tags, params: idParams, response: { 200: promptOut } } },
    async (req) => prompts.get(auth(req).accountId, req.params.id));

  app.put('/prompts/:id', {
    schema: {
      operationId: 'replacePrompt', summary: 'Edit a prompt (a new version)', tags,
      description: 'Workflows keep the version they were saved with until they are saved again.',
      params: idParams, body: promptInputSchema, response: { 200: promptOut },
    },
  }, async (req) => prompts.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/prompts/:id', {
    schema: { operationId: 'deletePrompt', summary: 'Delete a prompt', tags, description: 'Workflow versions that pinned one of its versions keep it.', params: idParams, response: { 204: z.null() } },
  }, async (req, reply) => {
    await prompts.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/prompts/:id/versions', {
    schema: { operationId: 'listPromptVersions', summary: 'List a prompt\'s versions, oldest first', tags, params: idParams, response: { 200: z.object({ data: z.array(versionOut) }) } },
  }, async (req) => ({ data: await prompts.listVersions(auth(req).accountId, req.params.id) }));

  app.get('/prompts/:id/versions/:version', {
    schema: {
      operationId: 'getPromptVersion', summary: 'Get one version of a prompt', tags,
      params: idParams.extend({ version: z.coerce.number().int().min(1) }), response: { 200: versionOut },
    },
  }, async (req) => prompts.getVersion(auth(req).accountId, req.params.id, req.params.version));
};
