import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RuleLogsService } from '../../../src/rules/rule-logs-service.js';
import { auth } from '../../auth.js';
import { idParams } from './pagination.js';
import { pendingOut } from './rules-routes.js';

export type RuleLogRoutesOpts = { ruleLogs: Pick<RuleLogsService, 'logs' | 'contactHistory' | 'notifications'> };

const logOut = z.object({
  id: z.number(), ruleId: z.string(), contactId: z.string().nullable(), eventId: z.string().nullable(), kind: z.enum(['evaluation', 'action']),
  outcome: z.string(), actionId: z.string().nullable(), actionType: z.string().nullable(), pendingId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()), at: z.date(),
});
const cursor = z.coerce.number().int().min(1).optional();
const strip = <T extends { accountId?: unknown; chainDepth?: unknown }>({ accountId: _a, chainDepth: _c, ...rest }: T) => rest;
const tags = ['rules'];

/** Every rule evaluation and action outcome; a contact's rule history; account notifications. */
export const ruleLogRoutes: FastifyPluginAsyncZod<RuleLogRoutesOpts> = async (app, { ruleLogs }) => {
  app.get('/rule-logs', {
    schema: {
      operationId: 'listRuleLogs', summary: 'List rule evaluations',
      tags,
      querystring: z.object({
        from: z.coerce.date().optional(), to: z.coerce.date().optional(), contactId: z.uuid().optional(), listId: z.uuid().optional(),
        ruleId: z.uuid().optional(), actionType: z.string().max(40).optional(), kind: z.enum(['evaluation', 'action']).optional(),
        outcome: z.string().max(40).optional(), limit: z.coerce.number().int().min(1).max(500).default(100), cursor,
      }),
      response: { 200: z.object({ data: z.array(logOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const { cursor: c, limit, ...f } = req.query;
    const rows = await ruleLogs.logs(auth(req).accountId, { ...f, beforeId: c, limit: limit + 1 });
    const data = rows.slice(0, limit).map(strip);
    return { data, nextCursor: rows.length > limit ? String(data[data.length - 1]!.id) : null };
  });

  app.get('/contacts/:id/rule-history', {
    schema: {
      operationId: 'listContactRuleHistory', summary: 'List the rules that ran for a contact',
      tags: ['rules', 'contacts'],
      params: idParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor }),
      response: { 200: z.object({ data: z.array(logOut), pending: z.array(pendingOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const { history, pending } = await ruleLogs.contactHistory(auth(req).accountId, req.params.id, { beforeId: req.query.cursor, limit: req.query.limit + 1 });
    const data = history.slice(0, req.query.limit).map(strip);
    return { data, pending: pending.map(strip), nextCursor: history.length > req.query.limit ? String(data[data.length - 1]!.id) : null };
  });

  app.get('/account/notifications', {
    schema: {
      operationId: 'listAccountNotifications', summary: 'List notifications for the account\'s owners',
      tags: ['account'],
      response: { 200: z.object({ data: z.array(z.object({
        id: z.string(), kind: z.string(), title: z.string(), body: z.string(), data: z.unknown(), emailedAt: z.date().nullable(), readAt: z.date().nullable(), createdAt: z.date(),
      })) }) },
    },
  }, async (req) => ({ data: await ruleLogs.notifications(auth(req).accountId) }));
};
