import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../../src/errors.js';
import { PASSWORD_MAX, PASSWORD_MIN, userRoles, type UsersService } from '../../../src/users/users-service.js';
import { auth, requireAdmin } from '../../auth.js';

export type UsersRoutesOpts = { users: Pick<UsersService, 'createUser' | 'listUsers' | 'getUser' | 'updateUser'> };

const userOut = z.object({
  id: z.string(), email: z.string(), name: z.string(), role: z.enum(userRoles), createdAt: z.date(), disabledAt: z.date().nullable(),
  contactId: z.string().nullable().describe('The contact this user is, for the responder view (PUT /v1/users/:id/contact)'),
});
const password = z.string().min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX);

/** Dashboard users of the caller's account. Admins only (API keys act as admins). */
export const usersRoutes: FastifyPluginAsyncZod<UsersRoutesOpts> = async (app, { users }) => {
  app.addHook('preHandler', requireAdmin);

  app.get('/users', { schema: { operationId: 'listUsers', summary: 'List dashboard users', tags: ['users'], response: { 200: z.object({ data: z.array(userOut) }) } } }, async (req) => ({
    data: await users.listUsers(auth(req).accountId),
  }));

  app.get('/users/:id', { schema: { operationId: 'getUser', summary: 'Get a dashboard user', tags: ['users'], params: z.object({ id: z.uuid() }), response: { 200: userOut } } }, async (req) =>
    users.getUser(auth(req).accountId, req.params.id));

  app.post('/users', {
    schema: {
      operationId: 'createUser', summary: 'Create a dashboard user',
      tags: ['users'],
      body: z.object({
        email: z.email({ error: 'must be an e-mail address' }).max(320),
        name: z.string().trim().max(200).default(''),
        password,
        role: z.enum(userRoles).default('member'),
      }).strict(),
      response: { 201: userOut },
    },
  }, async (req, reply) => reply.status(201).send(await users.createUser(auth(req).accountId, req.body)));

  app.patch('/users/:id', {
    schema: {
      operationId: 'updateUser', summary: 'Change, disable or enable a dashboard user',
      tags: ['users'],
      params: z.object({ id: z.uuid() }),
      body: z.object({
        name: z.string().trim().max(200).optional(),
        role: z.enum(userRoles).optional(),
        password: password.optional(),
        disabled: z.boolean().optional(),
      }).strict(),
      response: { 200: userOut },
    },
  }, async (req) => {
    const a = auth(req);
    // An admin cannot lock themselves out: someone else has to demote or disable them.
    if (a.userId === req.params.id && req.body.disabled) throw ValidationError.field('disabled', 'you cannot disable yourself');
    if (a.userId === req.params.id && req.body.role === 'member') throw ValidationError.field('role', 'you cannot remove your own admin role');
    return users.updateUser(a.accountId, req.params.id, req.body);
  });
};
