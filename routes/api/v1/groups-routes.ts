import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GroupsService } from '../../../src/groups/groups-service.js';
import { auth } from '../../auth.js';
import { contactOut } from './contacts-routes.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type GroupRoutesOpts = { groups: Pick<GroupsService, 'get' | 'list' | 'create' | 'update' | 'remove' | 'addMembers' | 'removeMember' | 'listMembers'> };

const groupOut = z.object({ id: z.string(), name: z.string(), description: z.string(), memberCount: z.number(), createdAt: z.date(), updatedAt: z.date() });
const groupIn = z.object({ name: z.string().trim().min(1, 'may not be empty').max(200), description: z.string().trim().max(2000).optional() }).strict();
const tags = ['groups'];

/** Groups of contacts and their members. */
export const groupRoutes: FastifyPluginAsyncZod<GroupRoutesOpts> = async (app, { groups }) => {
  app.get('/groups', { schema: { operationId: 'listGroups', summary: 'List groups', tags, querystring: pageQuery, response: { 200: pageOf(groupOut) } } }, async (req) => groups.list(auth(req).accountId, req.query));

  app.post('/groups', { schema: { operationId: 'createGroup', summary: 'Create a group', tags, body: groupIn, response: { 201: groupOut } } }, async (req, reply) =>
    reply.status(201).send(await groups.create(auth(req).accountId, req.body)));

  app.get('/groups/:id', { schema: { operationId: 'getGroup', summary: 'Get a group', tags, params: idParams, response: { 200: groupOut } } }, async (req) => groups.get(auth(req).accountId, req.params.id));

  app.patch('/groups/:id', { schema: { operationId: 'updateGroup', summary: 'Change a group', tags, params: idParams, body: groupIn.partial().strict(), response: { 200: groupOut } } }, async (req) =>
    groups.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/groups/:id', {
    schema: { operationId: 'deleteGroup', summary: 'Delete a group', tags, description: 'Refused (409 group_in_use) while a workflow addresses the group.', params: idParams, response: { 204: z.null() } },
  }, async (req, reply) => {
    await groups.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/groups/:id/members', { schema: { operationId: 'listGroupMembers', summary: 'List a group\'s members', tags, params: idParams, querystring: pageQuery, response: { 200: pageOf(contactOut) } } }, async (req) =>
    groups.listMembers(auth(req).accountId, req.params.id, req.query));

  app.post('/groups/:id/members', {
    schema: {
      operationId: 'addGroupMembers', summary: 'Add contacts to a group',
      tags,
      description: 'Adds contacts of the account to the group (adding a member twice is fine).',
      params: idParams,
      body: z.object({ contactIds: z.array(z.uuid({ error: 'must be a UUID' })).min(1).max(1000) }).strict(),
      response: { 200: z.object({ added: z.number() }) },
    },
  }, async (req) => groups.addMembers(auth(req).accountId, req.params.id, req.body.contactIds));

  app.delete('/groups/:id/members/:contactId', {
    schema: { operationId: 'removeGroupMember', summary: 'Remove a contact from a group', tags, params: idParams.extend({ contactId: z.uuid({ error: 'must be a UUID' }) }), response: { 204: z.null() } },
  }, async (req, reply) => {
    await groups.removeMember(auth(req).accountId, req.params.id, req.params.contactId);
    return reply.status(204).send(null);
  });
};
