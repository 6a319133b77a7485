import { isIP } from 'node:net';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const url = z.url();

const TRUST_PROXY_HELP = 'must be a hop count (0 = off) or comma-separated proxy IPs / CIDRs (or loopback, linklocal, uniquelocal)';
const proxyEntry = (e: string): boolean => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(e)) return true;
  const [ip, bits, extra] = e.split('/');
  const family = isIP(ip ?? '');
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};
/**
 * Which proxies may set X-Forwarded-For: off (`false`), a hop count, or the proxies' addresses.
 * Never "trust everyone": then any client could pick its own address and dodge per-address limits.
 */
const trustProxy = z
  .string()
  .default('0')
  .transform((v, ctx): false | number | string[] => {
    const t = v.trim();
    if (/^\d{1,2}$/.test(t)) return Number(t) === 0 ? false : Number(t);
    const entries = t.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = entries.filter((e) => !proxyEntry(e));
    if (entries.length > 0 && bad.length === 0) return entries;
    ctx.addIssue({ code: 'custom', message: `${TRUST_PROXY_HELP}; got "${bad[0] ?? t}"` });
    return z.NEVER;
  });

/** Every setting Switchboard reads, with defaults. `.env.example` documents each key. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: url.default('http://localhost:3000').transform((u) => u.replace(/\/+$/, '')),
  DATABASE_URL: url.refine((u) => /^postgres(ql)?:/.test(u), 'must be a postgres:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: url.refine((u) => /^rediss?:/.test(u), 'must be a redis:// or rediss:// URL'),
  /** BullMQ and key prefix; a hash tag keeps every key in one Redis Cluster slot. */
  REDIS_PREFIX: z.string().min(1).regex(/^[^:]+$/, 'may not contain ":"').default('{switchboard}'),
  SECRET_KEY: z
    .string({ error: 'is required (32+ random characters; used to encrypt stored secrets)' })
    .min(32, 'must be at least 32 characters'),
  TWILIO_API_URL: url.optional(),
  /** `smtp(s)://…`, or `catcher`: a built-in SMTP server keeps every e-mail for the dashboard, sends none (the quick start's default). */
  SMTP_URL: z.string().regex(/^(smtps?:\/\/|catcher$)/, 'must be an smtp:// or smtps:// URL, or "catcher"').optional(),
  SMTP_FROM: z.string().default('Switchboard <switchboard@localhost>'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Hosts a webhook action may reach although they resolve to private addresses (local testing only). */
  WEBHOOK_ALLOWED_HOSTS: list.default([]),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** PEM file of extra CA certificates trusted for webhook requests only (private CAs, local tests). */
  WEBHOOK_CA_FILE: z.string().min(1).optional(),
  /** Largest attachment upload (bytes); bigger uploads get a 413. */
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /**
   * Push notifications (adapters/push/README.md): `webpush` (Web Push to the dashboard PWA; the
   * default when VAPID keys are set), `none` (SMS instead; the default without keys) or `simulator`.
   */
  PUSH_PROVIDER: z.enum(['none', 'simulator', 'webpush']).optional(),
  /** Web Push VAPID key pair (`npx switchboard vapid` prints one): P-256, base64url, public 65 bytes, private 32. */
  VAPID_PUBLIC_KEY: z.string().trim().regex(/^[A-Za-z0-9_-]{87}$/, 'must be a base64url P-256 public key (65 bytes, e.g. from `switchboard vapid`)')
    .refine((k) => k.length !== 87 || Buffer.from(k, 'base64url')[0] === 4, 'must be an uncompressed P-256 point (starts with 0x04)').optional(),
  VAPID_PRIVATE_KEY: z.string().trim().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url P-256 private key (32 bytes, e.g. from `switchboard vapid`)').optional(),
  /** Who push services contact about this sender: `mailto:` address or `https:` URL. */
  VAPID_SUBJECT: z.string().regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, 'must be a mailto: address or an https:// URL').default('mailto:switchboard@localhost'),
  /** A push service that does not answer within this is a failed attempt (retried, then SMS instead). */
  PUSH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Attempts at a push (timeouts, push service 5xx) before it falls back to SMS; at most DELIVERY_MAX_ATTEMPTS. */
  PUSH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(3),
  /** Push endpoint hosts admitted although they are not public HTTPS addresses' hosts (local testing only; as WEBHOOK_ALLOWED_HOSTS). */
  PUSH_ALLOWED_HOSTS: list.default([]),
  PROMPT_API_URL: url.optional(),
  PROMPT_API_KEY: z.string().optional(),
  PROMPT_MODEL: z.string().default('gpt-4o-mini'),
  PROMPT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(8_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** Action engine (see docs/ENGINE.md): deliveries per BullMQ job, queue lock, sweeps, retries. */
  DELIVERY_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(100),
  PLANNER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  QUEUE_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  OUTBOX_REDISPATCH_AFTER_MS: z.coerce.number().int().min(100).default(30_000),
  DELIVERY_STALE_AFTER_MS: z.coerce.number().int().min(100).default(120_000),
  SEND_IN_DOUBT_AFTER_MS: z.coerce.number().int().min(100).default(300_000),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  DELIVERY_BACKOFF_MS: z.coerce.number().int().min(10).default(2_000),
  /**
   * A call whose placing may have reached the carrier (timeout, lost connection, carrier 5xx) is
   * retried no sooner than this: if the carrier did place it, its first status callback records
   * the call meanwhile and the retry finds nothing left to send.
   */
  CALL_RETRY_AFTER_DOUBT_MS: z.coerce.number().int().min(10).default(15_000),
  /**
   * A text whose send may have reached the carrier is looked up there (and sent again only if it
   * is not found) no sooner than this after the lost attempt started: a slow carrier may still be
   * storing it after the connection was lost. Independent of DELIVERY_BACKOFF_MS. Also the least
   * age of a dead worker's send before the sweeper looks it up.
   */
  SMS_LOOKUP_AFTER_DOUBT_MS: z.coerce.number().int().min(1_000, 'must be at least 1000 (ms)').max(3_600_000).default(60_000),
  /**
   * A text or call still not final at the carrier's last word (queued, sent) with no status
   * callback for this long is fetched from the carrier by its id (callbacks lost while the web
   * side was down are not sent again); 0 = never.
   */
  DELIVERY_RECONCILE_AFTER_MS: z.coerce.number().int().refine((n) => n === 0 || n >= 1_000, 'must be 0 (off) or at least 1000 (ms)').default(60_000),
  /** Deliveries fetched from the carrier per sweep at most (DELIVERY_RECONCILE_AFTER_MS). */
  DELIVERY_RECONCILE_BATCH: z.coerce.number().int().min(1).max(1_000).default(100),
  /** Sends in flight per worker process at most (all jobs together): bounds sockets and memory. */
  DELIVERY_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(100),
  CONFERENCE_RETRY_AFTER_MS: z.coerce.number().int().min(100).default(120_000),
  /** Pace of a line without smsPerSecond / callsPerSecond in its settings; 0 = no limit. */
  DEFAULT_SMS_PER_SECOND: z.coerce.number().min(0).max(10_000).default(0),
  DEFAULT_CALLS_PER_SECOND: z.coerce.number().min(0).max(1_000).default(0),
  SCHEDULE_GRACE_MINUTES: z.coerce.number().int().min(0).max(1440).default(15),
  LOCKOUT_MAX_MISSES: z.coerce.number().int().min(1).max(100).default(5),
  LOCKOUT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
  /** Misses on one line (all callers) that lock the line's code entry for LOCKOUT_SECONDS. */
  LOCKOUT_LINE_MAX_MISSES: z.coerce.number().int().min(1).max(10_000).default(25),
  SECURE_COOKIES: bool.optional(),
  /** Dashboard session lifetime; a session used after half of it is extended. */
  SESSION_TTL_HOURS: z.coerce.number().min(0.1).max(24 * 90).default(12),
  /** Worker role: how often expired dashboard sessions are deleted; 0 = never. */
  SESSION_PURGE_INTERVAL_MINUTES: z.coerce.number().min(0).max(24 * 60).default(60),
  /** Sign-in attempts allowed per client IP per minute (the socket's address unless TRUST_PROXY names proxies). */
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Website number requests (`GET /dni/number`, the DNI snippet) allowed per client IP and DNI key per minute. */
  DNI_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(120),
  /** Proxies whose X-Forwarded-For is believed: hop count or IPs/CIDRs; off by default. */
  TRUST_PROXY: trustProxy,
  /** Failed sign-ins for one e-mail (from any address) within the window that lock it for LOGIN_LOCKOUT_SECONDS. */
  LOGIN_LOCKOUT_MAX_FAILURES: z.coerce.number().int().min(1).max(1_000).default(10),
  LOGIN_LOCKOUT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** The simulator provider plays the carrier's final status callbacks (texts delivered, calls answered). */
  SIMULATOR_CALLBACKS: bool.default(true),
  /** Events pipeline and rule engine (docs/RULES.md). */
  EVENTS_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  EVENTS_REDISPATCH_AFTER_MS: z.coerce.number().int().min(100).default(60_000),
  RULES_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  RULES_STALE_AFTER_MS: z.coerce.number().int().min(1_000).default(300_000),
  RULES_RATE_LIMIT_COUNT: z.coerce.number().int().min(1).max(10_000).default(9),
  RULES_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(180),
  RULES_LOOP_DISABLE_AFTER: z.coerce.number().int().min(1).max(100_000).default(100),
  RULES_MAX_CHAIN_DEPTH: z.coerce.number().int().min(1).max(100).default(5),
  RULES_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  /** Sequences worker: pause between polls for due enrollments when idle (0 = no loop; tests drive it), and the claim batch size. */
  SEQUENCE_POLL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  SEQUENCE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /**
   * Prometheus metrics (docs/METRICS.md): `GET /metrics` on PORT (`serve`, `all`) or on
   * METRICS_PORT (`work`), for `Authorization: Bearer <METRICS_TOKEN>` only. Off by default;
   * on without a token is a configuration error (never served unauthenticated).
   */
  METRICS: bool.default(false),
  METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
}).superRefine((c, ctx) => {
  if (!!c.VAPID_PUBLIC_KEY !== !!c.VAPID_PRIVATE_KEY) {
    ctx.addIssue({ code: 'custom', path: [c.VAPID_PUBLIC_KEY ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY'], message: 'is required with the other VAPID key (both come from `switchboard vapid`)' });
  }
  if (c.PUSH_PROVIDER === 'webpush' && !c.VAPID_PUBLIC_KEY) {
    ctx.addIssue({ code: 'custom', path: ['VAPID_PUBLIC_KEY'], message: 'is required when PUSH_PROVIDER=webpush (generate a pair with `npx switchboard vapid`)' });
  }
  if (c.METRICS && !c.METRICS_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'is required when METRICS=true (scrapers send it as "Authorization: Bearer <token>"; e.g. `openssl rand -hex 32`)' });
  }
});

export type Config = z.infer<typeof configSchema>;

/** The push provider in use: PUSH_PROVIDER, else `webpush` when VAPID keys are set, else `none`. */
export const pushProviderOf = (c: Pick<Config, 'PUSH_PROVIDER' | 'VAPID_PUBLIC_KEY'>): 'none' | 'simulator' | 'webpush' =>
  c.PUSH_PROVIDER ?? (c.VAPID_PUBLIC_KEY ? 'webpush' : 'none');

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; throws a ConfigError naming every bad or missing key. */
export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
};
