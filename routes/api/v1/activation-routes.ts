import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ActivationQueries } from '../../../src/engine/activation-queries.js';
import type { ActivationService } from '../../../src/engine/activation-service.js';
import { activationSources } from '../../../src/engine/activation-types.js';
import { stableHash } from '../../../src/crypto.js';
import { ValidationError } from '../../../src/errors.js';
import { auth } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type ActivationRoutesOpts = {
  activations: Pick<ActivationService, 'activate'>;
  queries: Pick<ActivationQueries, 'detail' | 'list'>;
};

const tags = ['activations'];

const activationOut = z.object({
  id: z.string(),
  workflowId: z.string(),
  workflowVersion: z.number(),
  source: z.string(),
  status: z.enum(['queued', 'planning', 'running', 'dispatched', 'completed', 'failed']).describe(
    'queued, planning, running (sending), dispatched (every send handed to the carrier, some not final yet), '
    + 'completed (every delivery final: delivered, answered, acknowledged, failed, no-answer, busy, skipped), failed (not planned)'),
  recipientCount: z.number().nullable(),
  placeholders: z.record(z.string(), z.string()),
  inboundMessage: z.string().nullable(),
  recordingUrl: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.date(),
  plannedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
});

const deliveryOut = z.object({
  deliveryId: z.string(), actionId: z.string(), channel: z.string(),
  status: z.string().describe('pending, sending, queued, sent, delivered, failed, answered, no-answer, busy, acknowledged, skipped'),
  skipReason: z.string().nullable().describe('do_not_contact, opted_out_<channel>, no_phone, no_email, no_pager_number, no_sending_line'),
  errorCode: z.string().nullable().describe("the carrier's error code when failed"),
  providerMessageId: z.string().nullable().describe("the carrier's id of the send: message SID (SM…) for a text, call SID (CA…) for a call, "
    + "Message-ID for an e-mail; null until handed over. Matches the carrier's own logs"),
  errorMessage: z.string().nullable(),
  failureReason: z.string().nullable().describe('why it was skipped or failed, in words, e.g. "Unreachable destination handset"; the live feed sends the same'),
  failureCode: z.string().nullable().describe('the code those words describe: the carrier\'s error code (e.g. 30003), an engine code, or the skip reason'),
  attempts: z.number(), notes: z.record(z.string(), z.unknown()), updatedAt: z.date(),
});

const countsOut = z.record(z.string(), z.number())
  .describe('deliveries per status, e.g. { "queued": 4, "delivered": 2, "failed": 1 }; statuses with none are left out');

const detailOut = activationOut.extend({
  workflowName: z.string(),
  counts: countsOut,
  recipients: z.array(z.object({ recipientKey: z.string(), contactId: z.string().nullable(), name: z.string().nullable(), deliveries: z.array(deliveryOut) })),
});

const activateBody = z.object({
  placeholders: z.record(z.string().max(64), z.string().max(2000)).default({}),
  source: z.enum(['api', 'dashboard', 'agent']).default('api'),
}).strict();

const IDEMPOTENCY = `Send an \`Idempotency-Key\` header (1–200 printable characters) to make retries safe: the same key with
the same body returns the first activation (200) and sends nothing again; the same key with a different body is a 422;
while the first request with that key is still being processed, a 409. Without the header every request is a new
activation. Missing [[placeholder]] values: 400 listing each as \`placeholders.<name>\`. An agent trigger is this call
with \`source: "agent"\`.`;

const toOut = <T extends z.infer<typeof activationOut>>(a: T) => a;

/** Activate a workflow, read an activation with each recipient's state, list activations. */
export const activationRoutes: FastifyPluginAsyncZod<ActivationRoutesOpts> = async (app, { activations, queries }) => {
  app.post('/workflows/:id/activations', {
    schema: {
      operationId: 'activateWorkflow', summary: 'Activate a workflow',
      tags, description: IDEMPOTENCY, params: idParams, body: activateBody,
      headers: z.object({ 'idempotency-key': z.string().optional() }).loose(),
      response: { 200: activationOut, 201: activationOut },
    },
  }, async (req, reply) => {
    const a = auth(req);
    const header = req.headers['idempotency-key'];
    if (header !== undefined && (typeof header !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(header))) {
      throw new ValidationError('Idempotency-Key: must be 1–200 printable characters without spaces', [{ path: 'headers.idempotency-key', message: 'must be 1–200 printable characters without spaces' }]);
    }
    const key = typeof header === 'string' ? header : randomUUID();
    const result = await activations.activate({
      accountId: a.accountId,
      workflowId: req.params.id,
      source: req.body.source,
      idempotencyKey: `api:${key}`,
      requestHash: stableHash({ workflowId: req.params.id, body: req.body }),
      placeholders: req.body.placeholders,
      context: { via: a.via, ...(a.userId ? { userId: a.userId } : {}), ...(a.apiKeyId ? { apiKeyId: a.apiKeyId } : {}) },
      onConcurrent: 'conflict',
    });
    return reply.status(result.created ? 201 : 200).send(toOut(result.activation));
  });

  app.get('/activations/:id', {
    schema: { operationId: 'getActivation', summary: 'Get an activation and each recipient\'s progress', tags, description: 'Status, counts, and each recipient\'s state per action and channel.', params: idParams, response: { 200: detailOut } },
  }, async (req) => queries.detail(auth(req).accountId, req.params.id));

  app.get('/activations', {
    schema: {
      operationId: 'listActivations', summary: 'List activations',
      tags,
      description: 'Newest first. Filters: `workflowId`, `source`, `from` / `to` (ISO 8601, created at >= from and < to).',
      querystring: pageQuery.extend({
        workflowId: z.uuid({ error: 'must be a UUID' }).optional(),
        source: z.enum(activationSources).optional(),
        from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
        to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
      }),
      response: { 200: pageOf(activationOut.extend({ workflowName: z.string(), counts: countsOut })) },
    },
  }, async (req) => {
    const q = req.query;
    return queries.list(auth(req).accountId, {
      workflowId: q.workflowId, source: q.source, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined,
    }, { limit: q.limit, cursor: q.cursor });
  });
};
