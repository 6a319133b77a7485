import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SequenceService } from '../../../src/sequences/sequence-service.js';
import type { SequenceStatusService } from '../../../src/sequences/sequence-status-service.js';
import { sequenceInputSchema, stepSchema, conditionSchema } from '../../../src/sequences/sequence-types.js';
import { auth } from '../../auth.js';

export type SequenceRoutesOpts = {
  sequences: Pick<SequenceService, 'create' | 'get' | 'list' | 'replace' | 'patch' | 'setStatus' | 'remove' | 'versions' | 'addStep' | 'updateStep' | 'removeStep'>;
  status: Pick<SequenceStatusService, 'stats' | 'history' | 'purgeHistory'>;
};

const sequenceOut = z.object({
  id: z.string(), name: z.string(), description: z.string(), status: z.enum(['active', 'paused']), allowReenrollment: z.boolean(),
  currentVersion: z.number(), templateKey: z.string().nullable(), lineId: z.string().nullable(),
  steps: z.array(z.record(z.string(), z.unknown())), exits: z.array(conditionSchema), createdAt: z.date(), updatedAt: z.date(),
});
const historyOut = z.object({
  id: z.number(), enrollmentId: z.string(), sequenceId: z.string(), contactId: z.string().nullable(), version: z.number(),
  stepId: z.string().nullable(), kind: z.string(), detail: z.record(z.string(), z.unknown()), at: z.date(),
});
const idParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });
const stepParams = idParams.extend({ stepId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'is not a step id') });
const tags = ['sequences'];

/**
 * `/v1/sequences`: CRUD, immutable versions (every steps/exits change is a new version; contacts
 * in progress keep theirs), steps, pause/resume, per-step counts and execution history.
 */
