import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { activationSources } from '../engine/activation-types.js';
import { telephonyChannels } from '../engine/delivery-status.js';
import type { ActivationMetrics, DeliveryMetrics, RequestObservation } from '../engine/metrics-port.js';
import type { BacklogSnapshot } from './metrics-repo.js';
import type { QueueSnapshot } from './queue-stats.js';

/** Where the scrape-time gauges come from (shared PostgreSQL and Redis: the same in every process). */
export type ScrapeSources = {
  backlog: () => Promise<BacklogSnapshot>;
  queues: () => Promise<QueueSnapshot[]>;
  /** A source slower than this is skipped for this scrape (its gauges are left out, an error counted). */
  timeoutMs?: number;
};

// Bounded label sets: anything else is reported as `other`, so no value from outside can grow the series.
const sources: readonly string[] = activationSources;
const channels = ['sms', 'email', 'push', 'voice', 'conference', 'pager', 'webhook'];
const telephony = new Set<string>(telephonyChannels);
/** Statuses a delivery ends in or passes as an outcome; pending/sending/queued are not counted. */
const outcomes = ['sent', 'delivered', 'answered', 'acknowledged', 'no-answer', 'busy', 'failed', 'skipped'];
const bounded = (v: string, set: readonly string[]) => (set.includes(v) ? v : 'other');
/** Carrier codes are short tokens (Twilio's are numbers); anything else is not a code. */
const codeLabel = (code: string) => (/^[A-Za-z0-9_.-]{1,40}$/.test(code) ? code : 'other');
const statusClass = (code: number) => `${Math.floor(code / 100)}xx`;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });

/**
 * The Prometheus registry of one process (its own registry, never prom-client's global one, so
 * several runtimes in one process, as in tests, do not collide). Counters and histograms count
 * what this process did; `render()` first reads the shared backlog and queue gauges once.
 */
