import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ForbiddenError } from '../../../src/errors.js';
import type { Responder, ResponderService } from '../../../src/push/responder-service.js';
import { auth, requireAdmin } from '../../auth.js';

export type ResponderRoutesOpts = { responder: ResponderService };

const deviceOut = z.object({ id: z.string(), device: z.string(), pushService: z.string(), createdAt: z.date(), lastUsedAt: z.date().nullable() });
const alertOut = z.object({
  deliveryId: z.string(), activationId: z.string(), workflowName: z.string(), channel: z.string(), status: z.string(),
  title: z.string(), body: z.string(), sentAt: z.date(), acknowledged: z.boolean(),
  poll: z.object({ question: z.string(), options: z.array(z.string()), closesAt: z.date(), closed: z.boolean(), myAnswer: z.number().nullable() }).nullable(),
});
const via = z.enum(['push', 'responder_view']).default('responder_view');

/** The signed-in dashboard user (an API key is nobody's phone). */
const responderOf = (req: FastifyRequest): Responder => {
  const a = auth(req);
  if (!a.userId) throw new ForbiddenError('the responder view is for signed-in dashboard users, not API keys');
  return { accountId: a.accountId, userId: a.userId };
};

/**
 * The responder view (dashboard `#/responder`, the PWA on a phone): the signed-in user's devices
 * for Web Push, their alerts, acknowledge and poll answers. Members may use all of it for
 * themselves; linking a user to a contact is for admins.
 */
export const responderRoutes: FastifyPluginAsyncZod<ResponderRoutesOpts> = async (app, { responder }) => {
  const tags = ['responder'];
  const member = { memberAllowed: true };

  app.get('/responder', {
    schema: {
      operationId: 'getResponder', summary: 'My contact, my push devices and the VAPID public key', tags,
      response: { 200: z.object({ contact: z.object({ id: z.string(), name: z.string() }).nullable(), vapidPublicKey: z.string().nullable(), devices: z.array(deviceOut) }) },
    },
  }, async (req) => responder.profile(responderOf(req)));

  app.post('/responder/push-subscriptions', {
    config: member,
    schema: {
      operationId: 'createPushSubscription', summary: 'Register this device for Web Push (PushSubscription.toJSON())', tags,
      body: z.object({
        endpoint: z.string().min(1).max(2048),
        expirationTime: z.number().nullable().optional(),
        keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
        device: z.string().max(200).optional(),
      }),
      response: { 201: deviceOut },
    },
  }, async (req, reply) => reply.status(201).send(await responder.subscribe(responderOf(req), req.body)));

  app.delete('/responder/push-subscriptions/:id', {
    config: member,
    schema: { operationId: 'deletePushSubscription', summary: 'Stop pushing to one of my devices', tags, params: z.object({ id: z.string() }) },
  }, async (req, reply) => {
    await responder.unsubscribe(responderOf(req), req.params.id);
    return reply.status(204).send();
  });

  app.get('/responder/alerts', {
    schema: {
      operationId: 'listMyAlerts', summary: 'Alerts that reached me, newest first', tags,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      response: { 200: z.object({ data: z.array(alertOut) }) },
    },
  }, async (req) => ({ data: await responder.alerts(responderOf(req), req.query.limit) }));

  app.post('/responder/alerts/:deliveryId/acknowledge', {
    config: member,
    schema: {
      operationId: 'acknowledgeAlert', summary: 'Acknowledge one of my alerts', tags,
      params: z.object({ deliveryId: z.string() }), body: z.object({ via }).optional(), response: { 200: alertOut },
    },
  }, async (req) => responder.acknowledge(responderOf(req), req.params.deliveryId, req.body?.via ?? 'responder_view'));

  app.post('/responder/alerts/:deliveryId/answer', {
    config: member,
    schema: {
      operationId: 'answerAlertPoll', summary: 'Answer the poll of one of my alerts (also acknowledges it)', tags,
      params: z.object({ deliveryId: z.string() }),
      body: z.object({ option: z.number({ error: 'must be the option number' }).int().min(1).max(9), via }),
      response: { 200: alertOut },
    },
  }, async (req) => responder.answer(responderOf(req), req.params.deliveryId, req.body.option, req.body.via));

  app.put('/users/:id/contact', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'linkUserContact', summary: 'Link a dashboard user to the contact they are (null unlinks)', tags: ['users'],
      params: z.object({ id: z.uuid() }), body: z.object({ contactId: z.uuid().nullable() }).strict(),
      response: { 200: z.object({ userId: z.string(), contactId: z.string().nullable() }) },
    },
  }, async (req) => {
    await responder.linkUser(auth(req).accountId, req.params.id, req.body.contactId);
    return { userId: req.params.id, contactId: req.body.contactId };
  });
};
