import type { Redis } from 'ioredis';
import type { ActivationService } from '../engine/activation-service.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../crypto.js';
import type { Db } from '../db/db.js';
import type { ActivationDispatcher } from '../engine/activation-service.js';
import { createPlanDispatch } from '../engine/outbox-relay.js';
import { engineRepo } from '../engine/engine-repo.js';
import { outboxRepo } from '../engine/outbox-repo.js';
import { readyPlansRepo } from '../engine/ready-plans-repo.js';
import { eventOutboxRepo } from '../events/event-outbox-repo.js';
import { lazyQueue } from '../events/event-queue.js';
import type { EventConsumer } from '../events/event-types.js';
import { eventsRepo } from '../events/events-repo.js';
import { startEventWorker } from '../events/event-worker.js';
import { buildEventsPipeline, type EventsPipeline } from '../events/events-module.js';
import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import { createRedis } from '../redis.js';
import { systemClock, type Clock } from '../clock.js';
import { createCallbackActions } from './callback-actions.js';
import { createCallbackCalls } from './callback-calls.js';
import { callbacksRepo } from './callbacks-repo.js';
import { createCallbacksService } from './callbacks-service.js';
import { dncRepo } from './dnc-repo.js';
import { createDncService } from './dnc-service.js';
import { listsRepo } from './lists-repo.js';
import { createListsService } from './lists-service.js';
import { notificationsRepo } from './notifications-repo.js';
import { createAccountNotifier } from './notifier.js';
import { pendingRepo } from './pending-repo.js';
import { revenueRepo } from './revenue-repo.js';
import { createRuleActionRunner } from './rule-action-runner.js';
import { dispatchDueActions, RULE_ACTION_QUEUE, startRuleActionWorker, type RuleActionJob } from './rule-action-worker.js';
import { createRuleEvaluator, type RuleLimits } from './rule-evaluator.js';
import { ruleContextRepo } from './rule-context-repo.js';
import { ruleLogsRepo } from './rule-logs-repo.js';
import { createRuleLogsService } from './rule-logs-service.js';
import { createRevenueService } from './revenue-service.js';
import { createRuleDeliverySender } from './rule-delivery-sender.js';
import { rulesRepo } from './rules-repo.js';
import { createRulesService } from './rules-service.js';
import type { RuleSequences } from './sequence-actions.js';

export type RulesConfig = Pick<Config,
  'REDIS_URL' | 'REDIS_PREFIX' | 'WORKER_CONCURRENCY' | 'EVENTS_SWEEP_INTERVAL_MS' | 'EVENTS_REDISPATCH_AFTER_MS' |
  'RULES_POLL_INTERVAL_MS' | 'RULES_STALE_AFTER_MS' | 'RULES_RATE_LIMIT_COUNT' | 'RULES_RATE_LIMIT_WINDOW_SECONDS' |
  'RULES_LOOP_DISABLE_AFTER' | 'RULES_MAX_CHAIN_DEPTH' | 'RULES_MAX_ATTEMPTS' | 'DELIVERY_BATCH_SIZE' | 'WEBHOOK_ALLOWED_HOSTS'>;

export type EventsAndRulesDeps = {
  db: Db;
  /** Shared command connection (queues only; workers open their own). */
  redis: Redis;
  config: RulesConfig;
  logger: Logger;
  secrets: SecretBox;
  activations?: Pick<ActivationService, 'activate'>;
  /** The outbox relay's fast path for rule sends (the engine's `dispatcher`); default: a planner queue of our own on `redis`. */
  plans?: ActivationDispatcher;
  /** Whether e-mail is configured (SMTP_URL): loop notifications are then e-mailed to the owners. */
  emailEnabled?: boolean;
  clock?: Clock;
  /** Sequences' enrollment service: enroll_sequence / unenroll_sequence actions. */
  sequences?: RuleSequences;
  /** The events pipeline, built before the features that publish into it; default: one of our own. */
  events?: EventsPipeline;
};

export const ruleLimits = (c: RulesConfig): RuleLimits => ({
  rateLimitCount: c.RULES_RATE_LIMIT_COUNT,
  rateLimitWindowMs: c.RULES_RATE_LIMIT_WINDOW_SECONDS * 1000,
  loopDisableAfter: c.RULES_LOOP_DISABLE_AFTER,
  maxChainDepth: c.RULES_MAX_CHAIN_DEPTH,
});

/**
 * Builds the rule engine over the events pipeline (no I/O: queues connect on first use). The
 * pipeline's parts (`publisher`, `onContactChanged`, `statusListener`, `smsInterceptor`…) are
 * returned with the engine's; `ruleConsumer` goes into the event worker's consumer list.
 */
