import type { Redis } from 'ioredis';
import { createActivationQueries } from './activation-queries.js';
import { activationQueriesRepo } from './activation-queries-repo.js';
import { createConferenceRetry } from './conference-retry.js';
import { createOutboxRelay } from './outbox-relay.js';
import { createPlanJobProcessor } from './plan-job.js';
import { createPlanner } from './planner.js';
import { loadLineCarrier } from '../carriers/carrier-credentials.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../crypto.js';
import type { Db } from '../db/db.js';
import type { ChannelSender } from './channel-port.js';
import { createDeliverySweeper } from './delivery-sweeper.js';
import { carrierChecksRepo } from './carrier-checks-repo.js';
import { contactRefusalsRepo } from './contact-refusals-repo.js';
import { deliveriesRepo } from './deliveries-repo.js';
import { engineRepo } from './engine-repo.js';
import { engineTimersRepo } from './engine-timers-repo.js';
import { outboxRepo } from './outbox-repo.js';
import { createReadyPlans } from './ready-plans.js';
import { readyPlansRepo } from './ready-plans-repo.js';
import { senderReportsRepo } from './sender-reports-repo.js';
import { sweeperRepo } from './sweeper-repo.js';
import { createDeliveryWorker, type DeliveryJobData } from './delivery-worker.js';
import { enqueueDeliveries } from './delivery-queue.js';
import { createLineDirectory } from './line-directory.js';
import type { NotificationExtras } from './notification-extras-port.js';
import { createOutboundCalls } from './outbound-calls.js';
import { createSenderReports, withSenderReports } from './sender-reports.js';
import { createDeliveryStatus } from './status-listener.js';
import { createStatusReconciler, type CarrierStatusReport } from './status-reconciler.js';
import { createTelephonySender } from './telephony-sender.js';
import { createFeedPublisher, createFeedSubscriber } from './feed.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import type { DeliveryMetrics } from './metrics-port.js';
import type { TelephonyProvider } from './telephony-port.js';
import { createLaneGate } from './lane-gate.js';
import { createEngineQueues, createWorker, URGENT_LANE_JOBS, type PlanJob, type TimerJob } from './queues.js';
import { createRateLimiter } from './rate-limiter.js';

export type EngineConfig = Pick<Config,
  | 'REDIS_PREFIX' | 'PUBLIC_URL' | 'WORKER_CONCURRENCY' | 'PLANNER_CONCURRENCY' | 'DELIVERY_BATCH_SIZE' | 'QUEUE_LOCK_MS'
  | 'SWEEP_INTERVAL_MS' | 'OUTBOX_REDISPATCH_AFTER_MS' | 'DELIVERY_STALE_AFTER_MS' | 'SEND_IN_DOUBT_AFTER_MS'
  | 'DELIVERY_MAX_ATTEMPTS' | 'DELIVERY_BACKOFF_MS' | 'CALL_RETRY_AFTER_DOUBT_MS' | 'SMS_LOOKUP_AFTER_DOUBT_MS'
  | 'DELIVERY_RECONCILE_AFTER_MS' | 'DELIVERY_RECONCILE_BATCH' | 'DELIVERY_MAX_IN_FLIGHT' | 'CONFERENCE_RETRY_AFTER_MS' | 'DEFAULT_SMS_PER_SECOND' | 'DEFAULT_CALLS_PER_SECOND'>;

export type ActionEngineDeps = {
  config: EngineConfig;
  db: Db;
  redis: Redis;
  logger: Logger;
  secrets: Pick<SecretBox, 'open'>;
  /** Words of the text telling a texter their activation reached nobody (src/delivery/sender-reports.ts); none: no such text. */
  senderReportText?: (workflowName: string) => string;
  /** Delivery outcomes, carrier errors and 429 pauses (docs/METRICS.md); none when metrics are off. */
  metrics?: DeliveryMetrics;
};

/** What the workers send with, known once the telephony and channel features are built. */
export type EngineWiring = {
  /** Carrier adapters by line provider; a line whose provider is missing fails its sends. */
  providers: Partial<Record<'twilio' | 'simulator', TelephonyProvider>>;
  /** Senders for the other channels (email, push, webhook) from the channels feature. */
  senders?: ChannelSender[];
  extras?: NotificationExtras;
  /**
   * The status callbacks' path (telephony `statuses.record`): deliveries whose callbacks were lost
   * are fetched from the carrier and applied through it (DELIVERY_RECONCILE_AFTER_MS). Without
   * it, nothing is reconciled.
   */
  recordStatus?: (r: CarrierStatusReport) => Promise<unknown>;
};

/**
 * The delivery queue worker, closed gracefully: first nothing more is sent (rows waiting for a
 * pacing slot are given back, in-flight sends finish and are recorded), then BullMQ stops taking
 * jobs and waits for the active ones, which end quickly.
 */
