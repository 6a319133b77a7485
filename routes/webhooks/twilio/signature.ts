/**
 * X-Twilio-Signature check for every carrier webhook, with the official `twilio.validateRequest`
 * against PUBLIC_URL + the request path and query (what the carrier signed). Runs as a
 * `preValidation` hook: after the form body is parsed, before anything else looks at it.
 *
 * The signing token comes from the request's `AccountSid`: the stored carrier connections with
 * that SID, or the per-install simulator token (src/telephony/simulator-credentials.ts).
 * Missing or wrong signature: 403, nothing stored, nothing run.
 *
 * Reuse in another webhook plugin:
 *   app.addHook('preValidation', twilioSignatureHook({ publicUrl, signingTokens }));
 */
import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import twilio from 'twilio';

export type SignatureHookOptions = {
  /** PUBLIC_URL without a trailing slash. */
  publicUrl: string;
  /** Tokens that may sign for this carrier account SID (empty: unknown account). */
  signingTokens(accountSid: string): Promise<string[]>;
  /** Token lookup failed (database down): voice and sms routes answer TwiML (an apology) instead of a 5xx. */
  onLookupError?(req: FastifyRequest, reply: FastifyReply, err: unknown): Promise<unknown> | unknown;
};

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the carrier signature is verified: the carrier account that signed. */
    twilioAccountSid?: string;
  }
}

/** The form params the carrier signed: the POST body, or none for GET (the query is in the URL). */
export const signedParams = (req: FastifyRequest): Record<string, string | string[]> => {
  if (req.method === 'GET') return {};
  const b = req.body;
  return b && typeof b === 'object' ? (b as Record<string, string | string[]>) : {};
};

const accountSidOf = (req: FastifyRequest): string | null => {
  const src = (req.method === 'GET' ? req.query : req.body) as Record<string, unknown> | undefined;
  const v = src?.AccountSid;
  return typeof v === 'string' && v.length > 0 && v.length < 64 ? v : null;
};

const forbidden = (req: FastifyRequest, reply: FastifyReply) =>
  reply.status(403).send({ error: 'forbidden', message: 'missing or invalid X-Twilio-Signature', details: null, requestId: req.id });

export const twilioSignatureHook = (opts: SignatureHookOptions): preValidationAsyncHookHandler =>
  async function verifyTwilioSignature(req, reply) {
    const signature = req.headers['x-twilio-signature'];
    const accountSid = accountSidOf(req);
    if (typeof signature !== 'string' || signature.length === 0 || signature.length > 200 || !accountSid) return forbidden(req, reply);
    let tokens: string[];
    try {
      tokens = await opts.signingTokens(accountSid);
    } catch (err) {
      if (opts.onLookupError) return opts.onLookupError(req, reply, err);
      throw err;
    }
    const url = opts.publicUrl + req.url;
    const params = signedParams(req);
    if (!tokens.some((t) => twilio.validateRequest(t, signature, url, params))) return forbidden(req, reply);
    req.twilioAccountSid = accountSid;
  };
