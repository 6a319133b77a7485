import { lookup as dnsLookup } from 'node:dns';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { classifyAddress } from '../../src/webhooks/ssrf-policy.js';
import type { WebhookClient, WebhookFailure, WebhookOutcome, WebhookRequest } from '../../src/webhooks/webhook-port.js';

/**
 * HTTPS webhook client with an SSRF guard enforced at connect time.
 *
 * How the guard works (every hop, redirects included):
 * 1. literal IP hosts (however spelled: the WHATWG URL parser turns `2130706433`, `0x7f.1`,
 *    `0177.0.0.1` into `127.0.0.1`) are classified before any socket opens;
 * 2. names resolve through a wrapped `lookup` that refuses the connection if ANY answer is not
 *    public, so the socket can only connect to addresses that were checked;
 * 3. on the socket's `connect` event the peer address is classified once more and the socket is
 *    destroyed before the TLS handshake if it is not public (belt and braces against a lookup
 *    that was bypassed).
 * Hosts in `allowedHosts` (WEBHOOK_ALLOWED_HOSTS, off by default) skip the address checks —
 * for local testing only; it is matched on the URL's host name of each hop, so an allowed
 * host cannot redirect to a private one that is not also listed.
 *
 * Connections are not pooled (`agent: false`): every request resolves and checks afresh.
 */
export type HttpsWebhookClientOptions = {
  timeoutMs: number;
  allowedHosts?: readonly string[];
  maxRedirects?: number;
  /** Extra CA certificates to trust for these requests only (a test server's self-signed cert). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** DNS resolver; tests inject names that resolve to private addresses. Default: dns.lookup. */
  lookup?: LookupFunction;
  maxResponseBytes?: number;
  userAgent?: string;
};

class SsrfRefusedError extends Error {
  readonly code = 'ESSRF_REFUSED';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const guardLookup = (base: LookupFunction): LookupFunction =>
  ((hostname: string, options: object, cb: (...args: unknown[]) => void) => {
    base(hostname, options as never, ((err: Error | null, address: unknown, family?: number) => {
      if (err) return cb(err, address, family);
      const list = Array.isArray(address) ? (address as Array<{ address: string }>) : [{ address: String(address) }];
      for (const a of list) {
        const v = classifyAddress(a.address);
        if (!v.allowed) return cb(new SsrfRefusedError(`${hostname} resolves to ${v.reason}`));
      }
      cb(null, address, family);
    }) as never);
  }) as LookupFunction;

type HopResult = { status: number; location: string | null; bodyExcerpt: string };

export const createHttpsWebhookClient = (opts: HttpsWebhookClientOptions): WebhookClient => {
  const allowed = new Set((opts.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  const maxRedirects = opts.maxRedirects ?? 3;
  const maxBytes = opts.maxResponseBytes ?? 16 * 1024;
  const baseLookup = opts.lookup ?? (dnsLookup as LookupFunction);
  const guarded = guardLookup(baseLookup);

  const hop = (url: URL, method: string, headers: Record<string, string>, body: string | Buffer | null, signal: AbortSignal) =>
    new Promise<HopResult>((resolve, reject) => {
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const trusted = allowed.has(host.toLowerCase());
      if (!trusted && isIP(host)) {
        const v = classifyAddress(host);
        if (!v.allowed) return reject(new SsrfRefusedError(v.reason));
      }
      const req = https.request(
        {
          host,
          port: url.port ? Number(url.port) : 443,
          path: `${url.pathname}${url.search}`,
          method,
          headers: body === null ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: false,
          lookup: trusted ? baseLookup : guarded,
          ca: opts.ca,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => resolve({
            status: res.statusCode ?? 0,
            location: typeof res.headers.location === 'string' ? res.headers.location : null,
            bodyExcerpt: Buffer.concat(chunks).toString('utf8').slice(0, maxBytes),
          });
          res.on('data', (c: Buffer) => {
            if (size >= maxBytes) return;
            chunks.push(c);
            size += c.length;
            // Enough for the log: stop reading instead of buffering a huge response.
            if (size >= maxBytes) { done(); res.destroy(); }
          });
          res.on('end', done);
          res.on('error', reject);
        },
      );
      req.on('socket', (socket) => {
        socket.once('connect', () => {
          if (trusted) return;
          const v = classifyAddress(socket.remoteAddress ?? '');
          if (!v.allowed) socket.destroy(new SsrfRefusedError(`${host} connected to ${v.reason}`));
        });
      });
      req.on('error', reject);
      req.end(body ?? undefined);
    });

  const failure = (kind: WebhookFailure['kind'], reason: string, started: number, code?: string): WebhookOutcome => ({
    ok: false,
    failure: { kind, reason, durationMs: Math.round(performance.now() - started), ...(code ? { code } : {}) },
  });

  const describe = (err: unknown, signal: AbortSignal, started: number): WebhookOutcome => {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof SsrfRefusedError) return failure('refused', `refused: ${err.message}`, started);
    if (signal.aborted || e?.name === 'AbortError') return failure('timeout', `no response within ${opts.timeoutMs} ms`, started);
    const code = typeof e?.code === 'string' ? e.code : 'UNKNOWN';
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/i.test(code) || /certificate|ssl|tls/i.test(e?.message ?? '')) {
      return failure('tls', `TLS failed: ${e.message}`, started, code);
    }
    if (code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN' || code === 'ERR_UNESCAPED_CHARACTERS') {
      return failure('invalid_request', `invalid request: ${e.message}`, started, code);
    }
    return failure('network', `network error: ${code}`, started, code);
  };

  return {
    async send(request: WebhookRequest): Promise<WebhookOutcome> {
      const started = performance.now();
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return failure('invalid_request', 'the URL is not valid', started);
      }
      if (url.protocol !== 'https:') return failure('invalid_request', 'only https:// URLs are allowed', started);
      if (url.username || url.password) return failure('invalid_request', 'credentials in the URL are not allowed; use the Authorization header', started);

      const origin = url.origin;
      let method: string = request.method;
      let body = request.method === 'GET' ? null : (request.body ?? null);
      let headers: Record<string, string> = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      if (opts.userAgent && !headers['user-agent']) headers['user-agent'] = opts.userAgent;

      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), opts.timeoutMs);
      try {
        for (let redirects = 0; ; redirects++) {
          const res = await hop(url, method, headers, body, ac.signal);
          if (!REDIRECTS.has(res.status) || !res.location) {
            return {
              ok: true,
              response: { status: res.status, durationMs: Math.round(performance.now() - started), finalUrl: url.toString(), redirects, bodyExcerpt: res.bodyExcerpt },
            };
          }
          if (redirects >= maxRedirects) return failure('too_many_redirects', `more than ${maxRedirects} redirects`, started);
          let next: URL;
          try {
            next = new URL(res.location, url);
          } catch {
            return failure('bad_redirect', 'the redirect Location is not a valid URL', started);
          }
          if (next.protocol !== 'https:') return failure('bad_redirect', 'refused: redirect to a non-https URL', started);
          if (next.origin !== origin) {
            // Never hand the account's credentials to another origin.
            const { authorization: _dropped, ...rest } = headers;
            headers = rest;
          }
          if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
            method = 'GET';
            body = null;
            const { 'content-type': _ct, ...rest } = headers;
            headers = rest;
          }
          url = next;
        }
      } catch (err) {
        return describe(err, ac.signal, started);
      } finally {
        clearTimeout(timer);
      }
    },
  };
};
