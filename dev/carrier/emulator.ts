/**
 * A local Twilio for tests and development: answers the 2010-04-01 REST calls the gateway makes
 * (create/fetch/list Messages, create/fetch/update Calls) with Twilio-shaped bodies, records
 * every message and call, and plays the carrier: signed status callbacks, outbound calls that
 * follow the gateway's TwiML, inbound calls and texts placed at the gateway.
 *
 *   const carrier = await startCarrierEmulator({ accountSid, authToken, gatewayUrl, publicUrl });
 *   // TWILIO_API_URL = carrier.url
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { fakeSid, messageReplies, playCall, postSigned, type CallScript, type CallTranscript, type PlayerTransport } from '../../routes/softphone/call-player.js';
import { runOutboundCall, runMessageCallbacks } from './carrier-driver.js';
import { createPhoneNumbers, type EmulatedNumber, type NumberInput } from './phone-numbers.js';
import {
  callJson, dateSentFilter, defaultErrorMessage, errorJson, listPage, messageJson,
  type DestinationBehaviour, type EmulatedCall, type EmulatedMessage,
} from './twilio-shapes.js';

export type { DestinationBehaviour, EmulatedCall, EmulatedMessage, EmulatedNumber, NumberInput };

export type CarrierEmulatorOptions = {
  accountSid: string;
  authToken: string;
  /** Where the gateway actually listens, e.g. `http://127.0.0.1:41234` (may be set later: `setGateway`). */
  gatewayUrl: string;
  /** The gateway's PUBLIC_URL (what it signs against and writes in TwiML); default = gatewayUrl. */
  publicUrl?: string;
  host?: string;
  port?: number;
  /** Delay between successive status callbacks (ms). */
  callbackDelayMs?: number;
};

export type RestRequest = { method: string; path: string; params: Record<string, string | string[]> };

export type InboundCallInput = CallScript & {
  from: string; to: string; callSid?: string; headers?: Record<string, string>; authToken?: string;
  /** The number's status callback URL: told the call's final status (completed) when it ends. */
  statusCallback?: string;
};
export type InboundSmsInput = { from: string; to: string; body: string; messageSid?: string; headers?: Record<string, string>; authToken?: string };
export type InboundSmsResult = { status: number; replies: string[]; raw: string; messageSid: string };

