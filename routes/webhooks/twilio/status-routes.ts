/**
 * `POST /webhooks/twilio/status[?delivery=…&kind=…]`: carrier status of a message or call.
 * The URL's query is passed to listeners as `params`. A listener failure answers 500 so the
 * carrier may retry (listeners are idempotent); nothing else here is a 5xx.
 */
import type { FastifyPluginAsync } from 'fastify';
import { messagingResponse } from '../../../ivr/sms-replies.js';
import type { StatusService } from '../../../src/telephony/status-service.js';
import { toStatusInput } from './params.js';
import { sendTwiml } from './voice-routes.js';

export type StatusRoutesOpts = { statuses: Pick<StatusService, 'record'> };

export const statusRoutes: FastifyPluginAsync<StatusRoutesOpts> = async (app, opts) => {
  app.post('/status', { schema: { hide: true } }, async (req, reply) => {
    const input = toStatusInput(req);
    const outcome = await opts.statuses.record(input);
    if (outcome.listenerErrors.length > 0) {
      req.log.error({ err: outcome.listenerErrors[0], providerId: input.providerId, status: input.status }, 'status listener failed');
      return reply.status(500).send({ error: 'listener_failed', message: 'internal error', details: null, requestId: req.id });
    }
    return sendTwiml(reply, messagingResponse(null));
  });
};
