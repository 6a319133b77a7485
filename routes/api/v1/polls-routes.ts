import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PollsService } from '../../../src/polls/polls-service.js';
import { auth } from '../../auth.js';

export type PollsRoutesOpts = { polls: Pick<PollsService, 'resultsForActivation' | 'result'> };

const pollOut = z.object({
  id: z.string(),
  activationId: z.string(),
  actionId: z.string(),
  question: z.string(),
  openedAt: z.date(),
  closesAt: z.date(),
  closed: z.boolean(),
  answerCount: z.number(),
  options: z.array(z.object({ number: z.number(), text: z.string(), count: z.number() })),
  answers: z.array(z.object({
    contactId: z.string(),
    contactName: z.string().nullable(),
    option: z.number(),
    optionText: z.string(),
    channel: z.enum(['sms', 'voice', 'push']),
    firstAnsweredAt: z.date(),
    answeredAt: z.date(),
    changes: z.number(),
  })),
});

/** Poll results: per option counts and each person's answer (the last one they gave while it was open). */
export const pollsRoutes: FastifyPluginAsyncZod<PollsRoutesOpts> = async (app, { polls }) => {
  app.get('/activations/:id/polls', {
    schema: { operationId: 'listActivationPolls', tags: ['activations'], summary: 'Poll results of an activation', params: z.object({ id: z.uuid() }), response: { 200: z.object({ data: z.array(pollOut) }) } },
  }, async (req) => ({ data: await polls.resultsForActivation(auth(req).accountId, req.params.id) }));

  app.get('/polls/:id', {
    schema: { operationId: 'getPoll', tags: ['activations'], summary: 'One poll with its results', params: z.object({ id: z.uuid() }), response: { 200: pollOut } },
  }, async (req) => polls.result(auth(req).accountId, req.params.id));
};
