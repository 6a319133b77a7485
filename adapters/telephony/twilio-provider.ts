/**
 * `TelephonyProvider` over the official `twilio` SDK. With `apiUrl` (config TWILIO_API_URL) every
 * REST call goes to that base URL instead of https://api.twilio.com (the carrier emulator in
 * tests and local runs), through the SDK's own `httpClient` option: a lean keep-alive `node:http(s)`
 * client (twilio-http-client.ts) instead of the SDK's default axios client.
 *
 * Retry contract (ProviderError): carrier 429 -> `rateLimited` + retryable; carrier 5xx, network
 * errors and timeouts -> retryable; other 4xx -> permanent, with Twilio's error code
 * (21211 invalid number, 21610 unsubscribed recipient, 21608 unverified…) in `providerCode`.
 */
import twilio from 'twilio';
import { ProviderError } from '../../src/errors.js';
import { TwilioHttpClient } from './twilio-http-client.js';
import type {
  CarrierCredentials, OutboundCall, OutboundSms, ProviderMessage, ProviderSendResult, ProviderStatus, TelephonyProvider,
} from '../../src/engine/telephony-port.js';

export type TwilioProviderOptions = {
  /** TWILIO_API_URL: another base URL for every REST call (emulator). */
  apiUrl?: string;
  timeoutMs?: number;
  /** Keep-alive sockets to the carrier (per host): at least the sends a process keeps in flight (DELIVERY_MAX_IN_FLIGHT). */
  maxSockets?: number;
};

/**
 * An in-doubt look-up reads at most LOOKUP_PAGES x LOOKUP_PAGE_SIZE of the newest messages between
 * one line and one number (one request almost always): bounded work per look-up.
 */
const LOOKUP_PAGE_SIZE = 200;
const LOOKUP_PAGES = 5;
const NOT_FOUND_CODES = new Set([20404]);
/** Network errors raised before a request could be written: the carrier cannot have acted on it. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/** Maps an SDK or network failure to the port's retry contract. */
export const toProviderError = (err: unknown, what: string): ProviderError => {
  const e = err as { status?: number; code?: number | string; message?: string };
  if (typeof e?.status === 'number') {
    const status = e.status;
    const code = e.code ?? status;
    const message = `${what}: carrier refused (${status}${e.code ? `, code ${e.code}` : ''}): ${e.message ?? 'error'}`;
    if (status === 429 || e.code === 20429) return new ProviderError(message, { providerCode: code, providerStatus: status, retryable: true, rateLimited: true, cause: err });
    if (status >= 500) return new ProviderError(message, { providerCode: code, providerStatus: status, retryable: true, maybeSent: true, cause: err });
    return new ProviderError(message, { providerCode: code, providerStatus: status, retryable: false, cause: err });
  }
  // Network: ECONNREFUSED, ECONNRESET, ETIMEDOUT, ECONNABORTED (timeout)… Only a failure to
  // connect at all proves the carrier never saw the request.
  const netCode = typeof e?.code === 'string' ? e.code : 'network';
  return new ProviderError(`${what}: carrier unreachable (${typeof e?.code === 'string' ? e.code : 'network error'})`, {
    providerCode: netCode,
    retryable: true,
    maybeSent: !NEVER_SENT.has(netCode),
    cause: err,
  });
};

/** Runs one carrier request; any failure leaves as a `ProviderError` (`toProviderError`). */
export const callCarrier = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw toProviderError(err, what);
  }
};

const isNotFound = (err: unknown) => {
  const e = err as { status?: number; code?: number };
  return e?.status === 404 || (e?.code !== undefined && NOT_FOUND_CODES.has(e.code));
};

