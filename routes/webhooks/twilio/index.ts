/**
 * The carrier webhooks under `/webhooks/twilio`: voice (+ its step URLs), sms, status. Every
 * route in this plugin passes the X-Twilio-Signature check first (signature.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { apology } from '../../../ivr/activation-line.js';
import { messagingResponse, SMS_TEXT } from '../../../ivr/sms-replies.js';
import type { InboundCallService } from '../../../src/telephony/inbound-call-service.js';
import type { InboundSmsService } from '../../../src/telephony/inbound-sms-service.js';
import type { StatusService } from '../../../src/telephony/status-service.js';
import { twilioSignatureHook } from './signature.js';
import { smsRoutes } from './sms-routes.js';
import { statusRoutes } from './status-routes.js';
import { sendTwiml, voiceRoutes } from './voice-routes.js';

export type TwilioWebhooksOpts = {
  publicUrl: string;
  signingTokens(accountSid: string): Promise<string[]>;
  calls: Pick<InboundCallService, 'answer' | 'enterCode' | 'recorded'>;
  sms: Pick<InboundSmsService, 'handle'>;
  statuses: Pick<StatusService, 'record'>;
};

export const twilioWebhooks: FastifyPluginAsync<TwilioWebhooksOpts> = async (app, opts) => {
  app.addHook('preValidation', twilioSignatureHook({
    publicUrl: opts.publicUrl,
    signingTokens: opts.signingTokens,
    onLookupError(req, reply, err) {
      req.log.error({ err }, 'webhook signature check could not load the carrier token');
      if (req.url.includes('/voice')) return sendTwiml(reply, apology());
      // The carrier does not retry a failed text webhook: the texter hears an apology, not nothing.
      if (req.url.split('?')[0]!.endsWith('/sms')) return sendTwiml(reply, messagingResponse(SMS_TEXT.apology));
      return reply.status(503).send({ error: 'unavailable', message: 'try again later', details: null, requestId: req.id });
    },
  }));
  await app.register(voiceRoutes, { publicUrl: opts.publicUrl, calls: opts.calls });
  await app.register(smsRoutes, { sms: opts.sms });
  await app.register(statusRoutes, { statuses: opts.statuses });
};
