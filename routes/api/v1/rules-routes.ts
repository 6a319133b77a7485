import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ruleFieldCatalog } from '../../../src/rules/field-catalog.js';
import type { ListsService } from '../../../src/rules/lists-service.js';
import type { RuleLogsService } from '../../../src/rules/rule-logs-service.js';
import type { RulesService } from '../../../src/rules/rules-service.js';
import { ruleInputSchema, rulePatchSchema } from '../../../src/rules/rule-types.js';
import { auth } from '../../auth.js';
import { idParams } from './pagination.js';

export type RuleRoutesOpts = {
  rules: Pick<RulesService, 'create' | 'get' | 'list' | 'update' | 'remove'>;
  ruleLogs: Pick<RuleLogsService, 'pending' | 'cancelOne' | 'flushRule'>;
  lists: Pick<ListsService, 'list' | 'get' | 'create' | 'remove' | 'addMembers' | 'removeMember' | 'members'>;
};

export const ruleOut = z.object({
  id: z.string(), name: z.string(), eventType: z.string(), enabled: z.boolean(), scope: z.unknown(), conditions: z.array(z.unknown()),
  actions: z.array(z.record(z.string(), z.unknown())), rolloutPercent: z.number(), skipIfPending: z.boolean(), stopIf: z.unknown().nullable(),
  window: z.string(), loopCount: z.number(), disabledReason: z.string().nullable(), disabledAt: z.date().nullable(),
  createdAt: z.date(), updatedAt: z.date(),
});
export const pendingOut = z.object({
  id: z.string(), ruleId: z.string(), actionId: z.string(), actionType: z.string(), contactId: z.string().nullable(), eventId: z.string(),
  status: z.string(), dueAt: z.date(), attempts: z.number(), reason: z.string().nullable(), createdAt: z.date(), finishedAt: z.date().nullable(),
});
const listOut = z.object({ id: z.string(), name: z.string(), description: z.string(), memberCount: z.number(), createdAt: z.date() });
const strip = <T extends { accountId?: unknown; chainDepth?: unknown }>({ accountId: _a, chainDepth: _c, ...rest }: T) => rest;
const tags = ['rules'];

