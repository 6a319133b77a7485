import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CarriersService } from '../../../src/carriers/carriers-service.js';
import { auth, requireAdmin } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type CarrierRoutesOpts = { carriers: Pick<CarriersService, 'get' | 'list' | 'create' | 'update' | 'remove'> };

const connectionOut = z.object({
  id: z.string(), provider: z.literal('twilio'), name: z.string(), accountSid: z.string(), authTokenSet: z.literal(true),
  lineCount: z.number(), createdAt: z.date(),
});
const accountSid = z.string().trim().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID: AC followed by 32 hex digits');
const authToken = z.string().trim().regex(/^\S{16,200}$/, 'must be the account auth token (16–200 characters, no spaces)');
const tags = ['carrier connections'];

/** Carrier accounts (Twilio). The auth token is write-only: responses say `authTokenSet: true`. */
export const carrierRoutes: FastifyPluginAsyncZod<CarrierRoutesOpts> = async (app, { carriers }) => {
  app.get('/carrier-connections', { schema: { operationId: 'listCarrierConnections', summary: 'List carrier connections', tags, querystring: pageQuery, response: { 200: pageOf(connectionOut) } } }, async (req) =>
    carriers.list(auth(req).accountId, req.query));

  app.post('/carrier-connections', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'createCarrierConnection', summary: 'Connect a carrier account',
      tags,
      body: z.object({ name: z.string().trim().max(200).optional(), accountSid, authToken }).strict(),
      response: { 201: connectionOut },
    },
  }, async (req, reply) => reply.status(201).send(await carriers.create(auth(req).accountId, req.body)));

  app.get('/carrier-connections/:id', { schema: { operationId: 'getCarrierConnection', summary: 'Get a carrier connection', tags, params: idParams, response: { 200: connectionOut } } }, async (req) =>
    carriers.get(auth(req).accountId, req.params.id));

  app.patch('/carrier-connections/:id', {
    preHandler: requireAdmin,
    schema: { operationId: 'updateCarrierConnection', summary: 'Change a carrier connection', tags, params: idParams, body: z.object({ name: z.string().trim().max(200).optional(), authToken: authToken.optional() }).strict(), response: { 200: connectionOut } },
  }, async (req) => carriers.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/carrier-connections/:id', { preHandler: requireAdmin, schema: { operationId: 'deleteCarrierConnection', summary: 'Delete a carrier connection', tags, params: idParams, response: { 204: z.null() } } }, async (req, reply) => {
    await carriers.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });
};
