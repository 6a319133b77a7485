import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebhookTestService } from '../../../src/webhooks/webhook-test-service.js';
import { auth } from '../../auth.js';

export type ActionTestRoutesOpts = { webhookTests: Pick<WebhookTestService, 'testAction'> };

const reportOut = z.object({
  ok: z.boolean(),
  status: z.number().nullable(),
  durationMs: z.number(),
  redirects: z.number(),
  refused: z.boolean(),
  error: z.object({ kind: z.string(), reason: z.string() }).nullable(),
  responseExcerpt: z.string().nullable(),
  request: z.object({ method: z.enum(['GET', 'POST']), url: z.string(), body: z.string().nullable(), authorization: z.boolean() }),
});

/**
 * `POST /v1/workflows/:id/actions/:actionId/test`: sends a test request for a webhook action
 * (sample field values, real Authorization header, same SSRF guard as deliveries) and reports
 * the HTTP status and timing, or why the request was refused or failed.
 */
export const actionTestRoutes: FastifyPluginAsyncZod<ActionTestRoutesOpts> = async (app, { webhookTests }) => {
  app.post('/workflows/:id/actions/:actionId/test', {
    schema: {
      operationId: 'testWorkflowAction',
      tags: ['workflows'],
      summary: 'Send a test request for a webhook action',
      params: z.object({ id: z.uuid(), actionId: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'is not an action id') }),
      body: z.object({
        placeholders: z.record(z.string(), z.string().max(2000)).optional(),
        recordingUrl: z.string().max(2000).nullish(),
        inboundMessage: z.string().max(2000).nullish(),
        promptOutput: z.string().max(8000).nullish(),
      }).strict().nullish(),
      response: { 200: reportOut },
    },
  }, async (req) => webhookTests.testAction(auth(req).accountId, req.params.id, req.params.actionId, req.body ?? {}));
};
