import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { messageReplies, postSigned, type PlayerTransport } from '../../softphone/call-player.js';
import type { SecretBox } from '../../../src/crypto.js';
import { ValidationError } from '../../../src/errors.js';
import type { LineSigning, SoftphoneLines } from '../../../src/softphone/softphone-lines.js';
import { auth } from '../../auth.js';
import { continueCall, startCall, type CallCursor, type StepResult } from '../../dashboard/softphone-player.js';

export type SoftphoneRoutesOpts = {
  softphone: Pick<SoftphoneLines, 'publicUrl' | 'lineSigning'>;
  /** Seals the call state handed to the browser. */
  secrets: Pick<SecretBox, 'seal' | 'open'>;
};

const STATE_TTL_MS = 30 * 60_000;
const e164 = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550100');
const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/** Sealed into the opaque `state` token the browser sends back: web processes keep nothing. */
type SealedCall = { v: 1; accountId: string; lineId: string; exp: number; cursor: CallCursor };

const eventOut = z.looseObject({ kind: z.string() });
const stepOut = z.object({
  callSid: z.string(),
  state: z.string().nullable().describe('send back with the next input; null once the call has ended'),
  events: z.array(eventOut),
  waiting: z.looseObject({ kind: z.enum(['gather', 'record']) }).nullable(),
  ended: z.boolean(),
});

/** Fetch over `app.inject`: the webhooks run in this process, signature check and all, without a network hop. */
const injectFetch = (app: FastifyInstance): typeof fetch => (async (input: string | URL | Request, init?: RequestInit) => {
  const u = new URL(String(input));
  const res = await app.inject({
    method: (init?.method ?? 'GET') as 'GET' | 'POST',
    url: u.pathname + u.search,
    headers: init?.headers as Record<string, string>,
    payload: init?.body as string | undefined,
  });
  return new Response(res.statusCode === 204 || !res.body ? null : res.body, { status: res.statusCode });
}) as typeof fetch;

/**
 * The dashboard softphone: call or text a line of the account as the carrier would, step by
 * step. `POST /softphone/calls` rings the line and returns what the caller hears up to the first
 * question; `POST /softphone/calls/:callSid/input` answers it (keys, silence, a voice message)
 * or hangs up; `POST /softphone/sms` texts the line and returns the replies.
 */
export const softphoneRoutes: FastifyPluginAsyncZod<SoftphoneRoutesOpts> = async (app, { softphone, secrets }) => {
  const o = { publicUrl: softphone.publicUrl, secrets, lineSigning: softphone.lineSigning };
  const transport = (s: LineSigning): PlayerTransport => ({ authToken: s.authToken, fetch: injectFetch(app) });
  const voiceUrl = `${o.publicUrl}/webhooks/twilio/voice`;

  const respond = (accountId: string, lineId: string, callSid: string, step: StepResult) => ({
    callSid,
    state: step.cursor ? o.secrets.seal(JSON.stringify({ v: 1, accountId, lineId, exp: Date.now() + STATE_TTL_MS, cursor: step.cursor } satisfies SealedCall)) : null,
    events: step.events,
    waiting: step.waiting,
    ended: !step.cursor,
  });

  app.post('/softphone/calls', {
    config: { memberAllowed: true },
    schema: { operationId: 'startSoftphoneCall', summary: 'Start a softphone call', tags: ['softphone'], body: z.object({ lineId: z.uuid({ error: 'must be a UUID' }), from: e164 }).strict(), response: { 200: stepOut } },
  }, async (req) => {
    const a = auth(req);
    const s = await o.lineSigning(a.accountId, req.body.lineId);
    const callSid = sid('CA');
    const step = await startCall(transport(s), voiceUrl, { callSid, accountSid: s.accountSid, from: req.body.from, to: s.phoneNumber });
    return respond(a.accountId, req.body.lineId, callSid, step);
  });

  app.post('/softphone/calls/:callSid/input', {
    config: { memberAllowed: true },
    schema: {
      operationId: 'sendSoftphoneInput', summary: 'Send key presses or speech to a softphone call',
      tags: ['softphone'],
      params: z.object({ callSid: z.string().regex(/^CA[0-9a-f]{32}$/, 'is not a softphone call') }),
      body: z.object({
        state: z.string().min(1).max(20_000),
        input: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('digits'), digits: z.string().regex(/^[0-9*#]{1,20}$/, 'keys are 0-9, * and #') }),
          z.object({ kind: z.literal('silence') }),
          z.object({ kind: z.literal('voicemail'), seconds: z.number().int().min(1).max(300).default(5) }),
          z.object({ kind: z.literal('hangup') }),
        ]),
      }).strict(),
      response: { 200: stepOut },
    },
  }, async (req) => {
    const a = auth(req);
    const sealed = openState(o.secrets, req.body.state);
    if (!sealed || sealed.accountId !== a.accountId || sealed.cursor.callSid !== req.params.callSid) throw ValidationError.field('state', 'is not a state token of this call');
    if (sealed.exp < Date.now()) throw ValidationError.field('state', 'this call has timed out: place a new one');
    const s = await o.lineSigning(a.accountId, sealed.lineId);
    const input = req.body.input;
    const step = await continueCall(transport(s), sealed.cursor, input.kind === 'voicemail'
      ? { kind: 'voicemail', seconds: input.seconds, recordingUrl: `${o.publicUrl}/softphone/recordings/${sid('RE')}` }
      : input);
    if (!step.cursor) await callEnded(transport(s), o.publicUrl, sealed.cursor);
    return respond(a.accountId, sealed.lineId, req.params.callSid, step);
  });

  app.post('/softphone/sms', {
    config: { memberAllowed: true },
    schema: {
      operationId: 'sendSoftphoneSms', summary: 'Send a text from the softphone',
      tags: ['softphone'],
      body: z.object({ lineId: z.uuid({ error: 'must be a UUID' }), from: e164, body: z.string().min(1, 'type a message').max(1600) }).strict(),
      response: { 200: z.object({ messageSid: z.string(), status: z.number(), replies: z.array(z.string()) }) },
    },
  }, async (req) => {
    const a = auth(req);
    const s = await o.lineSigning(a.accountId, req.body.lineId);
    const messageSid = sid('SM');
    const res = await postSigned(transport(s), `${o.publicUrl}/webhooks/twilio/sms`, {
      MessageSid: messageSid, SmsSid: messageSid, SmsMessageSid: messageSid, AccountSid: s.accountSid, From: req.body.from, To: s.phoneNumber,
      Body: req.body.body, NumMedia: '0', NumSegments: '1', SmsStatus: 'received', ApiVersion: '2010-04-01',
    });
    return { messageSid, status: res.status, replies: res.status === 200 ? messageReplies(res.body) : [] };
  });
};

const openState = (secrets: Pick<SecretBox, 'open'>, token: string): SealedCall | null => {
  try {
    const v = JSON.parse(secrets.open(token)) as SealedCall;
    return v.v === 1 ? v : null;
  } catch {
    return null;
  }
};

/** The carrier's final status callback for the call (numbers are configured to send it). Best effort. */
const callEnded = async (t: PlayerTransport, publicUrl: string, c: CallCursor) => {
  await postSigned(t, `${publicUrl}/webhooks/twilio/status`, {
    CallSid: c.callSid, AccountSid: c.accountSid, From: c.from, To: c.to, Caller: c.from, Called: c.to, Direction: 'inbound',
    CallStatus: 'completed', CallDuration: '20', ApiVersion: '2010-04-01',
  }).catch(() => undefined);
};
