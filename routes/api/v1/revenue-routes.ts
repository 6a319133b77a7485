import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RevenueService } from '../../../src/rules/revenue-service.js';
import { auth } from '../../auth.js';
import { pageQuery } from './pagination.js';

export type RevenueRoutesOpts = { revenue: Pick<RevenueService, 'list'> };

const entryOut = z.object({
  id: z.string(), contactId: z.string().nullable(), ruleId: z.string().nullable(), amount: z.number(), currency: z.string(),
  note: z.string(), createdAt: z.date(),
});
const totalOut = z.object({ currency: z.string(), sum: z.number(), count: z.number() });
const date = (what: string) => z.coerce.date({ error: 'must be an ISO date or timestamp' }).optional().describe(what);

/** Revenue that rules logged (`log_revenue` actions): entries and totals per currency. */
export const revenueRoutes: FastifyPluginAsyncZod<RevenueRoutesOpts> = async (app, { revenue }) => {
  app.get('/revenue', {
    schema: {
      tags: ['rules'],
      operationId: 'listRevenue',
      summary: 'List revenue logged by rules, with totals per currency',
      description: 'Entries written by rule `log_revenue` actions, newest first, and the sum and count per currency of every '
        + 'entry the filters match (all pages). `from` is inclusive, `to` exclusive. A bad filter is a 400 naming the field.',
      querystring: pageQuery.extend({
        contactId: z.uuid({ error: 'must be a UUID' }).optional().describe('Only this contact\'s entries'),
        ruleId: z.uuid({ error: 'must be a UUID' }).optional().describe('Only entries logged by this rule'),
        from: date('Entries at or after this time'),
        to: date('Entries before this time'),
      }),
      response: { 200: z.object({ data: z.array(entryOut), totals: z.array(totalOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const page = await revenue.list(auth(req).accountId, req.query);
    return { ...page, data: page.data.map(({ accountId: _a, ...e }) => e) };
  });
};
