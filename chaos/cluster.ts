/**
 * The system under test for `npm run chaos`: N `switchboard serve` and M `switchboard work`
 * processes of the real CLI (`node --import tsx src/cli.ts …`) on the chaos PostgreSQL and
 * Redis, talking to the carrier emulator in its own process. Logs go to .data/chaos/logs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import twilio from 'twilio';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const PUBLIC_URL = 'http://switchboard.chaos';
export const SECRET_KEY = 'chaos-secret-key-0123456789abcdefghijklmnop';

/** Engine timings: short enough for a bounded run, long enough that a live send is never taken for a dead one. */
export const ENGINE_ENV = {
  QUEUE_LOCK_MS: '5000', SWEEP_INTERVAL_MS: '1000', DELIVERY_STALE_AFTER_MS: '10000', SEND_IN_DOUBT_AFTER_MS: '30000',
  // A dead worker's texts are looked up after max(30 s, 15 s + 30 s / 2) = 30 s, as before.
  SMS_LOOKUP_AFTER_DOUBT_MS: '15000',
  OUTBOX_REDISPATCH_AFTER_MS: '5000', EVENTS_SWEEP_INTERVAL_MS: '1000',
};

export type Carrier = {
  api: string;
  accountSid: string;
  authToken: string;
  /** Outbound texts counted by the carrier; `prefix`: only to numbers starting with it. */
  count(detail?: boolean, prefix?: string): Promise<{ messages: number; recipients: number; maxPerRecipient: number; perNumber?: Record<string, number> }>;
  /** The outbound texts; `at`: when the carrier took the request (epoch ms, this machine's clock). */
  messages(): Promise<Array<{ sid: string; to: string; from: string; body: string; statusCallback: string | null; at: number }>>;
  reset(): Promise<void>;
  /** The emulator's process id (for its CPU time in benchmarks). */
  pid: number;
  stop(): void;
};

export const startCarrier = async (root: string): Promise<Carrier> => {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'dev', 'carrier', 'standalone.ts'), accountSid, authToken, PUBLIC_URL], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`carrier exited (${code})`)));
  });
  const urls = JSON.parse(line) as { api: string; control: string };
  return {
    api: urls.api, accountSid, authToken,
    count: async (detail = false, prefix = '') => (await (await fetch(`${urls.control}/count?prefix=${encodeURIComponent(prefix)}${detail ? '&detail=1' : ''}`)).json()) as Awaited<ReturnType<Carrier['count']>>,
    messages: async () => (await (await fetch(`${urls.control}/messages`)).json()) as Awaited<ReturnType<Carrier['messages']>>,
    reset: async () => void (await fetch(`${urls.control}/reset`, { method: 'POST' })),
    pid: child.pid!,
    stop: () => void child.kill('SIGTERM'),
  };
};

export type Proc = { name: string; role: 'serve' | 'work'; port: number | null; child: ChildProcess; killedOnPurpose: boolean; exitCode: number | null | undefined };

export type Cluster = {
  webs: Proc[];
  workers: Proc[];
  /** The web base URLs, for alternating requests between processes. */
  webUrls: string[];
  start(name: string): Promise<Proc>;
  kill9(name: string): Promise<void>;
  /** Processes that died without being killed on purpose. */
  crashed(): string[];
  stop(): Promise<void>;
};

export type ClusterOptions = {
  root: string; databaseUrl: string; redisUrl: string; twilioApiUrl: string;
  webs?: number; workers?: number; basePort?: number; env?: Record<string, string>;
  /** Where each process's output goes (default .data/chaos/logs). */
  logDir?: string;
};

/** `CHAOS_SET_<KEY>=value` in the runner's environment sets `<KEY>` in every process (try other timings). */
const overrides = (): Record<string, string> => Object.fromEntries(Object.entries(process.env)
  .filter(([k, v]) => k.startsWith('CHAOS_SET_') && v !== undefined).map(([k, v]) => [k.slice('CHAOS_SET_'.length), v!]));

const cliEnv = (o: ClusterOptions, extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', LOG_LEVEL: 'warn',
  DATABASE_URL: o.databaseUrl, DATABASE_POOL_SIZE: '10', REDIS_URL: o.redisUrl, REDIS_PREFIX: '{chaos}',
  SECRET_KEY, PUBLIC_URL, TWILIO_API_URL: o.twilioApiUrl, HOST: '127.0.0.1', SIMULATOR_CALLBACKS: 'false', ...ENGINE_ENV, ...o.env, ...overrides(), ...extra,
});

