/**
 * Call tracking's carrier callbacks, under `/webhooks/twilio/tracking` (signature-checked like
 * every carrier webhook: 403 and nothing stored without a valid X-Twilio-Signature):
 *   POST /dial?call=<CallSid>&step=N      the <Dial> action: next number, or hang up
 *   POST /leg?call=<CallSid>&leg=N        status of the leg to forward-to number N
 *   POST /recording?call=<CallSid>        the recording is ready
 *   POST /whisper?call=<CallSid>          TwiML for whoever answers (the line's whisper)
 * The tracked call is the one named in the signed URL. Carrier field names stop here.
 * Also: `createTrackingTwimlHandler`, the voice webhook's hand-off for tracking lines.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import * as ivr from '../../../ivr/tracking-dial.js';
import type { TrackingCallHandler } from '../../../src/telephony/tracking-port.js';
import type { ForwardStep, TrackingCallService } from '../../../src/tracking/tracking-call-service.js';
import { parse } from './params.js';
import { twilioSignatureHook } from './signature.js';

type Calls = Pick<TrackingCallService, 'answer' | 'dialEnded' | 'legStatus' | 'recorded' | 'whisperFor'>;

export type TrackingWebhookOpts = {
  publicUrl: string;
  signingTokens(accountSid: string): Promise<string[]>;
  calls: Calls;
};

const callSid = z.string({ error: 'is required' }).regex(/^CA[0-9a-fA-F]{32}$/, 'must be a CA… id');
const index = z.coerce.number({ error: 'must be a number' }).int().min(0).max(9);
const duration = z.coerce.number().int().min(0).max(86_400).optional();
const url = z.url({ error: 'must be a URL' }).max(2000).optional();
const dialQuery = z.object({ call: callSid, step: index.default(0) });
const legQuery = z.object({ call: callSid, leg: index });
const callQuery = z.object({ call: callSid });
const dialBody = z.object({ DialCallStatus: z.string().max(32).default('failed'), DialCallDuration: duration, RecordingUrl: url }).loose();
const legBody = z.object({ CallStatus: z.string({ error: 'is required' }).max(32), CallDuration: duration, Timestamp: z.string().max(100).optional() }).loose();
const recordingBody = z.object({ RecordingUrl: z.url({ error: 'must be a URL' }).max(2000), RecordingStatus: z.string().max(32).optional() }).loose();

/** The absolute URLs the tracking TwiML names for one call. */
export const trackingUrls = (publicUrl: string, callSidValue: string): ivr.TrackingUrls => {
  const base = `${publicUrl}/webhooks/twilio/tracking`;
  return {
    dialAction: (step) => `${base}/dial?call=${callSidValue}&step=${step}`,
    legStatus: (leg) => `${base}/leg?call=${callSidValue}&leg=${leg}`,
    recording: () => `${base}/recording?call=${callSidValue}`,
    whisper: () => `${base}/whisper?call=${callSidValue}`,
  };
};

export const renderForward = (publicUrl: string, s: ForwardStep): string => {
  if (s.kind === 'not-configured') return ivr.notConfigured();
  if (s.kind === 'hangup') return ivr.hangup();
  const c = s.call;
  return ivr.forwardCall({
    callerId: s.callerId, numbers: c.numbers, strategy: c.strategy, ringTimeoutSeconds: c.ringTimeoutSeconds, record: c.record,
    whisper: s.whisper, urls: trackingUrls(publicUrl, c.providerCallId),
  }, s.step);
};

/** The voice webhook's hand-off for lines in `tracking` mode: store the call, answer with the <Dial>. */
export const createTrackingTwimlHandler = (opts: { publicUrl: string; calls: Pick<TrackingCallService, 'answer'> }): TrackingCallHandler => ({
  async handleInboundCall(call) {
    return { twiml: renderForward(opts.publicUrl, await opts.calls.answer(call)) };
  },
});

const twiml = (reply: FastifyReply, xml: string) => reply.status(200).type('text/xml; charset=utf-8').send(xml);
/** When the carrier's clock is given (leg callbacks carry Timestamp), use it; else now. */
const timeOf = (ts: string | undefined): Date => {
  const d = ts ? new Date(ts) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
};

export const trackingWebhookRoutes: FastifyPluginAsync<TrackingWebhookOpts> = async (app, opts) => {
  app.addHook('preValidation', twilioSignatureHook({
    publicUrl: opts.publicUrl,
    signingTokens: opts.signingTokens,
    onLookupError: (req, reply, err) => {
      req.log.error({ err }, 'tracking webhook could not load the carrier token');
      return reply.status(503).send({ error: 'unavailable', message: 'try again later', details: null, requestId: req.id });
    },
  }));

  app.post('/dial', { schema: { hide: true } }, async (req, reply) => {
    const q = parse(dialQuery, req.query);
    const b = parse(dialBody, req.body);
    try {
      const next = await opts.calls.dialEnded({
        carrierAccountSid: req.twilioAccountSid!, providerCallId: q.call, at: new Date(), step: q.step,
        status: b.DialCallStatus, durationSeconds: b.DialCallDuration ?? null, recordingUrl: b.RecordingUrl ?? null,
      });
      return twiml(reply, renderForward(opts.publicUrl, next));
    } catch (err) {
      // The caller's leg still gets TwiML; the call's final status callback will end it instead.
      req.log.error({ err, callSid: q.call }, 'tracking dial action failed');
      return twiml(reply, ivr.hangup());
    }
  });

  app.post('/leg', { schema: { hide: true } }, async (req, reply) => {
    const q = parse(legQuery, req.query);
    const b = parse(legBody, req.body);
    await opts.calls.legStatus({
      carrierAccountSid: req.twilioAccountSid!, providerCallId: q.call, at: timeOf(b.Timestamp), leg: q.leg,
      status: b.CallStatus, durationSeconds: b.CallDuration ?? null,
    });
    return twiml(reply, ivr.empty());
  });

  app.post('/recording', { schema: { hide: true } }, async (req, reply) => {
    const q = parse(callQuery, req.query);
    const b = parse(recordingBody, req.body);
    if (!b.RecordingStatus || b.RecordingStatus === 'completed') {
      await opts.calls.recorded({ carrierAccountSid: req.twilioAccountSid!, providerCallId: q.call, at: new Date(), recordingUrl: b.RecordingUrl });
    }
    return twiml(reply, ivr.empty());
  });

  app.post('/whisper', { schema: { hide: true } }, async (req, reply) => {
    const q = parse(callQuery, req.query);
    try {
      const text = await opts.calls.whisperFor({ carrierAccountSid: req.twilioAccountSid!, providerCallId: q.call, at: new Date() });
      return twiml(reply, text ? ivr.whisper(text) : ivr.empty());
    } catch (err) {
      req.log.error({ err, callSid: q.call }, 'tracking whisper failed; connecting without it');
      return twiml(reply, ivr.empty());
    }
  });
};