export const sequenceRoutes: FastifyPluginAsyncZod<SequenceRoutesOpts> = async (app, { sequences, status }) => {
  app.get('/sequences', { schema: { operationId: 'listSequences', summary: 'List sequences', tags, response: { 200: z.object({ data: z.array(sequenceOut) }) } } },
    async (req) => ({ data: await sequences.list(auth(req).accountId) }));

  app.post('/sequences', { schema: { operationId: 'createSequence', summary: 'Create a sequence', tags, body: sequenceInputSchema.strict(), response: { 201: sequenceOut } } },
    async (req, reply) => reply.status(201).send(await sequences.create(auth(req).accountId, req.body)));

  app.get('/sequences/:id', { schema: { operationId: 'getSequence', summary: 'Get a sequence', tags, params: idParams, response: { 200: sequenceOut } } },
    async (req) => sequences.get(auth(req).accountId, req.params.id));

  app.put('/sequences/:id', {
    schema: { operationId: 'replaceSequence', tags, summary: 'Replace the definition (creates a new version)', params: idParams, body: sequenceInputSchema.strict(), response: { 200: sequenceOut } },
  }, async (req) => sequences.replace(auth(req).accountId, req.params.id, req.body));

  app.patch('/sequences/:id', {
    schema: {
      operationId: 'updateSequence',
      tags, summary: 'Change name, description or re-enrollment (no new version)', params: idParams,
      body: z.object({ name: z.string().trim().min(1).max(200).optional(), description: z.string().max(2000).optional(), allowReenrollment: z.boolean().optional() }).strict(),
      response: { 200: sequenceOut },
    },
  }, async (req) => sequences.patch(auth(req).accountId, req.params.id, req.body));

  app.delete('/sequences/:id', { schema: { operationId: 'deleteSequence', summary: 'Delete a sequence', tags, params: idParams, response: { 204: z.null() } } }, async (req, reply) => {
    await sequences.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.post('/sequences/:id/pause', { schema: { operationId: 'pauseSequence', tags, summary: 'Stop new enrollments; current ones keep running', params: idParams, response: { 200: sequenceOut } } },
    async (req) => sequences.setStatus(auth(req).accountId, req.params.id, 'paused'));
  app.post('/sequences/:id/resume', { schema: { operationId: 'resumeSequence', summary: 'Resume a paused sequence', tags, params: idParams, response: { 200: sequenceOut } } },
    async (req) => sequences.setStatus(auth(req).accountId, req.params.id, 'active'));

  app.get('/sequences/:id/versions', {
    schema: { operationId: 'listSequenceVersions', summary: 'List a sequence\'s versions', tags, params: idParams, response: { 200: z.object({ data: z.array(z.object({ version: z.number(), createdAt: z.date(), steps: z.array(z.record(z.string(), z.unknown())), exits: z.array(conditionSchema) })) }) } },
  }, async (req) => ({ data: await sequences.versions(auth(req).accountId, req.params.id) }));

  // Steps: each change writes a new version.
  app.get('/sequences/:id/steps', { schema: { operationId: 'listSequenceSteps', summary: 'List a sequence\'s steps', tags, params: idParams, response: { 200: z.object({ version: z.number(), data: z.array(z.record(z.string(), z.unknown())) }) } } },
    async (req) => {
      const s = await sequences.get(auth(req).accountId, req.params.id);
      return { version: s.currentVersion, data: s.steps };
    });
  app.post('/sequences/:id/steps', {
    schema: { operationId: 'addSequenceStep', summary: 'Add a step (new version)', tags, params: idParams, querystring: z.object({ position: z.coerce.number().int().min(0).max(100).optional() }), body: stepSchema, response: { 201: sequenceOut } },
  }, async (req, reply) => reply.status(201).send(await sequences.addStep(auth(req).accountId, req.params.id, req.body, req.query.position)));
  app.put('/sequences/:id/steps/:stepId', { schema: { operationId: 'replaceSequenceStep', summary: 'Replace a step (new version)', tags, params: stepParams, body: z.record(z.string(), z.unknown()), response: { 200: sequenceOut } } },
    async (req) => sequences.updateStep(auth(req).accountId, req.params.id, req.params.stepId, req.body));
  app.delete('/sequences/:id/steps/:stepId', { schema: { operationId: 'deleteSequenceStep', summary: 'Delete a step (new version)', tags, params: stepParams, response: { 200: sequenceOut } } },
    async (req) => sequences.removeStep(auth(req).accountId, req.params.id, req.params.stepId));

  app.get('/sequences/:id/stats', {
    schema: {
      operationId: 'getSequenceStats',
      tags, summary: 'Counts by status, and active contacts by version and step', params: idParams,
      response: { 200: z.object({ total: z.number(), byStatus: z.record(z.string(), z.number()), activeBySteps: z.array(z.object({ version: z.number(), stepId: z.string().nullable(), waiting: z.string(), count: z.number() })) }) },
    },
  }, async (req) => status.stats(auth(req).accountId, req.params.id));

  app.get('/sequences/:id/history', {
    schema: {
      operationId: 'listSequenceHistory',
      tags, summary: 'Execution history (filter by enrollment, contact, kind or step)', params: idParams,
      querystring: z.object({
        enrollmentId: z.uuid().optional(), contactId: z.uuid().optional(),
        kind: z.string().regex(/^[a-z_]{1,40}$/, 'must be a history kind: enrolled, waiting, sent, skipped, branch, contact_updated, completed, exited, unenrolled…').optional(),
        stepId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'is not a step id').optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100), afterId: z.coerce.number().int().min(0).optional(),
      }),
      response: { 200: z.object({ data: z.array(historyOut), nextAfterId: z.number().nullable() }) },
    },
  }, async (req) => status.history(auth(req).accountId, req.params.id, req.query));

  app.delete('/sequences/:id/history', {
    schema: {
      operationId: 'purgeSequenceHistory',
      tags, summary: 'Purge execution history (all, older than `before`, or of one enrollment)', params: idParams,
      querystring: z.object({ before: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(), enrollmentId: z.uuid().optional() }),
      response: { 200: z.object({ deleted: z.number() }) },
    },
  }, async (req) => ({
    deleted: await status.purgeHistory(auth(req).accountId, req.params.id, { before: req.query.before ? new Date(req.query.before) : undefined, enrollmentId: req.query.enrollmentId }),
  }));
};