const stopsSending = <W extends Closeable>(w: W, delivery: { stopSending(): void }): W =>
  Object.assign(w, { close: ((close) => async () => { delivery.stopSending(); await close(); })(w.close.bind(w)) });

type Closeable = { close(): Promise<void> };

/** The longest the bulk lane's next claim, or a broadcast's next plan chunk, waits for urgent work. */
const URGENT_YIELD_MS = 200;
/**
 * Bulk sends in flight at most in a process while urgent work runs in it: enough that a stream
 * of emergencies slows a broadcast rather than stopping it, few enough that the emergency's own
 * statements and sends find the CPU and the database free (bench:latency).
 */
const BULK_TRICKLE = 4;
/**
 * How long bulk sends keep trickling after an urgent-lane delivery job (an emergency's sends) in
 * the process ended: emergencies keyed a few tens of milliseconds apart then find no burst of
 * bulk sends between them (bench:latency, docs/BENCHMARKS.md). A broadcast's own plan does not
 * start it, so a fan-out with no emergency goes at full speed.
 */
const BULK_CALM_MS = 300;

/**
 * The action engine, assembled: outbox relay (fast path + sweeper), planner, delivery workers,
 * status listener, outbound call scripts, activation reads and the live feed. Building it does
 * no I/O. `start(wiring)` runs the workers and the sweeper loop (worker role only).
 */