/** Rules (event + conditions + actions), their pending actions, and contact lists. */
export const ruleRoutes: FastifyPluginAsyncZod<RuleRoutesOpts> = async (app, { rules, ruleLogs, lists }) => {
  app.get('/rules', {
    schema: { operationId: 'listRules', summary: 'List rules', tags, querystring: z.object({ eventType: z.string().max(100).optional(), enabled: z.enum(['true', 'false']).optional() }), response: { 200: z.object({ data: z.array(ruleOut) }) } },
  }, async (req) => ({
    data: await rules.list(auth(req).accountId, { eventType: req.query.eventType, enabled: req.query.enabled === undefined ? undefined : req.query.enabled === 'true' }),
  }));

  app.post('/rules', {
    schema: {
      operationId: 'createRule', summary: 'Create a rule',
      tags,
      description: 'Conditions must all match (OR = separate rules). An operator that does not fit its field is a 400 `operator_not_allowed` naming `conditions.N.operator`.',
      body: ruleInputSchema, response: { 201: ruleOut },
    },
  }, async (req, reply) => reply.status(201).send(await rules.create(auth(req).accountId, req.body)));

  const valueKind = z.enum(['none', 'single', 'range', 'list', 'duration']);
  const typed = z.object({ path: z.string(), key: z.string(), type: z.string() });
  app.get('/rules/fields', {
    schema: {
      operationId: 'listRuleFields', summary: 'List the fields, types and operators rule conditions may use',
      tags,
      description: 'Read-only: event values per internal event type, contact fields, which operators fit which field type and the value '
        + 'each operator takes, schedule windows and action types: the same tables `POST /v1/rules` validates with.',
      response: { 200: z.object({
        fieldTypes: z.array(z.string()),
        operators: z.array(z.object({ name: z.string(), value: valueKind, types: z.array(z.string()) })),
        operatorsByType: z.record(z.string(), z.array(z.string())),
        eventTypes: z.array(z.object({ type: z.string(), fields: z.array(typed) })),
        contactFields: z.array(typed.extend({ writable: z.boolean() })),
        customFieldPaths: z.object({ contact: z.string(), event: z.string() }),
        withinUnits: z.array(z.string()), withinDirections: z.array(z.string()),
        windows: z.array(z.object({ name: z.string(), fromHour: z.number().nullable(), toHour: z.number().nullable() })),
        actionTypes: z.array(z.string()), timingTypes: z.array(z.string()), updateFieldOperations: z.array(z.string()),
      }) },
    },
  }, async () => ruleFieldCatalog());

  app.get('/rules/:id', { schema: { operationId: 'getRule', summary: 'Get a rule', tags, params: idParams, response: { 200: ruleOut } } }, async (req) => rules.get(auth(req).accountId, req.params.id));

  app.patch('/rules/:id', { schema: { operationId: 'updateRule', summary: 'Change a rule', tags, params: idParams, body: rulePatchSchema, response: { 200: ruleOut } } }, async (req) =>
    rules.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/rules/:id', { schema: { operationId: 'deleteRule', summary: 'Delete a rule', tags, params: idParams, response: { 200: ruleOut } } }, async (req) => rules.remove(auth(req).accountId, req.params.id));

  app.post('/rules/:id/flush', {
    schema: { operationId: 'flushRule', tags, summary: 'Cancel every waiting action of the rule', params: idParams, body: z.object({ contactId: z.uuid().optional() }).strict().optional(), response: { 200: z.object({ cancelled: z.number() }) } },
  }, async (req) => ruleLogs.flushRule(auth(req).accountId, req.params.id, req.body?.contactId));

  app.get('/rule-pending-actions', {
    schema: {
      operationId: 'listRulePendingActions', summary: 'List rule actions waiting to run',
      tags,
      querystring: z.object({
        ruleId: z.uuid().optional(), contactId: z.uuid().optional(),
        status: z.enum(['pending', 'queued', 'running', 'done', 'failed', 'cancelled', 'skipped']).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.uuid().optional(),
      }),
      response: { 200: z.object({ data: z.array(pendingOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const q = req.query;
    const rows = await ruleLogs.pending(auth(req).accountId, { ruleId: q.ruleId, contactId: q.contactId, status: q.status ? [q.status] : undefined, before: q.cursor, limit: q.limit + 1 });
    const data = rows.slice(0, q.limit).map(strip);
    return { data, nextCursor: rows.length > q.limit ? data[data.length - 1]!.id : null };
  });

  app.delete('/rule-pending-actions/:id', { schema: { operationId: 'cancelRulePendingAction', tags, summary: 'Cancel one waiting action', params: idParams, response: { 200: pendingOut } } }, async (req) =>
    strip(await ruleLogs.cancelOne(auth(req).accountId, req.params.id)));

  const listTags = ['lists'];
  app.get('/lists', { schema: { operationId: 'listContactLists', summary: 'List contact lists', tags: listTags, response: { 200: z.object({ data: z.array(listOut) }) } } }, async (req) => ({ data: await lists.list(auth(req).accountId) }));
  app.post('/lists', {
    schema: { operationId: 'createContactList', summary: 'Create a contact list', tags: listTags, body: z.object({ name: z.string().trim().min(1).max(200), description: z.string().max(2000).optional() }).strict(), response: { 201: listOut } },
  }, async (req, reply) => reply.status(201).send(await lists.create(auth(req).accountId, req.body)));
  app.get('/lists/:id', { schema: { operationId: 'getContactList', summary: 'Get a contact list', tags: listTags, params: idParams, response: { 200: listOut } } }, async (req) => lists.get(auth(req).accountId, req.params.id));
  app.delete('/lists/:id', { schema: { operationId: 'deleteContactList', summary: 'Delete a contact list', tags: listTags, params: idParams, response: { 200: listOut } } }, async (req) => lists.remove(auth(req).accountId, req.params.id));
  app.get('/lists/:id/members', {
    schema: { operationId: 'listContactListMembers', summary: 'List a contact list\'s members', tags: listTags, params: idParams, response: { 200: z.object({ data: z.array(z.object({ contactId: z.string(), addedAt: z.date() })) }) } },
  }, async (req) => ({ data: await lists.members(auth(req).accountId, req.params.id) }));
  app.post('/lists/:id/members', {
    schema: { operationId: 'addContactListMembers', summary: 'Add contacts to a contact list', tags: listTags, params: idParams, body: z.object({ contactIds: z.array(z.uuid()).min(1).max(1000) }).strict(), response: { 200: z.object({ added: z.number() }) } },
  }, async (req) => lists.addMembers(auth(req).accountId, req.params.id, req.body.contactIds));
  app.delete('/lists/:id/members/:contactId', {
    schema: { operationId: 'removeContactListMember', summary: 'Remove a contact from a contact list', tags: listTags, params: z.object({ id: z.uuid(), contactId: z.uuid() }), response: { 204: z.null() } },
  }, async (req, reply) => {
    await lists.removeMember(auth(req).accountId, req.params.id, req.params.contactId);
    return reply.status(204).send(null);
  });
};
