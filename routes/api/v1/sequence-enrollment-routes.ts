import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EnrollmentService } from '../../../src/sequences/enrollment-service.js';
import type { EnrollmentTargets } from '../../../src/sequences/enrollment-targets.js';
import type { SequenceStatusService } from '../../../src/sequences/sequence-status-service.js';
import { ConflictError } from '../../../src/errors.js';
import { auth } from '../../auth.js';

export type SequenceEnrollmentRoutesOpts = {
  enrollments: Pick<EnrollmentService, 'enroll' | 'trigger' | 'unenroll'> & Pick<EnrollmentTargets, 'enrollTarget'>;
  status: Pick<SequenceStatusService, 'listEnrollments' | 'getEnrollment' | 'contactStatus'>;
};

const statuses = ['active', 'completed', 'exited', 'unenrolled', 'failed'] as const;
const historyOut = z.object({ id: z.number(), stepId: z.string().nullable(), version: z.number(), kind: z.string(), detail: z.record(z.string(), z.unknown()), at: z.date() });
const enrollmentOut = z.object({
  id: z.string(), sequenceId: z.string(), sequenceName: z.string().optional(), version: z.number(), contactId: z.string(),
  status: z.enum(statuses), source: z.string(), stepIndex: z.number(), stepId: z.string().nullable(), waiting: z.string(),
  stepEnteredAt: z.date(), waitUntil: z.date().nullable(), nextRunAt: z.date().nullable(), placeholders: z.record(z.string(), z.string()),
  context: z.record(z.string(), z.unknown()), exitReason: z.string().nullable(), error: z.string().nullable(), enrolledAt: z.date(),
  endedAt: z.date().nullable(), history: z.array(historyOut).optional(),
});
const enrollResultOut = z.object({
  data: z.array(enrollmentOut),
  skipped: z.array(z.object({ contactId: z.string(), reason: z.enum(['already_enrolled', 'previously_enrolled']) })),
});
const placeholders = z.record(z.string().max(64), z.string().max(2000)).optional();
const context = z.record(z.string(), z.unknown()).refine((v) => JSON.stringify(v).length <= 8192, 'may total at most 8 KB').optional();
const idParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) });
const tags = ['sequences'];

/**
 * Enrollments: manual (one or many contacts), API trigger (by contact id, phone or e-mail, with
 * `Idempotency-Key`), read, unenroll; and every sequence a contact is in.
 */
