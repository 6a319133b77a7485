import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MailCatcherStore } from '../../../src/demo/mail-catcher-store.js';
import { auth } from '../../auth.js';

export type MailCatcherRoutesOpts = {
  /** The store when SMTP_URL=catcher; null when e-mail goes to a real SMTP server (or nowhere). */
  store: Pick<MailCatcherStore, 'list'> | null;
};

const mail = z.object({
  id: z.number(), deliveryId: z.string().nullable(), activationId: z.string().nullable(), from: z.string().nullable(),
  to: z.array(z.string()), subject: z.string(), text: z.string(), messageId: z.string().nullable(), receivedAt: z.string(),
});

/**
 * `GET /v1/simulator/emails`: e-mails the mail catcher (SMTP_URL=catcher) received instead of
 * sending, newest first. `catcher: false` (and no data) when it is not in use.
 */
export const mailCatcherRoutes: FastifyPluginAsyncZod<MailCatcherRoutesOpts> = async (app, { store }) => {
  app.get('/simulator/emails', {
    schema: {
      operationId: 'listSimulatorEmails', summary: 'List e-mails the mail catcher kept',
      tags: ['simulator'],
      querystring: z.object({
        to: z.string().max(320).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }).strict(),
      response: { 200: z.object({ catcher: z.boolean(), data: z.array(mail) }) },
    },
  }, async (req) => {
    if (!store) return { catcher: false, data: [] };
    return { catcher: true, data: await store.list(auth(req).accountId, { to: req.query.to, limit: req.query.limit }) };
  });
};