export const createPromMetrics = (src: ScrapeSources) => {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const reg = { registers: [register] };

  const activations = new Counter({ ...reg, name: 'switchboard_activations_total', help: 'Activations created, by trigger source', labelNames: ['source'] });
  const deliveries = new Counter({
    ...reg, name: 'switchboard_deliveries_total', labelNames: ['channel', 'status'],
    help: 'Deliveries that reached an outcome status, by channel and status (each delivery once per status)',
  });
  const carrierErrors = new Counter({
    ...reg, name: 'switchboard_carrier_errors_total', labelNames: ['channel', 'code', 'stage'],
    help: 'Carrier errors on telephony channels by carrier code; stage=send (API refused) or callback (failure reported later)',
  });
  const pauses = new Counter({ ...reg, name: 'switchboard_carrier_rate_limit_pauses_total', help: 'Delivery queue pauses after a carrier 429' });
  const webhook = new Histogram({
    ...reg, name: 'switchboard_webhook_request_duration_seconds', labelNames: ['route', 'status_class'],
    help: 'Carrier webhook response time by route pattern', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const scheduleLag = new Histogram({
    ...reg, name: 'switchboard_schedule_fire_lag_seconds', help: 'Schedule occurrences: commit of the firing minus the due time',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
  });
  const queueJobs = new Gauge({ ...reg, name: 'switchboard_queue_jobs', help: 'BullMQ jobs by queue and state (shared Redis)', labelNames: ['queue', 'state'] });
  const queueOldest = new Gauge({
    ...reg, name: 'switchboard_queue_oldest_waiting_job_age_seconds', labelNames: ['queue'],
    help: 'Seconds the oldest waiting job of each queue has been ready to run (0: none waiting)',
  });
  const outbox = new Gauge({ ...reg, name: 'switchboard_outbox_backlog', help: 'Outbox rows not completed, by topic and state', labelNames: ['topic', 'state'] });
  const outboxOldest = new Gauge({ ...reg, name: 'switchboard_outbox_oldest_age_seconds', help: 'Age of the oldest outbox row not completed', labelNames: ['topic'] });
  const open = new Gauge({ ...reg, name: 'switchboard_deliveries_open', help: 'Deliveries not yet sent (pending, sending)', labelNames: ['status'] });
  const openOldest = new Gauge({ ...reg, name: 'switchboard_deliveries_open_oldest_age_seconds', help: 'Age of the oldest delivery still pending or sending (0: none)' });
  const inDoubt = new Gauge({
    ...reg, name: 'switchboard_deliveries_in_doubt', labelNames: ['state'],
    help: 'Sends that may have reached the carrier: claim_expired (worker gone, sweeper to reconcile), maybe_sent (retry waits for a carrier lookup)',
  });
  const collectErrors = new Counter({ ...reg, name: 'switchboard_metrics_collect_errors_total', help: 'Scrape-time reads that failed or timed out', labelNames: ['source'] });

  // Known series start at 0, so rate() and increase() see their first event.
  for (const s of sources) activations.inc({ source: s }, 0);
  for (const c of channels) for (const s of outcomes) deliveries.inc({ channel: c, status: s }, 0);
  pauses.inc(0);

  const delivery: DeliveryMetrics = {
    reached(list) {
      for (const d of list) if (outcomes.includes(d.status)) deliveries.inc({ channel: bounded(d.channel, channels), status: d.status });
    },
    carrierError(channel, code, stage) {
      if (telephony.has(channel)) carrierErrors.inc({ channel, code: codeLabel(code), stage });
    },
    rateLimitPause: () => pauses.inc(),
  };

  const activation: ActivationMetrics = {
    activationCreated: (source) => activations.inc({ source: bounded(source, sources) }),
    scheduleFired(lags) {
      for (const s of lags) scheduleLag.observe(Math.max(0, s));
    },
  };

  /** Carrier webhooks only: the matched route pattern, never the raw URL. */
  const observeRequest = (o: RequestObservation) => {
    if (!o.route.startsWith('/webhooks/')) return;
    webhook.observe({ route: o.route, status_class: statusClass(o.statusCode) }, o.seconds);
  };

  const refreshBacklog = async (timeoutMs: number) => {
    try {
      const b = await withTimeout(src.backlog(), timeoutMs);
      outbox.reset();
      outboxOldest.reset();
      for (const t of b.outbox) {
        outbox.set({ topic: t.topic, state: 'undispatched' }, t.undispatched);
        outbox.set({ topic: t.topic, state: 'incomplete' }, t.incomplete);
        outboxOldest.set({ topic: t.topic }, t.oldestSeconds);
      }
      for (const s of ['pending', 'sending'] as const) open.set({ status: s }, b.openDeliveries[s]);
      openOldest.set(b.oldestOpenSeconds);
      inDoubt.set({ state: 'claim_expired' }, b.inDoubt.claimExpired);
      inDoubt.set({ state: 'maybe_sent' }, b.inDoubt.maybeSent);
    } catch {
      for (const g of [outbox, outboxOldest, open, openOldest, inDoubt]) g.reset(); // no stale figures
      collectErrors.inc({ source: 'postgres' });
    }
  };

  const refreshQueues = async (timeoutMs: number) => {
    try {
      const qs = await withTimeout(src.queues(), timeoutMs);
      queueJobs.reset();
      queueOldest.reset();
      for (const q of qs) {
        for (const [state, n] of Object.entries(q.counts)) queueJobs.set({ queue: q.queue, state }, n);
        queueOldest.set({ queue: q.queue }, q.oldestWaitingSeconds);
      }
    } catch {
      queueJobs.reset();
      queueOldest.reset();
      collectErrors.inc({ source: 'redis' });
    }
  };

  /** The exposition text: shared gauges read once (PostgreSQL and Redis in parallel), then everything. */
  const render = async (): Promise<{ contentType: string; body: string }> => {
    const ms = src.timeoutMs ?? 2000;
    await Promise.all([refreshBacklog(ms), refreshQueues(ms)]);
    return { contentType: register.contentType, body: await register.metrics() };
  };

  return { delivery, activation, observeRequest, render };
};

export type PromMetrics = ReturnType<typeof createPromMetrics>;