export const createTwilioProvider = (opts: TwilioProviderOptions = {}): TelephonyProvider => {
  const call = callCarrier;
  const timeout = opts.timeoutMs ?? 15_000;
  const httpClient = new TwilioHttpClient({ baseUrl: opts.apiUrl, timeoutMs: timeout, maxSockets: opts.maxSockets ?? 100 });
  const clients = new Map<string, twilio.Twilio>();

  const client = (creds: CarrierCredentials | null): twilio.Twilio => {
    if (!creds) throw new ProviderError('twilio: the line has no carrier credentials', { providerCode: 'no_credentials', retryable: false });
    const key = `${creds.accountSid}:${creds.authToken}`;
    let c = clients.get(key);
    if (!c) {
      if (clients.size > 500) clients.clear(); // bounded: credentials rotate rarely
      c = twilio(creds.accountSid, creds.authToken, { httpClient, autoRetry: false });
      clients.set(key, c);
    }
    return c;
  };

  return {
    name: 'twilio',
    async sendSms(creds, msg: OutboundSms): Promise<ProviderSendResult> {
      const c = client(creds);
      const m = await call('send sms', () =>
        c.messages.create({
          // A Messaging Service line: Twilio picks the sender from the service's pool.
          ...(msg.messagingServiceSid ? { messagingServiceSid: msg.messagingServiceSid } : { from: msg.from }),
          to: msg.to,
          body: msg.body,
          ...(msg.mediaUrls?.length ? { mediaUrl: msg.mediaUrls } : {}),
          ...(msg.statusCallbackUrl ? { statusCallback: msg.statusCallbackUrl } : {}),
        }),
      );
      return { providerId: m.sid, status: m.status };
    },
    async placeCall(creds, p: OutboundCall): Promise<ProviderSendResult> {
      const c = client(creds);
      const res = await call('place call', () =>
        c.calls.create({
          from: p.from,
          to: p.to,
          url: p.twimlUrl,
          method: 'POST',
          ...(p.statusCallbackUrl
            ? { statusCallback: p.statusCallbackUrl, statusCallbackMethod: 'POST', statusCallbackEvent: p.statusEvents ?? ['completed'] }
            : {}),
          ...(p.timeoutSeconds ? { timeout: p.timeoutSeconds } : {}),
          ...(p.sendDigits ? { sendDigits: p.sendDigits } : {}),
        }),
      );
      return { providerId: res.sid, status: res.status };
    },
    async fetchMessageStatus(creds, providerId): Promise<ProviderStatus | null> {
      const c = client(creds);
      try {
        const m = await c.messages(providerId).fetch();
        return { providerId: m.sid, status: m.status, errorCode: m.errorCode ? String(m.errorCode) : null, durationSeconds: null };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw toProviderError(err, 'fetch message');
      }
    },
    async fetchCallStatus(creds, providerId): Promise<ProviderStatus | null> {
      const c = client(creds);
      try {
        const r = await c.calls(providerId).fetch();
        return { providerId: r.sid, status: r.status, errorCode: null, durationSeconds: r.duration ? Number(r.duration) : null };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw toProviderError(err, 'fetch call');
      }
    },
    async findMessages(creds, q): Promise<ProviderMessage[]> {
      // Never filtered on DateSent: a text Twilio accepted but still holds queued (paced line,
      // long queue) has no date_sent yet and would not be listed. Twilio filters only by To, From
      // and DateSent, so list the pair's messages (newest first, LOOKUP_PAGES pages at most) and
      // keep those the carrier created since `q.since`. Through a Messaging Service the sender is
      // any number of its pool: list by To only and keep the service's texts.
      const c = client(creds);
      const service = q.messagingServiceSid ?? null;
      const found: ProviderMessage[] = [];
      type ListPage = { instances: Array<{ sid: string; from: string; to: string; body: string; status: string; dateCreated: Date; dateSent: Date; messagingServiceSid: string | null }>; nextPageUrl?: string; nextPage(): Promise<ListPage> | undefined };
      let page: ListPage = await call('list messages', () => c.messages.page({ ...(service ? {} : { from: q.from }), to: q.to, pageSize: LOOKUP_PAGE_SIZE }));
      for (let n = 1; ; n++) {
        for (const m of page.instances) {
          if (m.dateCreated && m.dateCreated.getTime() < q.since.getTime()) continue;
          if (service && m.messagingServiceSid !== service) continue;
          found.push({ providerId: m.sid, from: m.from, to: m.to, body: m.body, status: m.status, sentAt: m.dateSent ?? null, messagingServiceSid: m.messagingServiceSid ?? null });
        }
        if (n >= LOOKUP_PAGES || !page.nextPageUrl) return found;
        const current = page;
        page = await call('list messages', async () => (await current.nextPage())!);
      }
    },
    async hangupCall(creds, providerId): Promise<void> {
      const c = client(creds);
      try {
        await c.calls(providerId).update({ status: 'completed' });
      } catch (err) {
        // Already over (21220) or unknown: nothing left to hang up.
        const code = (err as { code?: number }).code;
        if (isNotFound(err) || code === 21220) return;
        throw toProviderError(err, 'hang up call');
      }
    },
  };
};
