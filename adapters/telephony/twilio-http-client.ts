/**
 * The `httpClient` the official `twilio` SDK sends its REST calls through (the SDK's documented
 * extension point: the SDK still builds every request, signs it with Basic auth, parses the
 * response and raises its own `RestException`s). It replaces the SDK's default axios-based
 * `RequestClient` on the hot path because, per request, axios merges configs, runs its
 * interceptor and transform chains and serialises through `qs`: a CPU profile of a 10,000-text
 * fan-out showed axios at ~21 % of the worker's CPU and the SDK path at ~4x the CPU of a bare
 * `node:http` request (bench/fanout.ts). Here: one keep-alive agent (sockets are reused, never a
 * new agent or TLS handshake per send), `maxSockets` sized to the sends a process keeps in
 * flight, form bodies encoded with `URLSearchParams` (repeated keys for lists, as the SDK's
 * `arrayFormat: "repeat"`), one overall timeout per request.
 *
 * Anything outside that simple shape (JSON bodies, nested parameters, token auth strategies,
 * followed redirects) goes to the SDK's own client unchanged (`super.request`).
 */
import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';

type RequestOptions<TData> = import('twilio/lib/base/RequestClient.js').RequestOptions<TData>;
type Primitive = string | number | boolean;

export type TwilioHttpClientOptions = {
  /** Send every request to this base URL instead (scheme, host, port, path prefix): TWILIO_API_URL. */
  baseUrl?: string;
  /** Whole-request timeout (ms). */
  timeoutMs: number;
  /** Sockets per host (keep-alive): at least the sends one process keeps in flight. */
  maxSockets: number;
};

const isPrimitive = (v: unknown): v is Primitive => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Form / query encoding of flat parameters; null when a value is not flat (nested objects). */
export const encodeFlat = (params: unknown): string | null => {
  if (params === undefined || params === null) return '';
  if (typeof params !== 'object') return null;
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    if (isPrimitive(v)) out.append(k, String(v));
    else if (Array.isArray(v) && v.every(isPrimitive)) for (const x of v) out.append(k, String(x));
    else return null;
  }
  return out.toString();
};

/** A network-level failure with a code the provider maps onto its retry contract. */
const netError = (message: string, code: string) => Object.assign(new Error(message), { code });

type Target = { secure: boolean; host: string; port: number | undefined; pathPrefix: string };

const parseTarget = (u: URL): Target => ({
  secure: u.protocol === 'https:',
  host: u.hostname.replace(/^\[|\]$/g, ''),
  port: u.port ? Number(u.port) : undefined,
  pathPrefix: u.pathname.replace(/\/+$/, ''),
});

export class TwilioHttpClient extends twilio.RequestClient {
  private readonly base: Target | null;
  private readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** `Basic …` per account: computed once, not per send. */
  private readonly authHeaders = new Map<string, string>();

  constructor(opts: TwilioHttpClientOptions) {
    super({ timeout: opts.timeoutMs, keepAlive: true, maxSockets: opts.maxSockets, maxTotalSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets });
    this.base = opts.baseUrl ? parseTarget(new URL(opts.baseUrl)) : null;
    this.timeoutMs = opts.timeoutMs;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(agentOpts);
    this.httpsAgent = new https.Agent(agentOpts);
    // The fallback path (super.request) goes through the same sockets.
    this.axios.defaults.httpAgent = this.httpAgent;
    this.axios.defaults.httpsAgent = this.httpsAgent;
  }

  /** Where a request for `uri` really goes: the base URL's host with its path prefix, or the URI itself. */
  private resolve(uri: string): { target: Target; path: string } {
    const u = new URL(uri);
    const path = `${u.pathname}${u.search}`;
    if (this.base) return { target: this.base, path: `${this.base.pathPrefix}${path}` };
    return { target: parseTarget(u), path };
  }

  private authorization(username: string, password: string): string {
    const key = `${username}:${password}`;
    let h = this.authHeaders.get(key);
    if (!h) {
      if (this.authHeaders.size > 500) this.authHeaders.clear(); // bounded: credentials rotate rarely
      h = `Basic ${Buffer.from(key).toString('base64')}`;
      this.authHeaders.set(key, h);
    }
    return h;
  }

  override request<TData>(opts: RequestOptions<TData>): Promise<any> {
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
    const form = headers['Content-Type'] === 'application/x-www-form-urlencoded';
    const query = encodeFlat(opts.params);
    const body = opts.data === undefined || opts.data === null ? '' : form ? encodeFlat(opts.data) : null;
    if (query === null || body === null || opts.allowRedirects || !opts.username || !opts.password) {
      const { target, path } = this.resolve(opts.uri);
      const origin = `${target.secure ? 'https' : 'http'}://${target.host.includes(':') ? `[${target.host}]` : target.host}${target.port ? `:${target.port}` : ''}`;
      return super.request<TData>({ ...opts, uri: `${origin}${path}` });
    }
    const { target, path: basePath } = this.resolve(opts.uri);
    const path = query ? `${basePath}${basePath.includes('?') ? '&' : '?'}${query}` : basePath;
    headers.Authorization = this.authorization(opts.username, opts.password);
    headers.Connection = 'keep-alive';
    if (body) headers['Content-Length'] = String(Buffer.byteLength(body));
    const timeoutMs = opts.timeout ?? this.timeoutMs;

    return new Promise((resolve, reject) => {
      const req = (target.secure ? https : http).request({
        host: target.host, port: target.port, path, method: opts.method.toUpperCase(), headers, agent: target.secure ? this.httpsAgent : this.httpAgent,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ statusCode: res.statusCode ?? 0, body: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'), headers: res.headers });
        });
      });
      const timer = setTimeout(() => req.destroy(netError(`timeout of ${timeoutMs}ms exceeded`, 'ECONNABORTED')), timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body || undefined);
    });
  }
}
