/**
 * Carrier field names stop here: zod schemas over Twilio's webhook params, converted to the
 * domain's names. A malformed (but signed) request is a 400 naming the field.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fromZod } from '../../../src/errors.js';
import type { InboundCall } from '../../../src/telephony/inbound-call-service.js';
import type { InboundText } from '../../../src/telephony/inbound-sms-service.js';
import type { CallStatusInput, MessageStatusInput } from '../../../src/engine/status-port.js';

const sid = (prefix: string) => z.string({ error: 'is required' }).regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `must be a ${prefix}… id`);
const number = z.string({ error: 'is required' }).trim().min(1, 'is required').max(64);
/** Withheld callers arrive as `anonymous`, `+266696687`… or nothing. */
const caller = z.string().trim().max(64).default('');
const str = z.string().max(2000).optional();

export const voiceParams = z.object({ CallSid: sid('CA'), From: caller, To: number }).loose();
export const codeParams = voiceParams.extend({ Digits: z.string().max(32).default('') });
export const codeQuery = z.object({ attempt: z.coerce.number().int().min(1).max(10).catch(1).default(1) });
export const recordingParams = voiceParams.extend({ RecordingUrl: z.url({ error: 'must be a URL' }).max(2000).optional() });
export const recordingQuery = z.object({ workflow: z.uuid({ error: 'must be a UUID' }) });
export const smsParams = z.object({ MessageSid: sid('(?:SM|MM)'), From: caller, To: number, Body: z.string().max(1600, 'is longer than 1600 characters').default('') }).loose();

/** Integers stored in int4 columns: anything larger is malformed, not a 500 from PostgreSQL. */
const INT4_MAX = 2_147_483_647;
const statusCommon = z.object({ From: str, To: str, SequenceNumber: z.coerce.number().int().min(0).max(INT4_MAX).optional() }).loose();
export const messageStatusParams = statusCommon.extend({
  MessageSid: sid('(?:SM|MM)'),
  MessageStatus: z.string().max(32).optional(),
  SmsStatus: z.string().max(32).optional(),
  ErrorCode: z.string().max(16).optional(),
}).refine((p) => p.MessageStatus || p.SmsStatus, { message: 'is required', path: ['MessageStatus'] });
export const callStatusParams = statusCommon.extend({
  CallSid: sid('CA'),
  CallStatus: z.string({ error: 'is required' }).max(32),
  CallDuration: z.coerce.number().int().min(0).max(INT4_MAX).optional(),
  AnsweredBy: str,
  Direction: str,
  Timestamp: str,
});

/** Parses or throws a ValidationError whose paths are the carrier's field names. */
export const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw fromZod(r.error);
  return r.data;
};

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
/**
 * `parse(voiceParams, body)` for the first webhook of every call (the hot route), without zod
 * when the params are plainly valid: CallSid a CA… id, To a non-empty number of at most 64
 * characters, From absent or at most 64 (both trimmed, as the schema does). Anything else goes
 * through the schema, so a bad request gets exactly the same 400 as before.
 */
export const parseVoiceParams = (body: unknown): z.infer<typeof voiceParams> => {
  const b = body as Record<string, unknown> | null | undefined;
  const sidV = b?.CallSid;
  const toV = b?.To;
  const fromV = b?.From;
  if (typeof sidV === 'string' && CALL_SID.test(sidV) && typeof toV === 'string' && (fromV === undefined || typeof fromV === 'string')) {
    const to = toV.trim();
    const from = fromV === undefined ? '' : fromV.trim();
    if (to.length >= 1 && to.length <= 64 && from.length <= 64) return { ...b, CallSid: sidV, From: from, To: to };
  }
  return parse(voiceParams, body);
};

const stringParams = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).filter(([, x]) => typeof x === 'string')) as Record<string, string>;

/**
 * The domain's view of one voice webhook. A class, so that `carrierParams` (read only by tracking
 * lines) is one getter on the prototype: an object literal with a getter defines a fresh accessor
 * on every call, which cost ~2.5 µs of the hot route's CPU (bench:webhooks profile).
 */
class InboundCallParams implements InboundCall {
  readonly carrierAccountSid: string;
  readonly providerCallId: string;
  readonly from: string;
  readonly to: string;
  readonly #body: unknown;
  constructor(req: FastifyRequest, p: z.infer<typeof voiceParams>) {
    this.carrierAccountSid = req.twilioAccountSid!;
    this.providerCallId = p.CallSid;
    this.from = p.From;
    this.to = p.To;
    this.#body = req.body;
  }
  get carrierParams(): Record<string, string> { return stringParams(this.#body); }
}

export const toInboundCall = (req: FastifyRequest, p: z.infer<typeof voiceParams>): InboundCall => new InboundCallParams(req, p);

export const toInboundText = (req: FastifyRequest, p: z.infer<typeof smsParams>): InboundText => ({
  carrierAccountSid: req.twilioAccountSid!,
  providerMessageId: p.MessageSid,
  from: p.From,
  to: p.To,
  body: p.Body,
});

/** A status callback, message or call, with the callback URL's query passed through as `params`. */
export const toStatusInput = (req: FastifyRequest): MessageStatusInput | CallStatusInput => {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const params = stringParams(req.query);
  const now = new Date();
  if (typeof body.CallSid === 'string' && !body.MessageSid) {
    const p = parse(callStatusParams, body);
    const ts = p.Timestamp ? new Date(p.Timestamp) : now;
    return {
      kind: 'call', carrierAccountSid: req.twilioAccountSid!, providerId: p.CallSid, status: p.CallStatus, sequence: p.SequenceNumber ?? null,
      from: p.From ?? null, to: p.To ?? null, params, at: Number.isNaN(ts.getTime()) ? now : ts,
      durationSeconds: p.CallDuration ?? null, answeredBy: p.AnsweredBy ?? null, direction: p.Direction ?? null,
    };
  }
  const p = parse(messageStatusParams, body);
  return {
    kind: 'message', carrierAccountSid: req.twilioAccountSid!, providerId: p.MessageSid, status: (p.MessageStatus ?? p.SmsStatus)!,
    sequence: p.SequenceNumber ?? null, from: p.From ?? null, to: p.To ?? null, params, at: now, errorCode: p.ErrorCode ?? null,
    messagingServiceSid: typeof body.MessagingServiceSid === 'string' && /^MG[0-9a-fA-F]{32}$/.test(body.MessagingServiceSid) ? body.MessagingServiceSid : null,
  };
};
