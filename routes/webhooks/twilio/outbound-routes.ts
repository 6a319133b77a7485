/**
 * TwiML for the calls Switchboard places, under `/webhooks/twilio/outbound` (signature-checked
 * like every carrier webhook):
 *   POST /notify?delivery=<id>               text-to-voice notification (message twice, press 1)
 *   POST /notify/keys?delivery=<id>&attempt=  the key pressed: acknowledgement, then the poll
 *   POST /notify/poll?delivery=<id>&attempt=  the poll answer
 *   POST /conference?delivery=<id>           intro, then the activation's conference
 *   POST /pager?delivery=<id>                the pager message as DTMF
 *   POST /callback/dial?delivery=<id>        a callback's Dial to the contact ended (DialCallStatus)
 * A callback's agent call starts on /notify like any voice call: whisper, then <Dial> the contact.
 * Carrier field names stop here (`Digits` -> digits). Failures still answer TwiML, never a 5xx.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { conferenceCall, notificationCall, notificationKeys, pagerCall, pollAnswer, unknownCall } from '../../../ivr/outbound-twiml.js';
import { callbackAgentCall, callbackDialEnded, callbackRefused } from '../../../ivr/callback-twiml.js';
import type { OutboundCalls } from '../../../src/engine/outbound-calls.js';
import type { CallbackCalls } from '../../../src/rules/callback-calls.js';
import { twilioSignatureHook } from './signature.js';

export type OutboundRoutesOpts = {
  publicUrl: string;
  signingTokens(accountSid: string): Promise<string[]>;
  calls: Pick<OutboundCalls, 'answer' | 'acknowledge' | 'answerPoll'>;
  /** Callbacks (rule actions): who to dial once the agent answers, and the outcome. */
  callbacks?: Pick<CallbackCalls, 'connect' | 'dialEnded'>;
};

const query = z.object({
  delivery: z.string().max(64).default(''),
  attempt: z.coerce.number().int().min(1).max(10).catch(1).default(1),
});
const digitsOf = (req: FastifyRequest): string => {
  const d = (req.body as Record<string, unknown> | undefined)?.Digits;
  return typeof d === 'string' ? d.slice(0, 8) : '';
};

const twiml = (reply: FastifyReply, xml: string) => reply.status(200).type('text/xml; charset=utf-8').send(xml);

export const outboundRoutes: FastifyPluginAsync<OutboundRoutesOpts> = async (app, opts) => {
  app.addHook('preValidation', twilioSignatureHook({
    publicUrl: opts.publicUrl,
    signingTokens: opts.signingTokens,
    onLookupError: (req, reply, err) => {
      req.log.error({ err }, 'outbound call webhook could not load the carrier token');
      return twiml(reply, unknownCall());
    },
  }));
  const base = `${opts.publicUrl}/webhooks/twilio/outbound`;
  const url = (path: string, delivery: string, attempt?: number) =>
    `${base}/${path}?delivery=${encodeURIComponent(delivery)}${attempt ? `&attempt=${attempt}` : ''}`;

  /** Runs one step; any failure is logged once and the callee hears a polite goodbye. */
  const step = (fn: (q: z.infer<typeof query>, req: FastifyRequest) => Promise<string>) => async (req: FastifyRequest, reply: FastifyReply) => {
    const q = query.parse(req.query ?? {});
    try {
      return twiml(reply, await fn(q, req));
    } catch (err) {
      req.log.error({ err, deliveryId: q.delivery }, 'outbound call step failed');
      return twiml(reply, unknownCall());
    }
  };

  app.post('/notify', { schema: { hide: true } }, step(async (q) => {
    const s = await opts.calls.answer(q.delivery);
    if (s?.kind === 'callback' && opts.callbacks) {
      const c = await opts.callbacks.connect(q.delivery);
      if (!c.ok) return callbackRefused();
      return callbackAgentCall({ whisper: s.whisper, contactNumber: c.contactNumber, callerId: c.callerId, dialActionUrl: url('callback/dial', q.delivery) });
    }
    if (!s || s.kind !== 'voice') return unknownCall();
    return notificationCall({ text: s.text, keysUrl: url('notify/keys', q.delivery, 1) });
  }));

  app.post('/notify/keys', { schema: { hide: true } }, step(async (q, req) => {
    const digits = digitsOf(req);
    const s = digits === '1' ? await opts.calls.acknowledge(q.delivery) : null;
    if (digits === '1' && !s) return unknownCall();
    return notificationKeys({
      digits,
      attempt: q.attempt,
      retryUrl: url('notify/keys', q.delivery, q.attempt + 1),
      poll: s?.poll ? { ...s.poll, pollUrl: url('notify/poll', q.delivery, 1) } : null,
    });
  }));

  app.post('/notify/poll', { schema: { hide: true } }, step(async (q, req) => {
    const digits = digitsOf(req);
    const r = await opts.calls.answerPoll(q.delivery, digits);
    if (!r || !r.script.poll) return unknownCall();
    return pollAnswer({ digits, attempt: q.attempt, result: r.result, poll: { ...r.script.poll, retryUrl: url('notify/poll', q.delivery, q.attempt + 1) } });
  }));

  app.post('/callback/dial', { schema: { hide: true } }, step(async (q, req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const status = typeof b.DialCallStatus === 'string' ? b.DialCallStatus : 'failed';
    const seconds = Number(typeof b.DialCallDuration === 'string' ? b.DialCallDuration : 0);
    const r = opts.callbacks ? await opts.callbacks.dialEnded(q.delivery, { status, durationSeconds: Number.isFinite(seconds) ? seconds : 0 }) : { outcome: 'unknown' as const };
    if (r.outcome === 'unknown') return unknownCall();
    const reason = 'reason' in r ? r.reason : undefined;
    return callbackDialEnded(r.outcome === 'completed' ? 'completed' : reason === 'no_answer' || reason === 'busy' ? reason : 'failed');
  }));

  app.post('/conference', { schema: { hide: true } }, step(async (q) => {
    const s = await opts.calls.answer(q.delivery);
    return s?.kind === 'conference' ? conferenceCall({ intro: s.intro, conferenceName: s.conferenceName }) : unknownCall();
  }));

  app.post('/pager', { schema: { hide: true } }, step(async (q) => {
    const s = await opts.calls.answer(q.delivery);
    return s?.kind === 'pager' ? pagerCall({ digits: s.digits }) : unknownCall();
  }));
};
