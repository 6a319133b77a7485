import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CallbacksService } from '../../../src/rules/callbacks-service.js';
import { auth } from '../../auth.js';
import { idParams, pageQuery } from './pagination.js';

export type CallbacksRoutesOpts = { callbacks: Pick<CallbacksService, 'list' | 'get' | 'move' | 'cancel'> };

const statuses = ['scheduled', 'calling', 'completed', 'failed', 'cancelled'] as const;
const callbackOut = z.object({
  id: z.string(), contactId: z.string(), ruleId: z.string().nullable(), pendingActionId: z.string().nullable(), actionId: z.string().nullable(),
  eventId: z.string().nullable(), kind: z.enum(['scheduled', 'immediate']), lineId: z.string(), agentGroupId: z.string().nullable(),
  agentNumber: z.string().nullable(), whisper: z.string(), window: z.string(), status: z.enum(statuses), dueAt: z.date(),
  agents: z.array(z.string()), agentIndex: z.number(), deliveryId: z.string().nullable(), answeredBy: z.string().nullable(),
  reason: z.string().nullable(), talkSeconds: z.number().nullable(), createdAt: z.date(), updatedAt: z.date(),
  claimedAt: z.date().nullable(), finishedAt: z.date().nullable(),
});
// PostgreSQL's timestamptz stops at 4713 BC / 294276 AD; JavaScript dates go further (a 400 naming no field).
const storable = (d: Date) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999;
const inRange = 'must be a date between the years 1 and 9999';
const date = (what: string) => z.coerce.date({ error: 'must be an ISO date or timestamp' }).refine(storable, inRange).optional().describe(what);
const tags = ['rules'];

/** Callbacks booked by rule actions (schedule_callback, place_call): list, get, move, cancel. */
export const callbacksRoutes: FastifyPluginAsyncZod<CallbacksRoutesOpts> = async (app, { callbacks }) => {
  app.get('/callbacks', {
    schema: {
      tags, operationId: 'listCallbacks', summary: 'List callbacks',
      description: 'Callbacks by due time (earliest first). `from` is inclusive, `to` exclusive (on `dueAt`). A bad filter is a 400 naming it.',
      querystring: pageQuery.extend({
        contactId: z.uuid({ error: 'must be a UUID' }).optional().describe('Only this contact\'s callbacks'),
        status: z.enum(statuses).optional(),
        from: date('Due at or after this time'),
        to: date('Due before this time'),
      }),
      response: { 200: z.object({ data: z.array(callbackOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const q = req.query;
    return callbacks.list(auth(req).accountId, { contactId: q.contactId, status: q.status, from: q.from, to: q.to, cursor: q.cursor, limit: q.limit });
  });

  app.get('/callbacks/:id', {
    schema: { tags, operationId: 'getCallback', summary: 'Get a callback', params: idParams, response: { 200: callbackOut } },
  }, async (req) => callbacks.get(auth(req).accountId, req.params.id));

  app.patch('/callbacks/:id', {
    schema: {
      tags, operationId: 'moveCallback', summary: 'Move a scheduled callback to another time',
      description: 'Only a `scheduled` callback moves (409 otherwise). The time is taken as given.',
      params: idParams, body: z.object({ dueAt: z.coerce.date({ error: 'must be an ISO timestamp' }).refine(storable, inRange) }).strict(), response: { 200: callbackOut },
    },
  }, async (req) => callbacks.move(auth(req).accountId, req.params.id, req.body.dueAt));

  app.post('/callbacks/:id/cancel', {
    schema: {
      tags, operationId: 'cancelCallback', summary: 'Cancel a scheduled callback',
      description: 'Only a `scheduled` callback is cancelled (409 once it is calling or has ended).', params: idParams, response: { 200: callbackOut },
    },
  }, async (req) => callbacks.cancel(auth(req).accountId, req.params.id));
};
