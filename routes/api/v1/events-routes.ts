import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { e164Phone } from '../../../src/contacts/phone.js';
import { ValidationError } from '../../../src/errors.js';
import type { EventsService } from '../../../src/events/events-service.js';
import { eventTypeSchema } from '../../../src/rules/rule-types.js';
import { auth } from '../../auth.js';
import { idParams } from './pagination.js';

export type EventRoutesOpts = { events: Pick<EventsService, 'ingest' | 'get' | 'list'> };

export const eventOut = z.object({
  id: z.string(), type: z.string(), contactId: z.string().nullable(), data: z.record(z.string(), z.unknown()),
  source: z.enum(['api', 'internal']), idempotencyKey: z.string().nullable(), causedByRule: z.string().nullable(),
  chainDepth: z.number(), occurredAt: z.date(),
});
const idemKey = z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be 1–200 printable ASCII characters without spaces');
const tags = ['events'];

const postBody = z.object({
  type: eventTypeSchema,
  /** Who the event is about: by id, phone (E.164) or e-mail. */
  contact: z.object({ id: z.uuid({ error: 'must be a UUID' }).optional(), phone: e164Phone().optional(), email: z.email().optional() })
    .strict()
    .refine((c) => [c.id, c.phone, c.email].filter(Boolean).length === 1, 'give exactly one of id, phone or email')
    .optional(),
  data: z.record(z.string(), z.unknown()).default({}),
  idempotencyKey: idemKey.optional(),
  // PostgreSQL's timestamptz stops at 4713 BC / 294276 AD; JavaScript dates go further (was a 500).
  occurredAt: z.coerce.date().refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, 'must be a date between the years 1 and 9999').optional(),
}).strict();

/** Events from other systems (`POST /v1/events`) and the account's event history. */
export const eventRoutes: FastifyPluginAsyncZod<EventRoutesOpts> = async (app, { events }) => {
  app.post('/events', {
    schema: {
      operationId: 'recordEvent',
      tags,
      summary: 'Record an event about a contact; rules and sequences react to it',
      description: 'Idempotent on the `Idempotency-Key` header (or `idempotencyKey` field): a repeat returns the first event with 200; '
        + 'the same key with another event is a 422. New events are answered 202 and processed asynchronously.',
      headers: z.object({ 'idempotency-key': idemKey.optional() }).passthrough(),
      body: postBody,
      response: { 200: eventOut, 202: eventOut },
    },
  }, async (req, reply) => {
    const header = req.headers['idempotency-key'] as string | undefined;
    if (header && req.body.idempotencyKey && header !== req.body.idempotencyKey) {
      throw ValidationError.field('idempotencyKey', 'differs from the Idempotency-Key header');
    }
    const { event, created } = await events.ingest(auth(req).accountId, {
      type: req.body.type, contact: req.body.contact ?? null, data: req.body.data,
      idempotencyKey: header ?? req.body.idempotencyKey ?? null, occurredAt: req.body.occurredAt,
    });
    return reply.status(created ? 202 : 200).send(event);
  });

  app.get('/events', {
    schema: {
      operationId: 'listEvents', summary: 'List events',
      tags,
      querystring: z.object({
        type: z.string().max(100).optional(), contactId: z.uuid().optional(), from: z.coerce.date().optional(), to: z.coerce.date().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.uuid().optional(),
      }),
      response: { 200: z.object({ data: z.array(eventOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => {
    const q = req.query;
    const rows = await events.list(auth(req).accountId, { type: q.type, contactId: q.contactId, from: q.from, to: q.to, before: q.cursor, limit: q.limit + 1 });
    const data = rows.slice(0, q.limit);
    return { data, nextCursor: rows.length > q.limit ? data[data.length - 1]!.id : null };
  });

  app.get('/events/:id', { schema: { operationId: 'getEvent', summary: 'Get an event', tags, params: idParams, response: { 200: eventOut } } }, async (req) => events.get(auth(req).accountId, req.params.id));
};
