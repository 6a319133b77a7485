import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SimulatorOutbox } from '../../../src/telephony/simulator-outbox.js';
import { auth } from '../../auth.js';

export type SimulatorRoutesOpts = { outbox: Pick<SimulatorOutbox, 'list'> };

const item = z.object({
  id: z.number(), providerId: z.string(), kind: z.enum(['sms', 'call']), from: z.string(), to: z.string(), body: z.string().nullable(),
  mediaUrls: z.array(z.string()), twimlUrl: z.string().nullable(), sendDigits: z.string().nullable(), status: z.string(), createdAt: z.date(),
});

/** `GET /v1/simulator/outbox`: messages and calls the simulator provider kept instead of sending. */
export const simulatorRoutes: FastifyPluginAsyncZod<SimulatorRoutesOpts> = async (app, { outbox }) => {
  app.get('/simulator/outbox', {
    schema: {
      operationId: 'listSimulatorOutbox', summary: 'List what the simulator carrier kept',
      tags: ['simulator'],
      querystring: z.object({
        to: z.string().max(32).optional(),
        kind: z.enum(['sms', 'call']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().min(1).optional(),
      }).strict(),
      response: { 200: z.object({ data: z.array(item), nextBefore: z.number().nullable() }) },
    },
  }, async (req) => {
    const q = req.query;
    const data = await outbox.list(auth(req).accountId, { to: q.to, kind: q.kind, limit: q.limit, beforeId: q.before });
    return { data, nextBefore: data.length === q.limit ? data[data.length - 1]!.id : null };
  });
};