/** Runs `switchboard <args>` to completion (migrate, accounts create); returns stdout. */
export const cli = (o: Pick<ClusterOptions, 'root' | 'databaseUrl' | 'redisUrl' | 'twilioApiUrl' | 'env'>, args: string[]): string => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: o.root, env: cliEnv(o as ClusterOptions, {}), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`switchboard ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};

const waitReady = async (url: string, timeoutMs = 60_000) => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > until) throw new Error(`${url} not ready in ${timeoutMs} ms`);
    await sleep(200);
  }
};

export const startCluster = async (o: ClusterOptions): Promise<Cluster> => {
  const logs = o.logDir ?? path.join(o.root, '.data', 'chaos', 'logs');
  mkdirSync(logs, { recursive: true });
  const base = o.basePort ?? 3101;
  const procs = new Map<string, Proc>();
  const spec = new Map<string, { role: 'serve' | 'work'; port: number | null }>();
  for (let i = 0; i < (o.webs ?? 2); i++) spec.set(`web${i + 1}`, { role: 'serve', port: base + i });
  for (let i = 0; i < (o.workers ?? 2); i++) spec.set(`worker${i + 1}`, { role: 'work', port: null });

  const start = async (name: string): Promise<Proc> => {
    const s = spec.get(name)!;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', s.role], {
      cwd: o.root, env: cliEnv(o, s.port ? { PORT: String(s.port) } : {}), stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(path.join(logs, `${name}.log`), { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const p: Proc = { name, role: s.role, port: s.port, child, killedOnPurpose: false, exitCode: undefined };
    child.once('exit', (code) => { p.exitCode = code; });
    procs.set(name, p);
    if (s.port) await waitReady(`http://127.0.0.1:${s.port}`);
    else await sleep(1500); // workers log nothing on start at warn level: give them a moment to connect
    return p;
  };
  await Promise.all([...spec.keys()].map(start));

  return {
    get webs() { return [...procs.values()].filter((p) => p.role === 'serve'); },
    get workers() { return [...procs.values()].filter((p) => p.role === 'work'); },
    webUrls: [...spec.values()].filter((s) => s.port).map((s) => `http://127.0.0.1:${s.port}`),
    start,
    async kill9(name) {
      const p = procs.get(name)!;
      p.killedOnPurpose = true;
      p.child.kill('SIGKILL');
      if (p.exitCode === undefined) await new Promise((r) => p.child.once('exit', r));
    },
    crashed: () => [...procs.values()].filter((p) => !p.killedOnPurpose && p.exitCode !== undefined).map((p) => `${p.name} exited ${p.exitCode}`),
    async stop() {
      const all = [...procs.values()].filter((p) => p.exitCode === undefined);
      for (const p of all) { p.killedOnPurpose = true; p.child.kill('SIGTERM'); }
      await Promise.race([Promise.all(all.map((p) => new Promise((r) => (p.exitCode !== undefined ? r(null) : p.child.once('exit', r))))), sleep(15_000)]);
      for (const p of all) if (p.exitCode === undefined) p.child.kill('SIGKILL');
    },
  };
};

/** JSON API client with an account key, alternating between the web processes. */
export const apiClient = (webUrls: string[], key: string) => {
  let n = 0;
  return async (method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> => {
    const base = webUrls[n++ % webUrls.length]!;
    const res = await fetch(base + url, {
      method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* TwiML or empty */ }
    return { status: res.status, body: parsed };
  };
};
export type Api = ReturnType<typeof apiClient>;

/**
 * Keep-alive connections for the simulated carrier's webhooks (node:http, not fetch: these
 * callers share the machine's cores with the processes under test, and undici's fetch cost the
 * latency bench about 1.5 CPU-s of its 5 in the broadcast phase; a real carrier costs Switchboard's
 * machine nothing).
 */
const webhookAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Posts a carrier webhook signed the way Twilio signs it, to one web process. */
export const postWebhook = (baseUrl: string, pathAndQuery: string, params: Record<string, string>, authToken: string, timeoutMs = 15_000) => {
  const signature = twilio.getExpectedTwilioSignature(authToken, PUBLIC_URL + pathAndQuery, params);
  const body = new URLSearchParams(params).toString();
  const started = Date.now();
  return new Promise<{ status: number; type: string; body: string; ms: number }>((resolve) => {
    const failed = (err: unknown) => resolve({ status: 0, type: '', body: String(err), ms: Date.now() - started });
    const req = http.request(baseUrl + pathAndQuery, {
      method: 'POST', agent: webhookAgent, timeout: timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
      res.on('error', failed);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', failed);
    req.end(body);
  });
};

export const expectOk = <T extends { status: number; body: any }>(what: string, r: T): T => {
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r;
};