export const sequenceEnrollmentRoutes: FastifyPluginAsyncZod<SequenceEnrollmentRoutesOpts> = async (app, { enrollments, status }) => {
  app.post('/sequences/:id/enrollments', {
    schema: {
      operationId: 'enrollInSequence',
      tags, summary: 'Enroll one or many contacts, or every member of a group or contact list', params: idParams,
      body: z.object({
        contactId: z.uuid({ error: 'must be a UUID' }).optional(),
        contactIds: z.array(z.uuid({ error: 'must be a UUID' })).min(1).max(1000).optional(),
        groupId: z.uuid({ error: 'must be a UUID' }).optional(),
        listId: z.uuid({ error: 'must be a UUID' }).optional(),
        placeholders, context,
      }).strict().refine((b) => [b.contactId, b.contactIds, b.groupId, b.listId].filter(Boolean).length === 1,
        { message: 'give one of contactId, contactIds, groupId or listId', path: ['contactIds'] }),
      response: { 201: enrollResultOut, 200: enrollResultOut },
    },
  }, async (req, reply) => {
    const single = Boolean(req.body.contactId);
    const { groupId, listId } = req.body;
    const r = groupId || listId
      ? await enrollments.enrollTarget(auth(req).accountId, req.params.id, groupId ? { groupId } : { listId: listId! }, req.body.placeholders)
      : await enrollments.enroll(auth(req).accountId, req.params.id, {
        contactIds: single ? [req.body.contactId!] : req.body.contactIds!, placeholders: req.body.placeholders, context: req.body.context, source: 'api',
      });
    if (single && r.enrolled.length === 0) {
      const reason = r.skipped[0]?.reason ?? 'already_enrolled';
      throw new ConflictError(
        reason === 'already_enrolled' ? 'the contact is already in this sequence' : 'the contact went through this sequence before and re-enrollment is off',
        reason, { contactId: req.body.contactId! },
      );
    }
    return reply.status(r.enrolled.length > 0 ? 201 : 200).send({ data: r.enrolled, skipped: r.skipped });
  });

  if (!app.hasContentTypeParser('text/csv')) {
    app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
  }
  app.post('/sequences/:id/enrollments/csv', {
    bodyLimit: 1024 * 1024,
    schema: {
      operationId: 'enrollCsvInSequence',
      tags, summary: 'Enroll the contacts a CSV names: one contact id or phone number a line (first column; a header line is skipped)',
      description: 'Body: `text/csv`, or JSON `{ "csv": "…", "placeholders": {…} }`. All or nothing: a row naming no contact of the '
        + 'account is a 400 whose details name its line (`csv.3`), and nobody is enrolled. Contacts already (or, without '
        + 're-enrollment, previously) in the sequence are listed in `skipped`.',
      params: idParams,
      body: z.union([
        z.string().max(1024 * 1024),
        z.object({ csv: z.string().min(1, 'may not be empty').max(1024 * 1024), placeholders }).strict(),
      ]),
      response: { 201: enrollResultOut, 200: enrollResultOut },
    },
  }, async (req, reply) => {
    const b = req.body;
    const r = await enrollments.enrollTarget(auth(req).accountId, req.params.id, { csv: typeof b === 'string' ? b : b.csv }, typeof b === 'string' ? undefined : b.placeholders);
    return reply.status(r.enrolled.length > 0 ? 201 : 200).send({ data: r.enrolled, skipped: r.skipped });
  });

  app.post('/sequences/:id/trigger', {
    schema: {
      operationId: 'triggerSequence',
      tags, summary: 'API trigger: enroll a contact found by id, phone or e-mail (Idempotency-Key header)', params: idParams,
      headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
      body: z.object({ contactId: z.uuid().optional(), phone: z.string().max(32).optional(), email: z.string().max(320).optional(), placeholders, context })
        .strict().refine((b) => [b.contactId, b.phone, b.email].filter(Boolean).length === 1, { message: 'give exactly one of contactId, phone, email', path: ['contactId'] }),
      response: { 201: enrollResultOut, 200: enrollResultOut },
    },
  }, async (req, reply) => {
    const key = req.headers['idempotency-key'];
    const r = await enrollments.trigger(auth(req).accountId, req.params.id, { ...req.body, idempotencyKey: key ? `api:${key}` : undefined });
    if (r.enrolled.length === 0) {
      const reason = r.skipped[0]?.reason ?? 'already_enrolled';
      throw new ConflictError(`the contact was not enrolled: ${reason}`, reason);
    }
    return reply.status(r.existing ? 200 : 201).send({ data: r.enrolled, skipped: r.skipped });
  });

  app.get('/sequences/:id/enrollments', {
    schema: {
      operationId: 'listSequenceEnrollments', summary: 'List a sequence\'s enrollments',
      tags, params: idParams,
      querystring: z.object({
        status: z.enum(statuses).optional(), stepId: z.string().max(40).optional(), contactId: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().max(500).optional(),
      }),
      response: { 200: z.object({ data: z.array(enrollmentOut), nextCursor: z.string().nullable() }) },
    },
  }, async (req) => status.listEnrollments(auth(req).accountId, req.params.id, req.query));

  const enrollmentParams = idParams.extend({ enrollmentId: z.uuid({ error: 'must be a UUID' }) });
  app.get('/sequences/:id/enrollments/:enrollmentId', { schema: { operationId: 'getSequenceEnrollment', summary: 'Get an enrollment', tags, params: enrollmentParams, response: { 200: enrollmentOut } } },
    async (req) => status.getEnrollment(auth(req).accountId, req.params.id, req.params.enrollmentId));

  app.delete('/sequences/:id/enrollments/:enrollmentId', { schema: { operationId: 'unenrollFromSequence', tags, summary: 'Unenroll', params: enrollmentParams, response: { 200: enrollmentOut } } },
    async (req) => enrollments.unenroll(auth(req).accountId, req.params.id, req.params.enrollmentId));

  app.get('/contacts/:id/sequences', {
    schema: { operationId: 'listContactSequences', tags, summary: 'Where the contact is in every sequence: step, next run time, history', params: idParams, response: { 200: z.object({ data: z.array(enrollmentOut) }) } },
  }, async (req) => ({ data: await status.contactStatus(auth(req).accountId, req.params.id) }));
};
