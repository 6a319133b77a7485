/**
 * Dynamic Number Insertion API: number pools per source (`/tracking-pools`, CRUD) and the
 * account's DNI settings with the snippet to embed (`/dni`, `/dni/key` to rotate the public key).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DniPoolsService, DniSettingsView } from '../../../src/tracking/dni-pools-service.js';
import { dniPoolInputSchema, dniSettingsInputSchema } from '../../../src/tracking/dni-types.js';
import { auth, requireAdmin } from '../../auth.js';
import { idParams } from './pagination.js';

export type DniRoutesOpts = {
  pools: Pick<DniPoolsService, 'list' | 'get' | 'create' | 'replace' | 'remove' | 'settings' | 'updateSettings' | 'rotateKey'>;
};

const poolOut = z.object({
  id: z.string(), source: z.string(), default: z.boolean(),
  match: z.object({ utmSources: z.array(z.string()), clickIds: z.array(z.string()), referrerHosts: z.array(z.string()) }),
  lines: z.array(z.object({ id: z.string(), phoneNumber: z.string(), name: z.string() })), createdAt: z.date(), updatedAt: z.date(),
});
const settingsOut = z.object({
  key: z.string().describe('The public DNI key (not an API key): it only lets a page ask for a number of this account'),
  snippet: z.string().describe('The tag to put on every page of the site'),
  allowedOrigins: z.array(z.string()), sessionMinutes: z.number(),
});
const tags = ['call tracking'];

export const dniRoutes: FastifyPluginAsyncZod<DniRoutesOpts> = async (app, { pools }) => {
  const out = (s: DniSettingsView) => ({ key: s.publicKey, snippet: s.snippet, allowedOrigins: s.allowedOrigins, sessionMinutes: s.sessionMinutes });

  app.get('/tracking-pools', { schema: { operationId: 'listTrackingPools', summary: 'List DNI number pools', tags, response: { 200: z.object({ data: z.array(poolOut) }) } } },
    async (req) => ({ data: await pools.list(auth(req).accountId) }));

  app.post('/tracking-pools', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'createTrackingPool', summary: 'Create a DNI number pool', tags, body: dniPoolInputSchema, response: { 201: poolOut },
      description: 'The tracking lines whose numbers visitors of `source` are shown (docs/CALL-TRACKING.md "Website numbers").',
    },
  }, async (req, reply) => reply.status(201).send(await pools.create(auth(req).accountId, req.body)));

  app.get('/tracking-pools/:id', { schema: { operationId: 'getTrackingPool', summary: 'Get a DNI number pool', tags, params: idParams, response: { 200: poolOut } } },
    async (req) => pools.get(auth(req).accountId, req.params.id));

  app.put('/tracking-pools/:id', {
    preHandler: requireAdmin,
    schema: { operationId: 'replaceTrackingPool', summary: 'Replace a DNI number pool', tags, params: idParams, body: dniPoolInputSchema, response: { 200: poolOut } },
  }, async (req) => pools.replace(auth(req).accountId, req.params.id, req.body));

  app.delete('/tracking-pools/:id', {
    preHandler: requireAdmin,
    schema: { operationId: 'deleteTrackingPool', summary: 'Delete a DNI number pool', tags, params: idParams, response: { 204: z.null() } },
  }, async (req, reply) => {
    await pools.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/dni', { schema: { operationId: 'getDniSettings', summary: 'DNI settings and the snippet to embed', tags, response: { 200: settingsOut } } },
    async (req) => out(await pools.settings(auth(req).accountId)));

  app.put('/dni', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'updateDniSettings', summary: 'Update DNI settings', tags, body: dniSettingsInputSchema, response: { 200: settingsOut },
      description: '`allowedOrigins`: the sites that may ask for numbers (empty: any); `sessionMinutes`: how long a visitor keeps a number after their last page view, and the window a call is attributed in.',
    },
  }, async (req) => out(await pools.updateSettings(auth(req).accountId, req.body)));

  app.post('/dni/key', {
    preHandler: requireAdmin,
    schema: { operationId: 'rotateDniKey', summary: 'Replace the public DNI key', tags, response: { 200: settingsOut } },
  }, async (req) => out(await pools.rotateKey(auth(req).accountId)));
};
