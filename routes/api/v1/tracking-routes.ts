/**
 * Call tracking API: post-call workflows (`/tracking-workflows`, CRUD), tracked calls
 * (`/calls`) and the log of every post-call workflow evaluation (`/tracking-logs`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TrackingLogsService } from '../../../src/tracking/tracking-logs-service.js';
import type { TrackingPreview } from '../../../src/tracking/tracking-preview.js';
import { smsCallerActionSchema, trackingTriggers, trackingWorkflowInputSchema } from '../../../src/tracking/tracking-types.js';
import type { TrackingWorkflowsService } from '../../../src/tracking/tracking-workflows-service.js';
import { auth, requireAdmin } from '../../auth.js';
import { idParams } from './pagination.js';

export type TrackingRoutesOpts = {
  workflows: Pick<TrackingWorkflowsService, 'list' | 'get' | 'create' | 'replace' | 'remove'>;
  logs: Pick<TrackingLogsService, 'listCalls' | 'getCall' | 'listLogs'>;
  preview: Pick<TrackingPreview, 'sms'>;
};

const workflowOut = z.object({
  id: z.string(), name: z.string(), enabled: z.boolean(), trigger: z.enum(['answered', 'missed']),
  conditions: z.array(z.record(z.string(), z.unknown())), actions: z.array(z.record(z.string(), z.unknown())), createdAt: z.date(), updatedAt: z.date(),
});
const callOut = z.object({
  id: z.string(), callSid: z.string(), caller: z.string(), contactId: z.string().nullable(), lineId: z.string().nullable(), source: z.string(),
  status: z.enum(['in-progress', 'ended']), outcome: z.enum(['answered', 'missed']).nullable(), endReason: z.string().nullable(),
  talkSeconds: z.number().nullable(), recordingUrl: z.string().nullable(), forwardedTo: z.array(z.string()), ringStrategy: z.string(),
  answeredBy: z.string().nullable(), startedAt: z.date(), answeredAt: z.date().nullable(), endedAt: z.date().nullable(),
  visitor: z.object({
    visitorId: z.string(), assignmentId: z.string(), assignedAt: z.string(), reused: z.boolean(), utmSource: z.string().nullable(),
    utmMedium: z.string().nullable(), utmCampaign: z.string().nullable(), referrerHost: z.string().nullable(),
    clickIdType: z.string().nullable(), clickId: z.string().nullable(), landingPage: z.string().nullable(),
  }).nullable().describe('The website session the call was attributed to (Dynamic Number Insertion), or null'),
});
const logOut = z.object({
  id: z.string(), callId: z.string(), workflowId: z.string(), workflowName: z.string(), trigger: z.string(), caller: z.string(),
  lineId: z.string().nullable(), source: z.string(), matched: z.boolean(), reason: z.string().nullable(), conditions: z.array(z.unknown()),
  actions: z.array(z.record(z.string(), z.unknown())), status: z.string(), activationId: z.string().nullable(), createdAt: z.date(),
});
const filters = {
  from: z.coerce.date({ error: 'must be a date-time' }).optional(),
  to: z.coerce.date({ error: 'must be a date-time' }).optional(),
  caller: z.string().trim().max(64).optional(),
  lineId: z.uuid({ error: 'must be a UUID' }).optional(),
  source: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
};
const tags = ['call tracking'];

export const trackingRoutes: FastifyPluginAsyncZod<TrackingRoutesOpts> = async (app, { workflows, logs, preview }) => {
  app.get('/tracking-workflows', { schema: { operationId: 'listTrackingWorkflows', summary: 'List post-call workflows', tags, response: { 200: z.object({ data: z.array(workflowOut) }) } } },
    async (req) => ({ data: await workflows.list(auth(req).accountId) }));

  app.post('/tracking-workflows', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'createTrackingWorkflow', summary: 'Create a post-call workflow',
      tags,
      description: 'A post-call workflow: trigger (answered | missed), conditions that must ALL match, actions (docs/CALL-TRACKING.md).',
      body: trackingWorkflowInputSchema,
      response: { 201: workflowOut },
    },
  }, async (req, reply) => reply.status(201).send(await workflows.create(auth(req).accountId, req.body)));

  app.post('/tracking-workflows/preview', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'previewTrackingSms', summary: 'Preview a post-call text to the caller',
      tags,
      description: 'Renders an `sms_caller` message as a post-call run would, on a sample call (caller +14155550100, the given or first tracking line, now in the account\'s time zone). Sends and stores nothing.',
      body: z.object({
        message: smsCallerActionSchema.shape.message,
        trigger: z.enum(trackingTriggers, { error: 'must be answered or missed' }).default('answered'),
        lineId: z.uuid({ error: 'must be a UUID' }).optional(),
      }).strict(),
      response: {
        200: z.object({
          text: z.string(), length: z.number(), maxLength: z.number(), unknownFields: z.array(z.string()),
          sample: z.record(z.string(), z.union([z.string(), z.number()])),
        }),
      },
    },
  }, async (req) => preview.sms(auth(req).accountId, req.body));

  app.get('/tracking-workflows/:id', { schema: { operationId: 'getTrackingWorkflow', summary: 'Get a post-call workflow', tags, params: idParams, response: { 200: workflowOut } } },
    async (req) => workflows.get(auth(req).accountId, req.params.id));

  app.put('/tracking-workflows/:id', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'replaceTrackingWorkflow', summary: 'Replace a post-call workflow',
      tags, params: idParams, body: trackingWorkflowInputSchema, response: { 200: workflowOut },
      description: 'Replaces the definition. A webhook action left without `authorization` keeps the stored one of the same action id; null clears it.',
    },
  }, async (req) => workflows.replace(auth(req).accountId, req.params.id, req.body));

  app.delete('/tracking-workflows/:id', { preHandler: requireAdmin, schema: { operationId: 'deleteTrackingWorkflow', summary: 'Delete a post-call workflow', tags, params: idParams, response: { 204: z.null() } } }, async (req, reply) => {
    await workflows.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/calls', {
    schema: {
      operationId: 'listTrackedCalls', summary: 'List tracked calls',
      tags, description: 'Tracked calls, newest first.',
      querystring: z.object({ ...filters, outcome: z.enum(['answered', 'missed'], { error: 'must be answered or missed' }).optional() }),
      response: { 200: z.object({ data: z.array(callOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => logs.listCalls(auth(req).accountId, req.query));

  app.get('/calls/:id', {
    schema: { operationId: 'getTrackedCall', summary: 'Get a tracked call', tags, params: idParams, response: { 200: callOut.extend({ logs: z.array(logOut) }) } },
  }, async (req) => logs.getCall(auth(req).accountId, req.params.id));

  app.get('/tracking-logs', {
    schema: {
      operationId: 'listTrackingLogs', summary: 'List post-call workflow evaluations',
      tags, description: 'Every post-call workflow evaluation, newest first: each condition\'s result, each action\'s result with its deliveries.',
      querystring: z.object({
        ...filters,
        workflowId: z.uuid({ error: 'must be a UUID' }).optional(),
        callId: z.uuid({ error: 'must be a UUID' }).optional(),
        matched: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
      }),
      response: { 200: z.object({ data: z.array(logOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const { matched, ...f } = req.query;
    return logs.listLogs(auth(req).accountId, { ...f, matched: matched === undefined ? undefined : matched === 'true' });
  });
};
