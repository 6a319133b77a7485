import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationsService } from '../../../src/conversations/conversations-service.js';
import { auth } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type ConversationRoutesOpts = { conversations: Pick<ConversationsService, 'forContact'> };

const messageOut = z.object({
  id: z.string(), direction: z.enum(['inbound', 'outbound']), channel: z.enum(['sms', 'email', 'voice', 'push']),
  from: z.string().nullable(), to: z.string().nullable(), body: z.string(), status: z.string().nullable(),
  lineId: z.string().nullable(), activationId: z.string().nullable(), createdAt: z.date(),
});

/** `GET /v1/contacts/:id/messages`: the contact's conversation history, newest first. */
export const conversationRoutes: FastifyPluginAsyncZod<ConversationRoutesOpts> = async (app, { conversations }) => {
  app.get('/contacts/:id/messages', {
    schema: { operationId: 'listContactMessages', summary: 'List messages with a contact', tags: ['contacts'], description: 'Every inbound and outbound message with the contact, newest first.', params: idParams, querystring: pageQuery, response: { 200: pageOf(messageOut) } },
  }, async (req) => conversations.forContact(auth(req).accountId, req.params.id, req.query));
};
