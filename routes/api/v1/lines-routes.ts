import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { e164Phone } from '../../../src/contacts/phone.js';
import { lineSettingsSchema } from '../../../src/lines/line-settings.js';
import type { LineSetupService } from '../../../src/lines/line-setup-service.js';
import { MESSAGING_SERVICE_HINT, MESSAGING_SERVICE_SID, type LinesService } from '../../../src/lines/lines-service.js';
import { auth, requireAdmin } from '../../auth.js';
import { idParams, pageOf, pageQuery } from './pagination.js';

export type LineRoutesOpts = {
  lines: Pick<LinesService, 'get' | 'list' | 'update' | 'remove' | 'linkedWorkflows'>;
  setup: Pick<LineSetupService, 'check' | 'configure' | 'create'>;
};

const lineOut = z.object({
  id: z.string(), phoneNumber: z.string(), name: z.string(), provider: z.enum(['twilio', 'simulator']), carrierConnectionId: z.string().nullable(),
  messagingServiceSid: z.string().nullable(), mode: z.enum(['activation', 'tracking']), greeting: z.string(), settings: z.record(z.string(), z.unknown()), createdAt: z.date(), updatedAt: z.date(),
});
const lineFields = {
  phoneNumber: e164Phone(),
  name: z.string().trim().max(200).optional(),
  provider: z.enum(['twilio', 'simulator'], { error: 'must be twilio or simulator' }),
  carrierConnectionId: z.uuid({ error: 'must be a UUID' }).nullish(),
  messagingServiceSid: z.string().trim().regex(MESSAGING_SERVICE_SID, MESSAGING_SERVICE_HINT).nullish()
    .describe('Twilio lines: send texts through this Messaging Service (Twilio picks the sender from its pool) instead of from the number. Calls still come from the number. null on update: send from the number again.'),
  mode: z.enum(['activation', 'tracking'], { error: 'must be activation or tracking' }).optional(),
  greeting: z.string().trim().min(1, 'may not be empty').max(1000).optional(),
  settings: lineSettingsSchema.optional(),
};
const tags = ['lines'];
const findingOut = z.object({
  code: z.string().describe('Stable code, e.g. number_not_found, voice_url_elsewhere, sms_url_elsewhere, status_callback_missing, public_url_not_https, carrier_unreachable'),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
});
const checkOut = z.object({
  lineId: z.string(), phoneNumber: z.string(), checkedAt: z.date(),
  ok: z.boolean().describe('No error finding: calls and texts to the number reach this gateway.'),
  changed: z.boolean().describe('The number\'s webhooks were just set up by this request.'),
  expected: z.object({ voiceUrl: z.string(), voiceMethod: z.string(), smsUrl: z.string(), smsMethod: z.string(), statusCallback: z.string(), statusCallbackMethod: z.string() }),
  found: z.object({
    sid: z.string(), voiceUrl: z.string().nullable(), voiceMethod: z.string().nullable(), smsUrl: z.string().nullable(), smsMethod: z.string().nullable(),
    statusCallback: z.string().nullable(), voiceApplicationSid: z.string().nullable(), smsApplicationSid: z.string().nullable(), trunkSid: z.string().nullable(),
  }).nullable(),
  findings: z.array(findingOut),
});
const createdOut = lineOut.extend({ check: checkOut.nullable().describe('Twilio lines: the check (or set-up) of the number at the carrier; null for simulator lines.') });

/** Phone lines. A Twilio line needs a carrier connection of the same account. */
export const lineRoutes: FastifyPluginAsyncZod<LineRoutesOpts> = async (app, { lines, setup }) => {
  app.get('/lines', { schema: { operationId: 'listLines', summary: 'List phone lines', tags, querystring: pageQuery, response: { 200: pageOf(lineOut) } } }, async (req) => lines.list(auth(req).accountId, req.query));

  app.post('/lines', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'createLine', summary: 'Add a phone line', tags,
      description: 'A Twilio line\'s number is looked up in the carrier account and checked (`check` in the answer); with `configureWebhooks: true` '
        + 'its voice URL, SMS URL and status callback are first pointed at this gateway. The line is created whatever the check finds.',
      body: z.object({
        ...lineFields,
        configureWebhooks: z.boolean({ error: 'must be true or false' }).optional()
          .describe('Twilio lines: set the number\'s webhooks to this gateway (PUBLIC_URL) now. Only this number is changed.'),
      }).strict(),
      response: { 201: createdOut },
    },
  }, async (req, reply) => reply.status(201).send(await setup.create(auth(req).accountId, req.body)));

  app.post('/lines/:id/check', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'checkLine', summary: 'Check a line\'s number at the carrier', tags,
      description: 'Looks the number up in the line\'s Twilio account and reports, as findings with a code and words, what keeps calls and texts from reaching this gateway. Changes nothing.',
      params: idParams, response: { 200: checkOut },
    },
  }, async (req) => setup.check(auth(req).accountId, req.params.id));

  app.post('/lines/:id/configure', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'configureLine', summary: 'Point a line\'s number at this gateway', tags,
      description: 'Sets the voice URL and SMS URL (POST) and the status callback of this line\'s number, and of no other, to PUBLIC_URL/webhooks/twilio/voice, /sms and /status; '
        + 'clears a TwiML app or SIP trunk that would take its calls. Answers the check that follows (`changed`: something was rewritten).',
      params: idParams, response: { 200: checkOut },
    },
  }, async (req) => setup.configure(auth(req).accountId, req.params.id));

  app.get('/lines/:id', { schema: { operationId: 'getLine', summary: 'Get a phone line', tags, params: idParams, response: { 200: lineOut } } }, async (req) => lines.get(auth(req).accountId, req.params.id));

  app.patch('/lines/:id', {
    preHandler: requireAdmin,
    schema: {
      operationId: 'updateLine', summary: 'Change a phone line',
      tags,
      description: 'Changes the given fields. `settings` keys are merged into the stored settings (`tracking` is replaced as a whole).',
      params: idParams,
      body: z.object(lineFields).partial().strict(),
      response: { 200: lineOut },
    },
  }, async (req) => lines.update(auth(req).accountId, req.params.id, req.body));

  app.delete('/lines/:id', {
    preHandler: requireAdmin,
    schema: { operationId: 'deleteLine', summary: 'Delete a phone line', tags, description: 'Refused (409 line_in_use) while workflows use the line.', params: idParams, response: { 204: z.null() } },
  }, async (req, reply) => {
    await lines.remove(auth(req).accountId, req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/lines/:id/workflows', {
    schema: {
      operationId: 'listLineWorkflows', summary: 'List the workflows that use a line',
      tags,
      description: 'Workflows whose current version uses the line: for code activation, a conference, or a pager.',
      params: idParams,
      response: { 200: z.object({ data: z.array(z.object({ id: z.string(), name: z.string(), status: z.string(), uses: z.array(z.enum(['code_activation', 'conference', 'pager'])) })) }) },
    },
  }, async (req) => ({ data: await lines.linkedWorkflows(auth(req).accountId, req.params.id) }));
};
