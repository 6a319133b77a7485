import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CapabilitiesService } from '../../../src/accounts/capabilities-service.js';
import { auth } from '../../auth.js';

export type CapabilitiesRoutesOpts = { capabilities: Pick<CapabilitiesService, 'forAccount'> };

const cap = z.object({ available: z.boolean(), reason: z.string().nullable() });
const capabilitiesOut = z.object({
  channels: z.object({
    sms: cap, voice: cap, webhook: cap,
    email: cap.extend({ catcher: z.boolean() }),
    push: cap.extend({ provider: z.enum(['none', 'simulator', 'webpush']) }),
  }),
  prompts: cap,
  ownerEmails: cap.extend({ count: z.number() }),
  lines: z.array(z.object({ id: z.string(), phoneNumber: z.string(), mode: z.enum(['activation', 'tracking']), canSend: z.boolean(), reason: z.string().nullable() })),
});

/** `GET /v1/account/capabilities`: which delivery methods work on this install for this account, and why not. */
export const capabilitiesRoutes: FastifyPluginAsyncZod<CapabilitiesRoutesOpts> = async (app, { capabilities }) => {
  app.get('/account/capabilities', {
    schema: {
      operationId: 'getAccountCapabilities', summary: 'What the account can deliver (e-mail, push, SMS, voice, prompts)',
      tags: ['account'],
      description: 'Each delivery method with `available` and, when not, the `reason` in words (no SMTP server, no push provider, no line that can call…). Contains no secret.',
      response: { 200: capabilitiesOut },
    },
  }, async (req) => capabilities.forAccount(auth(req).accountId));
};
