import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { workflowInputSchema } from '../../../src/workflows/workflow-types.js';
import { ValidationError } from '../../../src/errors.js';
import type { WorkflowsService } from '../../../src/workflows/workflows-service.js';
import { auth } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type WorkflowRoutesOpts = {
  workflows: Pick<WorkflowsService, 'create' | 'update' | 'pause' | 'resume' | 'remove' | 'get' | 'list' | 'listVersions' | 'getVersion' | 'audience'>;
};

const actionOut = z.looseObject({ id: z.string(), type: z.enum(['notification', 'conference', 'pager', 'webhook']), authorizationSet: z.boolean().optional() });
const definitionOut = {
  name: z.string(),
  description: z.string(),
  codeActivation: z.looseObject({ lineId: z.string(), code: z.string() }).nullable(),
  schedule: z.record(z.string(), z.unknown()).nullable(),
  actions: z.array(actionOut),
  placeholders: z.array(z.string()).describe('the [[placeholders]] an activation must fill'),
};
const workflowOut = z.object({
  id: z.string(), status: z.enum(['active', 'paused']), version: z.number(), ...definitionOut, createdAt: z.date(), updatedAt: z.date(),
});
const versionOut = z.object({ version: z.number(), createdAt: z.date(), definition: z.object(definitionOut) });
const tags = ['workflows'];

/** A workflow's entity tag is its version: `"3"`. */
const etag = (version: number) => `"${version}"`;

/**
 * The version an edit was made on, from `If-Match` (`"3"`, `W/"3"` or `3`); `*` or no header:
 * unconditional. Anything else is a 400 naming the header, never a silent overwrite.
 */
export const ifMatchVersion = (header: string | string[] | undefined): number | undefined => {
  const raw = (Array.isArray(header) ? header.join(',') : header ?? '').trim();
  if (raw === '' || raw === '*') return undefined;
  const m = /^(?:W\/)?"?([1-9]\d{0,8})"?$/.exec(raw);
  if (!m) throw ValidationError.field('headers.if-match', 'must be the workflow version (its ETag), e.g. "3"');
  return Number(m[1]);
};

const RULES = `Rules beyond the schema (400 naming the field, 409 for conflicts across the account): a code is unique per
account also by keypad digits (RESQ and PERS both dial 7377); a workflow with code activation may not use
[[placeholders]]; pager messages hold only 0-9 # * w; webhook URLs are https; a webhook body is JSON once its
placeholders are filled; one conference action per phone line across the account; every line, group and attachment
must belong to the account. A webhook \`authorization\` is write-only (\`authorizationSet\` in responses); on update,
leaving it out keeps the stored value of the action with the same id, null clears it. Action ids you send are kept;
actions without one get a new id.`;

/** Workflows: each update makes a new immutable version; activations pin the version they ran. */
export const workflowRoutes: FastifyPluginAsyncZod<WorkflowRoutesOpts> = async (app, { workflows }) => {
  app.get('/workflows', {
    schema: { operationId: 'listWorkflows', summary: 'List workflows', tags, querystring: pageQuery.extend({ status: z.enum(['active', 'paused']).optional() }), response: { 200: pageOf(workflowOut) } },
  }, async (req) => workflows.list(auth(req).accountId, req.query));

  app.post('/workflows', { schema: { operationId: 'createWorkflow', summary: 'Create a workflow', tags, description: RULES, body: workflowInputSchema, response: { 201: workflowOut } } }, async (req, reply) => {
    const wf = await workflows.create(auth(req).accountId, req.body);
    return reply.status(201).header('etag', etag(wf.version)).send(wf);
  });

  app.get('/workflows/:id', {
    schema: { operationId: 'getWorkflow', summary: 'Get a workflow (current version)', tags, description: 'The `ETag` header is the current version: send it back as `If-Match` when you save an edit.', params: idParams, response: { 200: workflowOut } },
  }, async (req, reply) => {
    const wf = await workflows.get(auth(req).accountId, req.params.id);
    return reply.header('etag', etag(wf.version)).send(wf);
  });

  app.put('/workflows/:id', {
    schema: {
      operationId: 'replaceWorkflow', summary: 'Replace a workflow\'s definition (new version)',
      tags,
      description: `Replaces the definition and makes a new version (status is kept). With \`If-Match: "<version>"\` (the ETag of the
version the edit started from) the update is refused with 412 \`version_mismatch\` when someone saved another version meanwhile;
without it the update is unconditional.\n\n${RULES}`,
      params: idParams, body: workflowInputSchema, response: { 200: workflowOut },
    },
  }, async (req, reply) => {
    const expectedVersion = ifMatchVersion(req.headers['if-match']);
    const wf = await workflows.update(auth(req).accountId, req.params.id, req.body, { expectedVersion });
    return reply.header('etag', etag(wf.version)).send(wf);
  });

  app.get('/workflows/:id/audience', {
    schema: {
      operationId: 'getWorkflowAudience', summary: 'Count who an activation would reach now',
      tags,
      description: 'The people an activation of the current version would reach now, counted as the planner chooses them: members of each action\'s groups who are on duty (or all, with includeOffDuty), without do-not-contact contacts; someone in several groups counts once.',
      params: idParams,
      response: { 200: z.object({ people: z.number(), actions: z.array(z.object({ actionId: z.string(), people: z.number() })) }) },
    },
  }, async (req) => workflows.audience(auth(req).accountId, req.params.id));

  app.delete('/workflows/:id', { schema: { operationId: 'deleteWorkflow', summary: 'Delete a workflow', tags, description: 'Soft delete: past activations keep their version.', params: idParams, response: { 204: z.null() } } }, async (req, reply) => {
    await workflows.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.post('/workflows/:id/pause', { schema: { operationId: 'pauseWorkflow', summary: 'Pause a workflow', tags, description: 'A paused workflow refuses activations.', params: idParams, response: { 200: workflowOut } } }, async (req) =>
    workflows.pause(auth(req).accountId, req.params.id));

  app.post('/workflows/:id/resume', { schema: { operationId: 'resumeWorkflow', summary: 'Resume a paused workflow', tags, params: idParams, response: { 200: workflowOut } } }, async (req) =>
    workflows.resume(auth(req).accountId, req.params.id));

  app.get('/workflows/:id/versions', { schema: { operationId: 'listWorkflowVersions', summary: 'List a workflow\'s versions', tags, params: idParams, querystring: pageQuery, response: { 200: pageOf(versionOut) } } }, async (req) =>
    workflows.listVersions(auth(req).accountId, req.params.id, req.query));

  app.get('/workflows/:id/versions/:version', {
    schema: { operationId: 'getWorkflowVersion', summary: 'Get one version of a workflow', tags, params: idParams.extend({ version: z.coerce.number().int().min(1) }), response: { 200: versionOut } },
  }, async (req) => workflows.getVersion(auth(req).accountId, req.params.id, req.params.version));
};
