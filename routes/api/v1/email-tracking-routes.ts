import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EmailTrackingService } from '../../../src/email-tracking/email-tracking-service.js';
import { auth } from '../../auth.js';
import { idParams } from './pagination.js';

export type EmailTrackingApiOpts = { tracking: Pick<EmailTrackingService, 'get'> };

const statsOut = z.object({
  deliveryId: z.string(),
  openCount: z.number(),
  firstOpenedAt: z.date().nullable(),
  lastOpenedAt: z.date().nullable(),
  machineOpen: z.boolean().nullable(),
  machineReason: z.string().nullable(),
  clickCount: z.number(),
  firstClickedAt: z.date().nullable(),
  lastClickedAt: z.date().nullable(),
  firstClickedUrl: z.string().nullable(),
});

/** Opens and clicks of one e-mail delivery (docs/CHANNELS.md "E-mail open and click tracking"). */
export const emailTrackingApiRoutes: FastifyPluginAsyncZod<EmailTrackingApiOpts> = async (app, { tracking }) => {
  app.get('/deliveries/:id/email-tracking', {
    schema: {
      operationId: 'getEmailTracking', tags: ['activations'], summary: 'Opens and clicks of an e-mail delivery',
      params: idParams, response: { 200: statsOut },
    },
  }, async (req) => tracking.get(auth(req).accountId, req.params.id));
};
