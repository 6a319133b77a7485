import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../../src/accounts/accounts-service.js';
import { emailTrackingSettingSchema } from '../../../src/email-tracking/email-tracking-types.js';
import { quietHoursSettingSchema } from '../../../src/sequences/quiet-hours.js';
import { auth, requireAdmin } from '../../auth.js';

export type AccountRoutesOpts = { accounts: Pick<AccountsService, 'getAccount' | 'updateAccount' | 'listKeys' | 'createKey' | 'revokeKey'> };

const apiKeyOut = z.object({
  id: z.string(), name: z.string(), prefix: z.string(), createdAt: z.date(), lastUsedAt: z.date().nullable(), revokedAt: z.date().nullable(),
});
const accountOut = z.object({
  id: z.string(), name: z.string(), timezone: z.string(), helpText: z.string(), ownerEmails: z.array(z.string()),
  settings: z.record(z.string(), z.unknown()), createdAt: z.date(),
});

/** The caller's own account and its API keys. Keys are shown once, at creation. */
export const accountRoutes: FastifyPluginAsyncZod<AccountRoutesOpts> = async (app, { accounts }) => {
  app.get('/account', { schema: { operationId: 'getAccount', summary: 'Get the account', tags: ['account'], response: { 200: accountOut } } }, async (req) => accounts.getAccount(auth(req).accountId));

  app.patch('/account', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'updateAccount', summary: 'Change the account',
      description: 'Fields left out are kept. `settings` is merged key by key into the stored settings: keys left out keep their value, a key sent as `null` is removed.',
      tags: ['account'],
      body: z.object({
        name: z.string().trim().min(1).max(200).optional(),
        timezone: z.string().optional(),
        helpText: z.string().trim().min(1).max(320).optional(),
        ownerEmails: z.array(z.email()).max(20).optional(),
        // Merged key by key into the stored settings: keys left out are kept, a key sent as null is removed.
        // Known keys are checked (a malformed one is a 400, never ignored).
        // emailTracking: { opens, clicks } (off by default; docs/CHANNELS.md "E-mail open and click tracking").
        settings: z.object({
          quietHours: quietHoursSettingSchema.optional(), emailTracking: emailTrackingSettingSchema.optional(),
        }).catchall(z.unknown()).optional(),
      }).strict(),
      response: { 200: accountOut },
    },
  }, async (req) => accounts.updateAccount(auth(req).accountId, req.body));

  app.get('/api-keys', { schema: { operationId: 'listApiKeys', summary: 'List the account\'s API keys', tags: ['account'], response: { 200: z.object({ data: z.array(apiKeyOut) }) } } }, async (req) => ({
    data: await accounts.listKeys(auth(req).accountId),
  }));

  app.post('/api-keys', {
    preHandler: requireAdmin,
    schema: { operationId: 'createApiKey', summary: 'Create an API key (shown once)', tags: ['account'], body: z.object({ name: z.string().trim().min(1).max(100) }).strict(), response: { 201: apiKeyOut.extend({ key: z.string() }) } },
  }, async (req, reply) => {
    const { apiKey, key } = await accounts.createKey(auth(req).accountId, req.body.name);
    return reply.status(201).send({ ...apiKey, key });
  });

  app.delete('/api-keys/:id', {
    preHandler: requireAdmin,
    schema: { operationId: 'revokeApiKey', summary: 'Revoke an API key', tags: ['account'], params: z.object({ id: z.uuid() }), response: { 200: apiKeyOut } },
  }, async (req) => accounts.revokeKey(auth(req).accountId, req.params.id));
};
