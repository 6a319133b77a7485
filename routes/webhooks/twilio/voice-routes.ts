/**
 * `POST /webhooks/twilio/voice` and the step URLs its TwiML names (`/voice/code`,
 * `/voice/recording`). Each turns carrier params into a domain call, the outcome into TwiML.
 * Any failure after the signature check (PostgreSQL, Redis…) still answers TwiML: an apology.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import * as ivr from '../../../ivr/activation-line.js';
import type { InboundCallService, VoiceOutcome } from '../../../src/telephony/inbound-call-service.js';
import { codeParams, codeQuery, parse, parseVoiceParams, recordingParams, recordingQuery, toInboundCall } from './params.js';

export type VoiceRoutesOpts = {
  publicUrl: string;
  calls: Pick<InboundCallService, 'answer' | 'enterCode' | 'recorded'>;
};

export const ivrUrls = (publicUrl: string): ivr.IvrUrls => ({
  code: (attempt) => `${publicUrl}/webhooks/twilio/voice/code?attempt=${attempt}`,
  recording: (workflowId) => `${publicUrl}/webhooks/twilio/voice/recording?workflow=${workflowId}`,
});

/**
 * The greeting TwiML of a line depends only on its greeting text (and PUBLIC_URL): built once
 * per text with xmlbuilder2, then reused (per `urls`, bounded). It is the answer to the first
 * webhook of every call, and building the document was a large share of that request's CPU.
 */
const greetings = new WeakMap<ivr.IvrUrls, Map<string, string>>();
const greetingTwiml = (greeting: string, urls: ivr.IvrUrls): string => {
  let byText = greetings.get(urls);
  if (!byText) greetings.set(urls, (byText = new Map()));
  let xml = byText.get(greeting);
  if (xml === undefined) {
    xml = ivr.greeting({ greeting, urls });
    if (byText.size >= 1000) byText.clear();
    byText.set(greeting, xml);
  }
  return xml;
};

export const renderVoice = (o: VoiceOutcome, urls: ivr.IvrUrls): string => {
  switch (o.kind) {
    case 'unknown-line': return ivr.unknownLine();
    case 'withheld-caller': return ivr.withheldCaller();
    case 'not-allowed': return ivr.notAllowed();
    case 'tracking': return o.twiml ?? ivr.trackingNotConfigured();
    case 'greeting': return greetingTwiml(o.greeting, urls);
    case 'retry': return ivr.codeRetry({ urls, attempt: o.attempt }, { reason: o.reason });
    case 'record': return ivr.recordMessage({ urls, workflowId: o.workflowId, maxLengthSeconds: o.maxSeconds });
    case 'activated': return ivr.activated({ workflowName: o.workflowName, recipients: o.recipients });
  }
};

export const sendTwiml = (reply: FastifyReply, xml: string) => reply.status(200).type('text/xml; charset=utf-8').send(xml);

/** Runs a call step; on any failure the caller hears the apology (logged once, here). */
const step = async (req: FastifyRequest, reply: FastifyReply, callSid: string, fn: () => Promise<string>) => {
  let xml: string;
  try {
    xml = await fn();
  } catch (err) {
    req.log.error({ err, callSid }, 'voice webhook failed; apologising to the caller');
    xml = ivr.apology();
  }
  return sendTwiml(reply, xml);
};

export const voiceRoutes: FastifyPluginAsync<VoiceRoutesOpts> = async (app, opts) => {
  const urls = ivrUrls(opts.publicUrl);

  app.post('/voice', { schema: { hide: true } }, async (req, reply) => {
    const p = parseVoiceParams(req.body);
    return step(req, reply, p.CallSid, async () => renderVoice(await opts.calls.answer(toInboundCall(req, p)), urls));
  });

  app.post('/voice/code', { schema: { hide: true } }, async (req, reply) => {
    const p = parse(codeParams, req.body);
    const { attempt } = parse(codeQuery, req.query);
    return step(req, reply, p.CallSid, async () => renderVoice(await opts.calls.enterCode(toInboundCall(req, p), p.Digits, attempt), urls));
  });

  app.post('/voice/recording', { schema: { hide: true } }, async (req, reply) => {
    const p = parse(recordingParams, req.body);
    const { workflow } = parse(recordingQuery, req.query);
    return step(req, reply, p.CallSid, async () => renderVoice(await opts.calls.recorded(toInboundCall(req, p), workflow, p.RecordingUrl ?? null), urls));
  });
};