export const buildEventsAndRules = (deps: EventsAndRulesDeps) => {
  const { db, config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const sender = createRuleDeliverySender({ readyPlans: readyPlansRepo });
  // Resolved at call time, so a dispatcher wired after this module is built is still used.
  const ownPlans = createPlanDispatch({ db, outbox: outboxRepo, engine: engineRepo, redis: () => deps.redis, prefix: config.REDIS_PREFIX, logger });
  const plans: ActivationDispatcher = deps.plans ?? ownPlans;
  const pipeline = deps.events ?? buildEventsPipeline({ db, redis: deps.redis, config, logger });
  const { dispatcher, publisher, onContactChanged } = pipeline;
  const actionQueue = lazyQueue<RuleActionJob>(RULE_ACTION_QUEUE, () => deps.redis, config.REDIS_PREFIX);
  const notifier = createAccountNotifier({ db, notifications: notificationsRepo, sender, plans, emailEnabled: deps.emailEnabled ?? false, logger });
  const ruleConsumer = createRuleEvaluator({
    db, rules: rulesRepo, pending: pendingRepo, ruleLogs: ruleLogsRepo, context: ruleContextRepo, clock, notifier, logger, limits: ruleLimits(config),
    dispatchDue: async (ids) => { await dispatchDueActions({ db, pending: pendingRepo, clock, queue: actionQueue.get() }, ids); },
  });
  const callbackCalls = createCallbackCalls({
    db, callbacks: callbacksRepo, dnc: dncRepo, clock, sender, plans, publisher, logger, dispatchEvents: (ids) => dispatcher.dispatch(ids),
  });
  const runner = createRuleActionRunner({
    db, pending: pendingRepo, rules: rulesRepo, ruleLogs: ruleLogsRepo, context: ruleContextRepo, dnc: dncRepo, events: eventsRepo,
    local: { contacts: ruleContextRepo, lists: listsRepo, dnc: dncRepo, revenue: revenueRepo },
    clock, sender, plans, activations: deps.activations, sequences: deps.sequences, onContactChanged, logger,
    dispatchEvents: (ids) => dispatcher.dispatch(ids),
    callbacks: {
      actions: createCallbackActions({ calls: callbackCalls, callbacks: callbacksRepo, dnc: dncRepo }),
      placeDue: (ids) => callbackCalls.placeDue(ids),
    },
    retry: { maxAttempts: config.RULES_MAX_ATTEMPTS, baseDelayMs: 30_000 },
  });
  return {
    clock,
    publisher,
    onContactChanged,
    onContactsChanged: pipeline.onContactsChanged,
    events: pipeline.events,
    rules: createRulesService({
      db, rules: rulesRepo, pending: pendingRepo, callbacks: callbacksRepo, secrets: deps.secrets,
      allowedWebhookHosts: config.WEBHOOK_ALLOWED_HOSTS,
    }),
    ruleLogs: createRuleLogsService({
      db, ruleLogs: ruleLogsRepo, pending: pendingRepo, rules: rulesRepo, context: ruleContextRepo, notifications: notificationsRepo,
    }),
    revenue: createRevenueService({ db, revenue: revenueRepo }),
    lists: createListsService({ db, lists: listsRepo }),
    dnc: createDncService({ db, dnc: dncRepo, onContactChanged }),
    /** Callbacks: the agent-first calls (outbound TwiML routes) and the API (list, move, cancel). */
    callbackCalls,
    callbacks: createCallbacksService({ db, clock, callbacks: callbacksRepo }),
    statusListener: pipeline.statusListener,
    smsInterceptor: pipeline.smsInterceptor,
    ruleConsumer,
    runner,
    queues: { events: pipeline.queue, actions: actionQueue, plans: ownPlans },
  };
};
export type EventsAndRules = ReturnType<typeof buildEventsAndRules>;

/**
 * Starts the event worker (every consumer given, rules included by the caller) and the rule
 * action worker, on a worker connection of their own. `close()` stops them and the queues.
 */
export const startEventsAndRulesWorkers = (m: EventsAndRules, deps: { db: Db; config: RulesConfig; logger: Logger; consumers: EventConsumer[] }) => {
  const { db, config, logger } = deps;
  const connection = createRedis(config.REDIS_URL, { forWorker: true });
  const events = startEventWorker({
    db, events: eventsRepo, outbox: eventOutboxRepo, connection, prefix: config.REDIS_PREFIX, queue: m.queues.events.get(), consumers: deps.consumers, logger,
    concurrency: Math.min(config.WORKER_CONCURRENCY, 20), sweepIntervalMs: config.EVENTS_SWEEP_INTERVAL_MS,
    redispatchAfterMs: config.EVENTS_REDISPATCH_AFTER_MS,
  });
  const actions = startRuleActionWorker({
    db, pending: pendingRepo, connection, prefix: config.REDIS_PREFIX, queue: m.queues.actions.get(), runner: m.runner, clock: m.clock, logger,
    concurrency: Math.min(config.WORKER_CONCURRENCY, 20), pollIntervalMs: config.RULES_POLL_INTERVAL_MS, staleAfterMs: config.RULES_STALE_AFTER_MS,
  });
  // Callbacks come due in PostgreSQL: a poll starts them (SKIP LOCKED claims: any number of workers).
  const callbackPolls = startPoller({
    intervalMs: config.RULES_POLL_INTERVAL_MS, logger, errorMessage: 'callback poll failed',
    pass: async () => { await m.callbackCalls.tick(); },
  });
  return {
    events,
    actions,
    callbacks: { tick: () => m.callbackCalls.tick() },
    async close() {
      await callbackPolls.close();
      await Promise.allSettled([events.close(), actions.close()]);
      await Promise.allSettled([m.queues.events.close(), m.queues.actions.close(), m.queues.plans.close()]);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
};
