/** `POST /webhooks/twilio/sms`: an inbound text; the reply (if any) goes back as TwiML `<Message>`. */
import type { FastifyPluginAsync } from 'fastify';
import { messagingResponse, SMS_TEXT } from '../../../ivr/sms-replies.js';
import type { InboundSmsService } from '../../../src/telephony/inbound-sms-service.js';
import { parse, smsParams, toInboundText } from './params.js';
import { sendTwiml } from './voice-routes.js';

export type SmsRoutesOpts = { sms: Pick<InboundSmsService, 'handle'> };

export const smsRoutes: FastifyPluginAsync<SmsRoutesOpts> = async (app, opts) => {
  app.post('/sms', { schema: { hide: true } }, async (req, reply) => {
    const p = parse(smsParams, req.body);
    let xml: string;
    try {
      const outcome = await opts.sms.handle(toInboundText(req, p));
      xml = messagingResponse(outcome.reply);
    } catch (err) {
      req.log.error({ err, messageSid: p.MessageSid }, 'sms webhook failed');
      xml = messagingResponse(SMS_TEXT.apology);
    }
    return sendTwiml(reply, xml);
  });
};