export type CarrierEmulator = {
  url: string;
  messages: EmulatedMessage[];
  calls: EmulatedCall[];
  requests: RestRequest[];
  /** The account's phone numbers (IncomingPhoneNumbers), as the REST calls left them. */
  numbers: EmulatedNumber[];
  /** Adds a number to the account (no webhooks unless given). */
  addNumber(input: NumberInput): EmulatedNumber;
  /** A Messaging Service (`MG…`) whose texts leave from one of `senders`. */
  addMessagingService(sid: string, senders: string[]): void;
  /** Status callbacks the emulator sent: url, params, gateway's HTTP status. */
  callbacks: Array<{ url: string; params: Record<string, string>; status: number }>;
  setBehaviour(number: string, b: DestinationBehaviour): void;
  /** Points the emulator at the gateway once it listens (start the emulator first to get TWILIO_API_URL). */
  setGateway(gatewayUrl: string, publicUrl?: string): void;
  reset(): void;
  placeInboundCall(input: InboundCallInput): Promise<CallTranscript & { callSid: string }>;
  sendInboundSms(input: InboundSmsInput): Promise<InboundSmsResult>;
  /** Ends every `queuedForMs` hold now: those messages go on to sent and delivered. */
  releaseQueued(): void;
  /** Resolves when no callback or call is in flight. */
  settled(): Promise<void>;
  waitFor<T>(fn: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
};

const str = (v: unknown): string | undefined => (Array.isArray(v) ? str(v[0]) : typeof v === 'string' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

export const startCarrierEmulator = async (opts: CarrierEmulatorOptions): Promise<CarrierEmulator> => {
  let gatewayUrl = opts.gatewayUrl.replace(/\/+$/, '');
  let publicUrl = (opts.publicUrl ?? opts.gatewayUrl).replace(/\/+$/, '');
  const transport: PlayerTransport = {
    authToken: opts.authToken,
    resolve: (u) => (u.startsWith(publicUrl) ? gatewayUrl + u.slice(publicUrl.length) : u),
  };
  const behaviours = new Map<string, DestinationBehaviour>();
  const failures = new Map<string, number>();
  const drops = new Map<string, number>();
  const inflight = new Set<Promise<unknown>>();
  const messages: EmulatedMessage[] = [];
  const calls: EmulatedCall[] = [];
  const requests: RestRequest[] = [];
  const callbacks: CarrierEmulator['callbacks'] = [];
  let seq = 0;

  const track = (p: Promise<unknown>) => {
    const q = p.catch(() => undefined).finally(() => inflight.delete(q));
    inflight.add(q);
  };
  const sendCallback = async (url: string, params: Record<string, string>) => {
    const res = await postSigned(transport, url, params).catch(() => ({ status: 0, body: '' }));
    callbacks.push({ url, params, status: res.status });
  };
  // Messages held `queued` (queuedForMs): released early by reset, close or releaseQueued.
  const holds = new Set<() => void>();
  const hold = (ms: number) => new Promise<void>((resolve) => {
    const done = () => { clearTimeout(timer); holds.delete(done); resolve(); };
    const timer = setTimeout(done, ms);
    holds.add(done);
  });
  const releaseQueued = () => { for (const done of [...holds]) done(); };
  const driverCtx = { transport, sendCallback, delayMs: opts.callbackDelayMs ?? 5, hold };

  const phoneNumbers = createPhoneNumbers(opts.accountSid);
  const app = Fastify({ logger: false });
  await app.register(formbody);

  const authorise = (req: FastifyRequest<{ Params: { sid: string } }>, reply: FastifyReply): boolean => {
    const h = req.headers.authorization ?? '';
    const [user, pass] = Buffer.from(h.replace(/^Basic /, ''), 'base64').toString().split(':');
    if (!h.startsWith('Basic ') || user !== opts.accountSid || pass !== opts.authToken || req.params.sid !== opts.accountSid) {
      void reply.status(401).send(errorJson(401, 20003, defaultErrorMessage(20003)));
      return false;
    }
    requests.push({ method: req.method, path: req.url.split('?')[0]!, params: { ...(req.query as object), ...((req.body as object) ?? {}) } });
    return true;
  };
  /** Applies a scripted refusal for this destination, if any. */
  const refuse = (to: string, reply: FastifyReply): boolean => {
    const b = behaviours.get(to);
    if (!b?.error) return false;
    const n = failures.get(to) ?? 0;
    if (b.errorTimes !== undefined && n >= b.errorTimes) return false;
    failures.set(to, n + 1);
    void reply.status(b.error.status).send(errorJson(b.error.status, b.error.code, b.error.message ?? defaultErrorMessage(b.error.code)));
    return true;
  };

  /** dropResponseTimes: the request was acted on, but its answer never arrives (the client sees the connection reset). */
  const dropAnswer = (to: string, req: FastifyRequest, reply: FastifyReply): boolean => {
    const dropped = drops.get(to) ?? 0;
    if (dropped >= (behaviours.get(to)?.dropResponseTimes ?? 0)) return false;
    drops.set(to, dropped + 1);
    reply.hijack();
    req.raw.socket.destroy();
    return true;
  };

  type P = { Params: { sid: string; id: string } };
  const base = '/2010-04-01/Accounts/:sid';
  phoneNumbers.routes(app, base, authorise);

  app.post<P>(`${base}/Messages.json`, async (req, reply) => {
    if (!authorise(req, reply)) return reply;
    const b = req.body as Record<string, unknown>;
    const to = str(b.To);
    // MessagingServiceSid without From: Twilio picks the sender from the service's pool.
    const serviceSid = str(b.MessagingServiceSid) ?? null;
    const picked = serviceSid && !str(b.From) && to ? phoneNumbers.pickSender(serviceSid, to) : null;
    const from = str(b.From) ?? (picked && 'from' in picked ? picked.from : undefined);
    if (!to) return reply.status(400).send(errorJson(400, 21604, "A 'To' phone number is required."));
    if (picked && 'error' in picked) return reply.status(400).send(errorJson(400, picked.error, defaultErrorMessage(picked.error)));
    if (!from) return reply.status(400).send(errorJson(400, 21603, "A 'From' phone number is required."));
    if (!str(b.Body) && list(b.MediaUrl).length === 0) return reply.status(400).send(errorJson(400, 21602, defaultErrorMessage(21602)));
    // Twilio: a Body over 1,600 characters (UTF-16 units: an emoji counts 2) is refused, nothing sent.
    if ((str(b.Body) ?? '').length > 1600) return reply.status(400).send(errorJson(400, 21617, defaultErrorMessage(21617)));
    if (refuse(to, reply)) return reply;
    const droppedEarly = behaviours.get(to)?.dropBeforeAccept === true && dropAnswer(to, req, reply);
    const acceptDelay = behaviours.get(to)?.acceptDelayMs;
    if (acceptDelay) await new Promise((r) => setTimeout(r, acceptDelay));
    const now = new Date();
    const m: EmulatedMessage = {
      sid: fakeSid('SM'), accountSid: opts.accountSid, from, to, body: str(b.Body) ?? '', mediaUrls: list(b.MediaUrl),
      status: serviceSid ? 'accepted' : 'queued', direction: 'outbound-api', statusCallback: str(b.StatusCallback) ?? null, errorCode: null,
      dateCreated: now, dateSent: null, dateUpdated: now, messagingServiceSid: serviceSid,
    };
    messages.push(m);
    track(runMessageCallbacks(driverCtx, m, behaviours.get(to) ?? {}));
    if (droppedEarly || dropAnswer(to, req, reply)) return reply;
    return reply.status(201).send(messageJson(m));
  });

  app.get<P>(`${base}/Messages/:id`, async (req, reply) => {
    if (!authorise(req, reply)) return reply;
    const m = messages.find((x) => `${x.sid}.json` === req.params.id);
    if (!m) return reply.status(404).send(errorJson(404, 20404, defaultErrorMessage(20404)));
    return messageJson(m);
  });

  app.get<P>(`${base}/Messages.json`, async (req, reply) => {
    if (!authorise(req, reply)) return reply;
    const q = req.query as Record<string, string>;
    const dateFilter = dateSentFilter(q);
    if (typeof dateFilter === 'string') return reply.status(400).send(errorJson(400, 20001, `Invalid ${dateFilter}`));
    // Twilio filters only by To, From and DateSent; a message not yet sent on has no date_sent
    // and matches no DateSent filter. Newest first.
    const found = messages.filter((m) => (!q.To || m.to === q.To) && (!q.From || m.from === q.From) && dateFilter(m.dateSent)).reverse();
    return listPage(req.url, q, found.map(messageJson), 'messages');
  });

  app.post<P>(`${base}/Calls.json`, async (req, reply) => {
    if (!authorise(req, reply)) return reply;
    const b = req.body as Record<string, unknown>;
    const to = str(b.To);
    const from = str(b.From);
    if (!to) return reply.status(400).send(errorJson(400, 21201, defaultErrorMessage(21201)));
    if (!from) return reply.status(400).send(errorJson(400, 21213, 'Caller phone number is required'));
    if (!str(b.Url) && !str(b.Twiml)) return reply.status(400).send(errorJson(400, 21205, 'Url parameter is required.'));
    if (refuse(to, reply)) return reply;
    const now = new Date();
    const c: EmulatedCall = {
      sid: fakeSid('CA'), accountSid: opts.accountSid, from, to, url: str(b.Url) ?? null, twiml: str(b.Twiml) ?? null,
      method: str(b.Method) ?? 'POST', status: 'queued', direction: 'outbound-api', statusCallback: str(b.StatusCallback) ?? null,
      statusCallbackEvents: list(b.StatusCallbackEvent).flatMap((e) => e.split(' ')).filter(Boolean),
      sendDigits: str(b.SendDigits) ?? null, timeout: str(b.Timeout) ? Number(str(b.Timeout)) : null,
      startTime: null, endTime: null, duration: null, answeredBy: null, transcript: null, dateCreated: now, dateUpdated: now,
    };
    calls.push(c);
    track(runOutboundCall(driverCtx, c, behaviours.get(to) ?? {}));
    if (dropAnswer(to, req, reply)) return reply;
    return reply.status(201).send(callJson(c));
  });

  app.get<P>(`${base}/Calls/:id`, async (req, reply) => {
    if (!authorise(req, reply)) return reply;
    const c = calls.find((x) => `${x.sid}.json` === req.params.id);
    if (!c) return reply.status(404).send(errorJson(404, 20404, defaultErrorMessage(20404)));
    return callJson(c);
  });

  app.post<P>(`${base}/Calls/:id`, async (req, reply) => {
    if (!authorise(req, reply)) return reply;
    const c = calls.find((x) => `${x.sid}.json` === req.params.id);
    if (!c) return reply.status(404).send(errorJson(404, 20404, defaultErrorMessage(20404)));
    const status = str((req.body as Record<string, unknown>).Status);
    if (status === 'completed' || status === 'canceled') {
      if (!['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(c.status)) {
        c.status = c.status === 'in-progress' ? 'completed' : 'canceled';
        c.endTime = new Date();
        c.dateUpdated = c.endTime;
      }
    }
    return callJson(c);
  });

  app.setNotFoundHandler((req, reply) => reply.status(404).send(errorJson(404, 20404, `emulator: no route ${req.method} ${req.url}`)));

  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });

  const emulator: CarrierEmulator = {
    url: address,
    messages,
    calls,
    requests,
    numbers: phoneNumbers.numbers,
    addNumber: (input) => phoneNumbers.add(input),
    addMessagingService: (sid, senders) => phoneNumbers.addMessagingService(sid, senders),
    callbacks,
    setBehaviour: (n, b) => void behaviours.set(n, b),
    setGateway(g, p) {
      gatewayUrl = g.replace(/\/+$/, '');
      publicUrl = (p ?? publicUrl ?? g).replace(/\/+$/, '');
    },
    releaseQueued,
    reset() {
      releaseQueued();
      behaviours.clear();
      failures.clear();
      drops.clear();
      messages.length = 0;
      calls.length = 0;
      requests.length = 0;
      callbacks.length = 0;
      phoneNumbers.reset();
    },
    async placeInboundCall(input) {
      const callSid = input.callSid ?? fakeSid('CA', 0x1000 + ++seq);
      const t = { ...transport, authToken: input.authToken ?? transport.authToken, headers: input.headers };
      const params = { CallSid: callSid, AccountSid: opts.accountSid, From: input.from, To: input.to, Caller: input.from, Called: input.to, CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' };
      const sendLeg = (url: string, p: Record<string, string>) => postSigned(t, url, p).then((res) => void callbacks.push({ url, params: p, status: res.status }));
      const transcript = await playCall(t, `${publicUrl}/webhooks/twilio/voice`, params, { ...input, sendCallback: input.sendCallback ?? sendLeg });
      if (input.statusCallback) {
        // The caller's leg lasted the talk time plus a few seconds of ringing and prompts.
        const talk = transcript.events.reduce((n, e) => n + (e.kind === 'dial-leg' ? e.talkSeconds : 0), 0);
        await sendLeg(input.statusCallback, {
          ...params, CallStatus: 'completed', CallDuration: String(talk + 5), Duration: String(Math.ceil((talk + 5) / 60)),
          CallbackSource: 'call-progress-events', SequenceNumber: '0', Timestamp: new Date().toUTCString(),
        });
      }
      return { ...transcript, callSid };
    },
    async sendInboundSms(input) {
      const messageSid = input.messageSid ?? fakeSid('SM', 0x1000 + ++seq);
      const t = { ...transport, authToken: input.authToken ?? transport.authToken, headers: input.headers };
      const params = { MessageSid: messageSid, SmsSid: messageSid, SmsMessageSid: messageSid, AccountSid: opts.accountSid, From: input.from, To: input.to, Body: input.body, NumMedia: '0', NumSegments: '1', SmsStatus: 'received', ApiVersion: '2010-04-01' };
      const res = await postSigned(t, `${publicUrl}/webhooks/twilio/sms`, params);
      const replies = res.status === 200 ? messageReplies(res.body) : [];
      const now = new Date();
      for (const body of replies) {
        messages.push({ sid: fakeSid('SM'), accountSid: opts.accountSid, from: input.to, to: input.from, body, mediaUrls: [], status: 'delivered', direction: 'outbound-reply', statusCallback: null, errorCode: null, dateCreated: now, dateSent: now, dateUpdated: now });
      }
      return { status: res.status, replies, raw: res.body, messageSid };
    },
    async settled() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async waitFor(fn, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = fn();
        if (v) return v as never;
        if (Date.now() > until) throw new Error('carrier emulator: condition not met in time');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      releaseQueued();
      await emulator.settled().catch(() => undefined);
      await app.close();
    },
  };
  return emulator;
};