export const createActionEngine = (deps: ActionEngineDeps) => {
  const c = deps.config;
  const prefix = c.REDIS_PREFIX;
  const queues = createEngineQueues(deps.redis, { prefix, lockMs: c.QUEUE_LOCK_MS });
  const relay = createOutboxRelay({
    db: deps.db, outbox: outboxRepo, engine: engineRepo, queue: queues.activations,
    settings: { redispatchAfterMs: c.OUTBOX_REDISPATCH_AFTER_MS }, logger: deps.logger,
  });
  const reports = deps.senderReportText && createSenderReports({
    db: deps.db, repo: senderReportsRepo, plans: createReadyPlans({ repo: readyPlansRepo }),
    text: deps.senderReportText, logger: deps.logger, dispatch: relay.dispatcher,
  });
  const feed = reports ? withSenderReports(createFeedPublisher(deps.redis, prefix), reports, deps.logger) : createFeedPublisher(deps.redis, prefix);
  const lines = createLineDirectory({ loadLine: (lineId) => loadLineCarrier(deps.db, deps.secrets, lineId) });
  const status = createDeliveryStatus({
    db: deps.db, deliveries: deliveriesRepo, engine: engineRepo, redis: deps.redis, prefix, feed, metrics: deps.metrics,
  });

  const start = (wiring: EngineWiring): Closeable[] => {
    const log = deps.logger.child({ component: 'engine' });
    const extras = wiring.extras ?? {};
    const laneGate = createLaneGate({ maxYieldMs: URGENT_YIELD_MS, trickle: BULK_TRICKLE, calmMs: BULK_CALM_MS });
    const planner = createPlanner({
      db: deps.db, engine: engineRepo, deliveries: deliveriesRepo, queues, feed, extras, logger: log, metrics: deps.metrics,
      settings: { batchSize: c.DELIVERY_BATCH_SIZE, conferenceRetryMs: c.CONFERENCE_RETRY_AFTER_MS },
      yieldBetweenChunks: laneGate.yieldToOthers,
      sendNow: (ids) => delivery.sendNow(ids),
    });
    const planJob = createPlanJobProcessor({ planner, queue: queues.activations, logger: log });
    // Planning one activation (a call's code, an API trigger) and urgent-lane sends come before
    // the bulk lane's next claim (for at most URGENT_YIELD_MS each), and bulk sends trickle
    // (BULK_TRICKLE at a time) while they run (src/engine/lane-gate.ts).
    const retry = createConferenceRetry({
      db: deps.db, timers: engineTimersRepo, engine: engineRepo, deliveries: deliveriesRepo, queues, feed, metrics: deps.metrics,
      settings: { batchSize: c.DELIVERY_BATCH_SIZE }, logger: log,
    });
    const delivery = createDeliveryWorker({
      db: deps.db, refusals: contactRefusalsRepo, deliveries: deliveriesRepo, engine: engineRepo,
      lines, feed, queue: queues.deliveries, urgentQueue: queues.urgent, laneGate, logger: log, metrics: deps.metrics,
      limiter: createRateLimiter(deps.redis, prefix),
      senders: [
        createTelephonySender({ db: deps.db, deliveries: deliveriesRepo, lines, providers: wiring.providers, publicUrl: c.PUBLIC_URL }),
        ...(wiring.senders ?? []),
      ],
      afterSent: status.afterSent,
      settings: {
        maxAttempts: c.DELIVERY_MAX_ATTEMPTS, backoffMs: c.DELIVERY_BACKOFF_MS, batchSize: c.DELIVERY_BATCH_SIZE,
        defaultSmsPerSecond: c.DEFAULT_SMS_PER_SECOND, defaultCallsPerSecond: c.DEFAULT_CALLS_PER_SECOND,
        maxInFlight: c.DELIVERY_MAX_IN_FLIGHT, inDoubtAfterMs: c.SEND_IN_DOUBT_AFTER_MS, callRetryAfterDoubtMs: c.CALL_RETRY_AFTER_DOUBT_MS,
        smsLookupAfterDoubtMs: c.SMS_LOOKUP_AFTER_DOUBT_MS,
      },
    });
    const sweeper = createDeliverySweeper({
      db: deps.db, repo: sweeperRepo, timers: engineTimersRepo, engine: engineRepo, deliveries: deliveriesRepo,
      queues, lines, providers: wiring.providers, feed, logger: log, metrics: deps.metrics,
      settings: { staleAfterMs: c.DELIVERY_STALE_AFTER_MS, inDoubtAfterMs: c.SEND_IN_DOUBT_AFTER_MS, batchSize: c.DELIVERY_BATCH_SIZE, smsLookupAfterDoubtMs: c.SMS_LOOKUP_AFTER_DOUBT_MS },
    });
    const statuses = wiring.recordStatus && createStatusReconciler({
      db: deps.db, checks: carrierChecksRepo, lines, providers: wiring.providers, record: wiring.recordStatus, logger: log,
      settings: { afterMs: c.DELIVERY_RECONCILE_AFTER_MS, batch: c.DELIVERY_RECONCILE_BATCH },
    });
    const settings = { prefix, lockMs: c.QUEUE_LOCK_MS };
    const workers = [
      createWorker<PlanJob>('activations', async (job) => (job.data.activationId ? laneGate.urgent(() => planJob(job.data)) : planJob(job.data)), deps.redis, { ...settings, concurrency: c.PLANNER_CONCURRENCY }),
      stopsSending(createWorker<DeliveryJobData>('deliveries', async (job) => delivery.process(job.data, 'bulk'), deps.redis, { ...settings, concurrency: c.WORKER_CONCURRENCY }), delivery),
      // The small activations' lane: taken at once by its own workers, whatever the bulk queue holds.
      stopsSending(createWorker<DeliveryJobData>('deliveries-urgent', async (job) => delivery.process(job.data, 'urgent'), deps.redis, {
        ...settings, concurrency: Math.min(c.WORKER_CONCURRENCY, URGENT_LANE_JOBS),
      }), delivery),
      createWorker<TimerJob>('engine-timers', async (job) => retry.run(job.data), deps.redis, { ...settings, concurrency: 2 }),
    ];
    for (const w of workers) {
      w.worker.on('failed', (job, err) => log.error({ err, queue: w.worker.name, jobId: job?.id }, 'engine job failed'));
    }

    let stopped = false;
    let reconciling: Promise<void> | null = null;
    const sweeps = startPoller({
      intervalMs: c.SWEEP_INTERVAL_MS,
      spacing: 'fixed-delay',
      firstDelayMs: Math.min(1000, c.SWEEP_INTERVAL_MS),
      logger: log,
      errorMessage: 'engine sweep failed; next sweep retries',
      pass: async () => {
        await relay.sweep();
        await sweeper.sweep();
        // Carrier look-ups run beside the sweeps: a slow or unreachable carrier never holds up the outbox relay.
        if (statuses && !reconciling) {
          reconciling = statuses.reconcile(() => stopped).catch((err: unknown) => log.warn({ err }, 'status reconciliation failed; next sweep retries'))
            .then(() => undefined).finally(() => { reconciling = null; });
        }
      },
    });
    return [
      ...workers,
      {
        async close() {
          stopped = true;
          await sweeps.close();
          await reconciling;
          await delivery.close();
        },
      },
    ];
  };

  return {
    queues,
    feed,
    /** One pub/sub connection per web process for websocket clients (closed by the stream route). */
    feedSubscriber: () => createFeedSubscriber(deps.redis, prefix),
    dispatcher: relay.dispatcher,
    /** Puts committed pending deliveries of a planned activation on the delivery queue (push's SMS fallback); best effort, the sweeper queues the rest. */
    queueDeliveries: async (deliveryIds: string[]) => { await enqueueDeliveries(queues.deliveries, deliveryIds, c.DELIVERY_BATCH_SIZE, { tag: 'fb' }); },
    statusListener: status.listener,
    deliveryStatus: status,
    queries: createActivationQueries({ db: deps.db, repo: activationQueriesRepo }),
    outboundCalls: (polls?: NotificationExtras['polls']) => createOutboundCalls({ db: deps.db, deliveries: deliveriesRepo, status, polls }),
    start,
  };
};

export type ActionEngine = ReturnType<typeof createActionEngine>;
