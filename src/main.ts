/**
 * Composition root: the only place that builds config-bound infrastructure (pool, Redis,
 * adapters), wires services and registers routes and workers. Every feature adds itself here.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp, type RouteModule } from '../routes/app.js';
import { accountRoutes } from '../routes/api/v1/account-routes.js';
import { carrierRoutes } from '../routes/api/v1/carriers-routes.js';
import { contactRoutes } from '../routes/api/v1/contacts-routes.js';
import { groupRoutes } from '../routes/api/v1/groups-routes.js';
import { lineRoutes } from '../routes/api/v1/lines-routes.js';
import { workflowRoutes } from '../routes/api/v1/workflows-routes.js';
import { promptRoutes } from '../routes/api/v1/prompts-routes.js';
import { createPromptsService } from './prompts/prompts-service.js';
import { apiV1 } from '../routes/api/v1/index.js';
import { bearerAuthenticator, type Authenticator } from '../routes/auth.js';
import { usersRoutes } from '../routes/api/v1/users-routes.js';
import { softphoneRoutes } from '../routes/api/v1/softphone-routes.js';
import { createSoftphoneLines } from './softphone/softphone-lines.js';
import { conversationRoutes } from '../routes/api/v1/conversation-routes.js';
import { createConversationsService } from './conversations/conversations-service.js';
import { conversationsRepo } from './conversations/conversations-repo.js';
import { createSimulatorCallbacks, type SimulatedSendNotice } from './softphone/simulator-callbacks.js';
import { dashboardAuthenticator, dashboardModules } from '../routes/dashboard/index.js';
import { startSessionPurge } from './users/session-purge.js';
import { createSessionsService } from './users/sessions-service.js';
import { createUsersService } from './users/users-service.js';
import { usersRepo } from './users/users-repo.js';
import { sessionsRepo } from './users/sessions-repo.js';
import { createLoginLockout } from './users/login-lockout.js';
import { createAccountsService } from './accounts/accounts-service.js';
import { accountsRepo } from './accounts/accounts-repo.js';
import { createCarriersService } from './carriers/carriers-service.js';
import { carriersRepo } from './carriers/carriers-repo.js';
import { createContactsService } from './contacts/contacts-service.js';
import { createGroupsService } from './groups/groups-service.js';
import { groupsRepo } from './groups/groups-repo.js';
import { contactsRepo } from './contacts/contacts-repo.js';
import { createLinesService } from './lines/lines-service.js';
import { linesRepo } from './lines/lines-repo.js';
import { createWorkflowsService } from './workflows/workflows-service.js';
import { workflowsRepo } from './workflows/workflows-repo.js';
import { createActivationService } from './engine/activation-service.js';
import { createActionEngine } from './engine/action-engine.js';
import { activationRoutes } from '../routes/api/v1/activation-routes.js';
import { activationStreamRoutes } from '../routes/api/v1/activation-stream-routes.js';
import { outboundRoutes } from '../routes/webhooks/twilio/outbound-routes.js';
import type { Config } from './config.js';
import { createSecretBox } from './crypto.js';
import { createPool, type Db } from './db/db.js';
import { createLogger, type Logger } from './logger.js';
import { createRedis } from './redis.js';
import { readFileSync } from 'node:fs';
import { createSmtpEmailSender } from '../adapters/email/smtp-email-sender.js';
import { createMailCatcherSender } from '../adapters/email/mail-catcher.js';
import { createMailCatcherStore } from './demo/mail-catcher-store.js';
import { mailCatcherRoutes } from '../routes/api/v1/mail-catcher-routes.js';
import { createOpenAiPromptRunner } from '../adapters/prompt/openai-prompt-runner.js';
import { createNoopPushProvider } from '../adapters/push/noop-push-provider.js';
import { createPushSender } from '../adapters/push/push-sender.js';
import { createSimulatorPushProvider } from '../adapters/push/simulator-push-provider.js';
import { simulatedPushesRepo } from '../adapters/push/simulated-pushes-repo.js';
import { createWebPushTransport } from '../adapters/push/web-push-transport.js';
import { responderRoutes } from '../routes/api/v1/responder-routes.js';
import { createPushFallback } from './push/push-fallback.js';
import { createResponderService } from './push/responder-service.js';
import { createWebPushChannel } from './push/web-push-channel.js';
import { pushProviderOf } from './config.js';
import { createHttpsWebhookClient } from '../adapters/webhook/https-webhook-client.js';
import { createWebhookSender } from '../adapters/webhook/webhook-sender.js';
import { actionTestRoutes } from '../routes/api/v1/action-test-routes.js';
import { capabilitiesRoutes } from '../routes/api/v1/capabilities-routes.js';
import { createCapabilitiesService } from './accounts/capabilities-service.js';
import { capabilitiesRepo } from './accounts/capabilities-repo.js';
import { attachmentsRoutes } from '../routes/api/v1/attachments-routes.js';
import { pollsRoutes } from '../routes/api/v1/polls-routes.js';
import { publicAttachmentRoutes } from '../routes/public/attachment-routes.js';
import { emailTrackingRoutes } from '../routes/public/email-tracking-routes.js';
import { emailTrackingApiRoutes } from '../routes/api/v1/email-tracking-routes.js';
import { createEmailTrackingService, type EmailTrackingService } from './email-tracking/email-tracking-service.js';
import { withEmailTracking } from './email-tracking/tracking-email-sender.js';
import { createTrackingTokens } from './email-tracking/tracking-tokens.js';
import { createAttachmentsService, shortUrlLength } from './attachments/attachments-service.js';
import { createDeliveryDispatch } from './engine/direct-sends.js';
import type { NotificationExtras } from './engine/notification-extras-port.js';
import { createFeedPublisher } from './engine/feed.js';
import { createPollSmsInterceptor } from './polls/poll-sms-interceptor.js';
import { createPollsService } from './polls/polls-service.js';
import { pollsRepo } from './polls/polls-repo.js';
import { createWebhookTestService } from './webhooks/webhook-test-service.js';
import { createTelephonyAdapters } from '../adapters/telephony/index.js';
import { createTwilioNumbers } from '../adapters/telephony/twilio-numbers.js';
import { createLineSetupService } from './lines/line-setup-service.js';
import { notSentText, smsReplyTexts } from '../ivr/sms-replies.js';
import { simulatorRoutes } from '../routes/api/v1/simulator-routes.js';
import { twilioWebhooks } from '../routes/webhooks/twilio/index.js';
import { createProviderRegistry } from './telephony/providers.js';
import { createSimulatorOutbox } from './telephony/simulator-outbox.js';
import { simulatorOutboxRepo } from './telephony/simulator-outbox-repo.js';
import { createTelephonyServices } from './telephony/telephony-services.js';
import { scheduleRoutes } from '../routes/api/v1/schedule-routes.js';
import { systemClock } from './schedule/clock.js';
import { createScheduleFirer } from './schedule/schedule-firer.js';
import { createAccountZoneHook } from './schedule/schedule-account-zone.js';
import { createScheduleHook } from './schedule/schedule-hook.js';
import { startScheduleLoop } from './schedule/schedule-loop.js';
import { createScheduleService } from './schedule/schedule-service.js';
import { schedulesRepo } from './schedule/schedules-repo.js';
import { sequenceEnrollmentRoutes } from '../routes/api/v1/sequence-enrollment-routes.js';
import { sequenceRoutes } from '../routes/api/v1/sequence-routes.js';
import { sequenceTemplateRoutes } from '../routes/api/v1/sequence-template-routes.js';
import type { Clock } from './sequences/clock.js';
import { createSequences } from './sequences/sequences-module.js';
import { dncRoutes } from '../routes/api/v1/dnc-routes.js';
import { eventRoutes } from '../routes/api/v1/events-routes.js';
import { ruleLogRoutes } from '../routes/api/v1/rule-logs-routes.js';
import { revenueRoutes } from '../routes/api/v1/revenue-routes.js';
import { ruleRoutes } from '../routes/api/v1/rules-routes.js';
import { callbacksRoutes } from '../routes/api/v1/callbacks-routes.js';
import { buildEventsAndRules, startEventsAndRulesWorkers } from './rules/rules-module.js';
import { trackingRoutes } from '../routes/api/v1/tracking-routes.js';
import { dniRoutes } from '../routes/api/v1/dni-routes.js';
import { publicDniRoutes } from '../routes/public/dni-routes.js';
import { createTrackingTwimlHandler, trackingWebhookRoutes } from '../routes/webhooks/twilio/tracking-routes.js';
import { buildTracking } from './tracking/tracking-module.js';
import { buildMetricsApp, metricsRoutes } from '../routes/metrics-routes.js';
import { EVENT_QUEUE } from './events/event-queue.js';
import { buildMetrics, type Metrics } from './metrics/init-metrics.js';
import { queueNames } from './engine/queues.js';
import { RULE_ACTION_QUEUE } from './rules/rule-action-worker.js';

export type Roles = { web: boolean; worker: boolean };

/** `clock`: the time every scheduler reads (schedules, sequences); tests inject a manual one. */
export type Infra = { config: Config; logger: Logger; db: Db; redis: Redis; clock?: Clock; metrics?: Metrics | null };

/** Builds every service from the infrastructure; no I/O happens here. */
export const buildServices = (infra: Infra) => {
  const { db, config } = infra;
  const secrets = createSecretBox(config.SECRET_KEY);
  // A new account zone recomputes, in the same transaction, the schedules that follow it.
  const accounts = createAccountsService({ db, accounts: accountsRepo, onTimezoneChange: [createAccountZoneHook({ schedules: schedulesRepo, clock: infra.clock ?? systemClock })] });
  /** Action engine: outbox relay, planner, delivery workers, status listener, live feed (docs/ENGINE.md). */
  const engine = createActionEngine({ config, db, redis: infra.redis, logger: infra.logger, secrets, metrics: infra.metrics?.delivery, senderReportText: notSentText });
  const activations = createActivationService({ db, dispatcher: engine.dispatcher, onCreated: activationCounter(infra), attachmentLinkLength: shortUrlLength(config.PUBLIC_URL) });
  const users = createUsersService({ db, users: usersRepo });
  const logins = createLoginLockout({
    redis: infra.redis, redisPrefix: config.REDIS_PREFIX, users, maxFailures: config.LOGIN_LOCKOUT_MAX_FAILURES,
    windowSeconds: config.LOGIN_LOCKOUT_WINDOW_SECONDS, lockSeconds: config.LOGIN_LOCKOUT_SECONDS,
  });
  const sessions = createSessionsService({ db, sessions: sessionsRepo, ttlSeconds: Math.round(config.SESSION_TTL_HOURS * 3600) });
  const softphone = createSoftphoneLines({ db, secrets, secretKey: config.SECRET_KEY, publicUrl: config.PUBLIC_URL });
  const conversations = createConversationsService({ db, conversations: conversationsRepo });
  const clock = infra.clock ?? systemClock;
  const schedules = createScheduleService({ db, schedules: schedulesRepo, clock });
  /** Keeps workflow_schedules in step with workflows: goes in the workflows service's onChange list. */
  const scheduleHook = createScheduleHook({ schedules: schedulesRepo, clock });
  const carriers = createCarriersService({ db, carriers: carriersRepo, secrets });
  const lines = createLinesService({ db, lines: linesRepo });
  const contacts = createContactsService({ // events for rules/sequences
    db, contacts: contactsRepo, onChange: (tx, change) => rulesEngine.onContactChanged(tx, change), onChanges: (tx, changes) => rulesEngine.onContactsChanged(tx, changes),
  });
  const groups = createGroupsService({ db, groups: groupsRepo, contacts: contactsRepo });
  const prompts = createPromptsService({ db }); // the prompt library: workflows pin a saved prompt's version on save
  const workflows = createWorkflowsService({ db, workflows: workflowsRepo, secrets, onChange: [scheduleHook], attachmentLinkLength: shortUrlLength(config.PUBLIC_URL), allowedWebhookHosts: config.WEBHOOK_ALLOWED_HOSTS, prompts });
  // The simulator "carrier" reports delivered/answered through the status service built just below.
  let simulatedCarrier: ((s: SimulatedSendNotice) => void) | null = null;
  /** Call tracking (docs/CALL-TRACKING.md): tracking-line calls, post-call workflows, logs. */
  const tracking = buildTracking({
    db, redis: infra.redis, config, logger: infra.logger.child({ component: 'tracking' }), secrets, activations, events: () => rulesEngine.publisher,
  });
  /** Inbound calls/texts, status callbacks, carrier adapters per line (push SMS interceptors / status listeners onto it). */
  const telephony = createTelephonyServices({
    db, redis: infra.redis, config, activations, texts: smsReplyTexts, logger: infra.logger.child({ component: 'telephony' }),
    tracking: createTrackingTwimlHandler({ publicUrl: config.PUBLIC_URL, calls: tracking.calls }),
    providers: createProviderRegistry({ db, secrets, secretKey: config.SECRET_KEY, providers: createTelephonyAdapters(db, config, { onSimulatedSend: (x) => simulatedCarrier?.(x) }) }),
  });
  if (config.SIMULATOR_CALLBACKS) simulatedCarrier = createSimulatorCallbacks({ record: telephony.statuses.record, logger: infra.logger.child({ component: 'simulator' }) });
  /** Checks and sets up the Twilio number behind a line (its webhooks), through the official SDK. */
  const lineSetup = createLineSetupService({
    lines, numbers: createTwilioNumbers({ apiUrl: config.TWILIO_API_URL }), publicUrl: config.PUBLIC_URL,
    carrierOf: async (accountId, lineId) => (await telephony.providers.forLine(accountId, lineId)).line,
  });
  const simulatorOutbox = createSimulatorOutbox({ db, outbox: simulatorOutboxRepo });
  /** E-mail open/click tracking (docs/CHANNELS.md "E-mail open and click tracking"): raises email.opened / email.clicked. */
  const emailTracking = createEmailTrackingService({
    db, tokens: createTrackingTokens(config.SECRET_KEY), publicUrl: config.PUBLIC_URL,
    events: () => ({ publisher: rulesEngine.publisher, dispatcher: rulesEngine.publisher.dispatcher }),
  });
  const channels = buildChannels(infra, secrets, emailTracking);
  /** Responder view (#/responder): Web Push devices, my alerts, acknowledge and poll answers. */
  const responder = createResponderService({
    db, status: engine.deliveryStatus, polls: channels.polls,
    push: { vapidPublicKey: pushProviderOf(config) === 'webpush' ? config.VAPID_PUBLIC_KEY ?? null : null, allowedHosts: config.PUSH_ALLOWED_HOSTS },
  });
  telephony.interceptors.push(channels.pollInterceptor);
  telephony.statusListeners.push(engine.statusListener);
  /** Sequences: its event consumer goes into the event worker's list; its SMS interceptor records replies. */
  const sequenceDispatch = createDeliveryDispatch(() => infra.redis, config.REDIS_PREFIX, config.DELIVERY_BATCH_SIZE, 'seq');
  const sequences = createSequences({
    db, secrets, clock, logger: infra.logger.child({ component: 'sequences' }), dispatch: sequenceDispatch, batchSize: config.SEQUENCE_BATCH_SIZE,
    allowedWebhookHosts: config.WEBHOOK_ALLOWED_HOSTS,
    onContactChanged: (tx, change) => rulesEngine.onContactChanged(tx, change),
  });
  telephony.interceptors.push(sequences.signals.interceptor);
  telephony.optOutListeners.push(sequences.optOutListener); // STOP ends the contact's enrollments at once
  /** Events pipeline + rule engine: `publisher` / `onContactChanged` for other features; consumers run in the event worker. */
  const rulesEngine = buildEventsAndRules({
    db, redis: infra.redis, config, logger: infra.logger.child({ component: 'rules' }), secrets, activations, clock, emailEnabled: !!config.SMTP_URL,
    sequences: sequences.enrollments, // enroll_sequence / unenroll_sequence rule actions
  });
  telephony.interceptors.unshift(rulesEngine.smsInterceptor); // raises message.received, never handles: first, so every text is seen
  telephony.statusListeners.push(rulesEngine.statusListener);
  telephony.statusListeners.unshift(tracking.calls.statusListener); // first: ends tracked calls before call.ended is raised generically
  return { secrets, accounts, activations, users, logins, sessions, softphone, conversations, clock, schedules, scheduleHook, carriers, lines, lineSetup, contacts, groups, workflows, telephony, simulatorOutbox, channels, responder, sequences, sequenceDispatch, rulesEngine, engine, tracking, prompts, emailTracking };
};
export type Services = ReturnType<typeof buildServices>;

/** Metrics (docs/METRICS.md): every process counts what it does itself; `work` serves them on METRICS_PORT. */
const activationCounter = (infra: Infra) => (infra.metrics ? (a: { source: string }) => infra.metrics!.activation.activationCreated(a.source) : undefined);
const scheduleLag = (infra: Infra) => (r: { committedAt: Date; fired: Array<{ occurrence: Date }> }) =>
  infra.metrics?.activation.scheduleFired(r.fired.map((f) => (r.committedAt.getTime() - f.occurrence.getTime()) / 1000));
const metricsModules = (infra: Infra): RouteModule[] =>
  infra.metrics ? [{ plugin: metricsRoutes, opts: { token: infra.config.METRICS_TOKEN!, render: infra.metrics.render } }] : [];

/**
 * Web Push (PUSH_PROVIDER=webpush, adapters/push/README.md): the push channel over `web-push`
 * through the webhook client's SSRF guard, its send-time SMS fallback (own delivery-queue
 * handle), and who can be pushed (a contact with at least one registered device).
 */
const buildWebPush = (infra: Infra) => {
  const { config, db } = infra;
  const client = createHttpsWebhookClient({
    timeoutMs: config.PUSH_TIMEOUT_MS, allowedHosts: config.PUSH_ALLOWED_HOSTS, userAgent: 'Switchboard-Push/1.0', maxRedirects: 0,
    ca: config.WEBHOOK_CA_FILE ? readFileSync(config.WEBHOOK_CA_FILE) : undefined,
  });
  const vapid = { publicKey: config.VAPID_PUBLIC_KEY!, privateKey: config.VAPID_PRIVATE_KEY!, subject: config.VAPID_SUBJECT };
  const dispatch = createDeliveryDispatch(() => infra.redis, config.REDIS_PREFIX, config.DELIVERY_BATCH_SIZE, 'pushfb');
  const sender = createWebPushChannel({
    db, transport: createWebPushTransport({ vapid, client }), logger: infra.logger.child({ component: 'push' }),
    fallback: createPushFallback({ db, dispatch, logger: infra.logger.child({ component: 'push' }) }),
    settings: { maxAttempts: Math.min(config.PUSH_MAX_ATTEMPTS, config.DELIVERY_MAX_ATTEMPTS), ttlSeconds: 3600 },
  });
  return { sender, dispatch, capability: { canPush: (c: { pushDevices?: number }) => (c.pushDevices ?? 0) > 0 } };
};

/**
 * Channels and notification extras: e-mail, webhook and push senders (for the delivery worker),
 * the prompt runner, attachments, polls (for the planner and call flows) and the webhook test.
 */
const buildChannels = (infra: Infra, secrets: ReturnType<typeof createSecretBox>, emailTracking: EmailTrackingService) => {
  const { db, config } = infra;
  const webhookClient = createHttpsWebhookClient({
    timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowedHosts: config.WEBHOOK_ALLOWED_HOSTS, userAgent: 'Switchboard-Webhook/1.0',
    ca: config.WEBHOOK_CA_FILE ? readFileSync(config.WEBHOOK_CA_FILE) : undefined,
  });
  const push = pushProviderOf(config) === 'simulator' ? createSimulatorPushProvider(db, simulatedPushesRepo) : createNoopPushProvider();
  const webPush = pushProviderOf(config) === 'webpush' ? buildWebPush(infra) : null;
  const messageIdDomain = new URL(config.PUBLIC_URL).hostname;
  const caughtMail = config.SMTP_URL === 'catcher' ? createMailCatcherStore({ redis: infra.redis, prefix: config.REDIS_PREFIX }) : null;
  // Every e-mail path (workflows, sequences, rules, tracking) ends here: tracked when the account says so.
  const email = withEmailTracking(caughtMail
    ? createMailCatcherSender({ store: caughtMail, from: config.SMTP_FROM, messageIdDomain })
    : createSmtpEmailSender({ smtpUrl: config.SMTP_URL, from: config.SMTP_FROM, messageIdDomain }), emailTracking);
  const attachments = createAttachmentsService({ db, publicUrl: config.PUBLIC_URL, maxBytes: config.ATTACHMENT_MAX_BYTES });
  // Poll answers go to the activation's live feed next to its deliveries.
  const feed = createFeedPublisher(infra.redis, config.REDIS_PREFIX);
  const polls = createPollsService({ db, polls: pollsRepo, onAnswer: (accountId, e) => feed.publish(accountId, [e]) });
  const prompts = createOpenAiPromptRunner({ apiUrl: config.PROMPT_API_URL, apiKey: config.PROMPT_API_KEY, model: config.PROMPT_MODEL, timeoutMs: config.PROMPT_TIMEOUT_MS });
  const extras: NotificationExtras = { prompts, attachments, polls, push: webPush?.capability ?? push };
  return {
    attachments, polls, prompts, push, email, caughtMail, extras,
    senders: [email, createWebhookSender({ client: webhookClient, secrets }), webPush?.sender ?? createPushSender(push)],
    pushDispatch: webPush?.dispatch ?? null,
    webhookTests: createWebhookTestService({ db, workflows: workflowsRepo, client: webhookClient, secrets }),
    capabilities: createCapabilitiesService({ db, capabilities: capabilitiesRepo, config }),
    pollInterceptor: createPollSmsInterceptor(polls),
  };
};

/** Route modules under `/v1`, each with only the services it needs. */
const apiModules = (s: Services): RouteModule[] => [
  { plugin: accountRoutes, opts: { accounts: s.accounts } },
  { plugin: carrierRoutes, opts: { carriers: s.carriers } },
  { plugin: lineRoutes, opts: { lines: s.lines, setup: s.lineSetup } },
  { plugin: contactRoutes, opts: { contacts: s.contacts } },
  { plugin: groupRoutes, opts: { groups: s.groups } },
  { plugin: workflowRoutes, opts: { workflows: s.workflows } },
  { plugin: promptRoutes, opts: { prompts: s.prompts } },
  { plugin: usersRoutes, opts: { users: s.users } },
  { plugin: softphoneRoutes, opts: { softphone: s.softphone, secrets: s.secrets } },
  { plugin: conversationRoutes, opts: { conversations: s.conversations } },
  { plugin: scheduleRoutes, opts: { schedules: s.schedules } },
  { plugin: activationRoutes, opts: { activations: s.activations, queries: s.engine.queries } },
  { plugin: simulatorRoutes, opts: { outbox: s.simulatorOutbox } },
  { plugin: mailCatcherRoutes, opts: { store: s.channels.caughtMail } },
  { plugin: attachmentsRoutes, opts: { attachments: s.channels.attachments } },
  { plugin: pollsRoutes, opts: { polls: s.channels.polls } },
  { plugin: emailTrackingApiRoutes, opts: { tracking: s.emailTracking } },
  { plugin: responderRoutes, opts: { responder: s.responder } },
  { plugin: actionTestRoutes, opts: { webhookTests: s.channels.webhookTests } },
  { plugin: capabilitiesRoutes, opts: { capabilities: s.channels.capabilities } },
  { plugin: sequenceRoutes, opts: { sequences: s.sequences.sequences, status: s.sequences.status } },
  { plugin: sequenceEnrollmentRoutes, opts: { enrollments: s.sequences.enrollments, status: s.sequences.status } },
  { plugin: sequenceTemplateRoutes, opts: { templates: s.sequences.templates } },
  { plugin: eventRoutes, opts: { events: s.rulesEngine.events } },
  { plugin: ruleRoutes, opts: { rules: s.rulesEngine.rules, ruleLogs: s.rulesEngine.ruleLogs, lists: s.rulesEngine.lists } },
  { plugin: ruleLogRoutes, opts: { ruleLogs: s.rulesEngine.ruleLogs } },
  { plugin: revenueRoutes, opts: { revenue: s.rulesEngine.revenue } },
  { plugin: callbacksRoutes, opts: { callbacks: s.rulesEngine.callbacks } },
  { plugin: dncRoutes, opts: { dnc: s.rulesEngine.dnc } },
  { plugin: trackingRoutes, opts: { workflows: s.tracking.workflows, logs: s.tracking.logs, preview: s.tracking.preview } },
  { plugin: dniRoutes, opts: { pools: s.tracking.dniPools } },
];

/** Top-level route modules (webhooks, dashboard, websocket). */
const topModules = (s: Services, infra: Infra, authenticators: Authenticator[]): RouteModule[] => [
  { plugin: apiV1, prefix: '/v1', opts: { authenticators, modules: apiModules(s) } },
  ...dashboardModules(infra.config, s, infra.redis),
  { plugin: activationStreamRoutes, opts: { authenticators, authenticateKey: s.accounts.authenticateKey, feed: s.engine.feedSubscriber(), queries: s.engine.queries } },
  {
    plugin: outboundRoutes,
    prefix: '/webhooks/twilio/outbound',
    opts: { publicUrl: infra.config.PUBLIC_URL, signingTokens: s.telephony.providers.signingTokens, calls: s.engine.outboundCalls(s.channels.polls), callbacks: s.rulesEngine.callbackCalls },
  },
  { plugin: publicAttachmentRoutes, opts: { attachments: s.channels.attachments } },
  { plugin: emailTrackingRoutes, opts: { tracking: s.emailTracking } },
  {
    plugin: publicDniRoutes, // GET /dni/number: the website snippet's number (the snippet itself is web/dni.js)
    opts: { numbers: s.tracking.dniNumbers, redis: infra.redis, redisPrefix: infra.config.REDIS_PREFIX, perMinute: infra.config.DNI_RATE_LIMIT },
  },
  {
    plugin: trackingWebhookRoutes,
    prefix: '/webhooks/twilio/tracking',
    opts: { publicUrl: infra.config.PUBLIC_URL, signingTokens: s.telephony.providers.signingTokens, calls: s.tracking.calls },
  },
  {
    plugin: twilioWebhooks,
    prefix: '/webhooks/twilio',
    opts: { publicUrl: infra.config.PUBLIC_URL, signingTokens: s.telephony.providers.signingTokens, calls: s.telephony.calls, sms: s.telephony.sms, statuses: s.telephony.statuses },
  },
];

/** Long-running background loops and BullMQ workers: each has `close()`. */
type Closeable = { close(): Promise<void> };
const startWorkers = async (s: Services, infra: Infra): Promise<Closeable[]> => [
  { close: async () => s.channels.email.close() }, // pooled SMTP connections
  ...s.engine.start({ providers: s.telephony.providers.all, senders: s.channels.senders, extras: s.channels.extras, recordStatus: s.telephony.statuses.record }),
  ...(infra.config.SEQUENCE_POLL_MS > 0 ? [s.sequences.runner.start(infra.config.SEQUENCE_POLL_MS)] : []),
  ...(infra.config.SESSION_PURGE_INTERVAL_MINUTES > 0
    ? [startSessionPurge({ sessions: s.sessions, intervalMs: infra.config.SESSION_PURGE_INTERVAL_MINUTES * 60_000, logger: infra.logger.child({ component: 'sessions' }) })]
    : []),
  { close: () => s.sequenceDispatch.close() },
  { close: async () => s.channels.pushDispatch?.close() },
  { close: () => s.tracking.deliveries.close() },
  startEventsAndRulesWorkers(s.rulesEngine, {
    db: infra.db, config: infra.config, logger: infra.logger.child({ component: 'events' }),
    consumers: [s.rulesEngine.ruleConsumer, s.sequences.signals.consumer, s.tracking.consumer],
  }),
  startScheduleLoop({
    db: infra.db,
    schedules: schedulesRepo,
    clock: s.clock,
    logger: infra.logger.child({ component: 'schedules' }),
    onPass: scheduleLag(infra),
    firer: createScheduleFirer({ db: infra.db, schedules: schedulesRepo, clock: s.clock, graceMinutes: infra.config.SCHEDULE_GRACE_MINUTES, dispatcher: s.engine.dispatcher, onCreated: activationCounter(infra) }),
  }),
];

/**
 * Closes a fastify app gracefully: in-flight requests finish, then their keep-alive connections
 * are closed as soon as they are idle. Without the sweep, a connection whose request was still
 * running when closing began stays open for the whole keep-alive timeout (72 s), and so does the
 * process on SIGTERM (seen with the carrier's status callbacks arriving during a stop).
 */
const closeGracefully = async (app: FastifyInstance): Promise<void> => {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
};

export type Runtime = {
  infra: Infra;
  services: Services;
  app: FastifyInstance | null;
  listen(): Promise<string>;
  /** `work` with METRICS=true: serves `/metrics` on METRICS_PORT (web roles serve it on PORT). */
  listenMetrics(): Promise<string | null>;
  /** Graceful: stop taking requests and jobs, finish in-flight ones, close connections. */
  stop(): Promise<void>;
};

export const createRuntime = async (
  config: Config, roles: Roles, logger: Logger = createLogger(config.LOG_LEVEL), extras: { clock?: Clock } = {},
): Promise<Runtime> => {
  const db = createPool(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const redis = createRedis(config.REDIS_URL);
  const queues = [...Object.values(queueNames), EVENT_QUEUE, RULE_ACTION_QUEUE];
  const metrics = config.METRICS ? buildMetrics({ config, db, redis, queueNames: queues }) : null;
  const infra: Infra = { config, logger, db, redis, clock: extras.clock, metrics };
  const services = buildServices(infra);
  const authenticators: Authenticator[] = [
    bearerAuthenticator(services.accounts.authenticateKey),
    dashboardAuthenticator(config, services.sessions),
  ];

  const readiness = async () => {
    const [pgOk, redisOk] = await Promise.all([
      db.query('SELECT 1').then(() => true, () => false),
      Promise.race([redis.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]),
    ]);
    return { postgres: pgOk, redis: redisOk };
  };

  const app = roles.web
    ? await buildApp({ logLevel: config.LOG_LEVEL, publicUrl: config.PUBLIC_URL, trustProxy: config.TRUST_PROXY, readiness, observeRequest: metrics?.observeRequest, modules: [...metricsModules(infra), ...topModules(services, infra, authenticators)] })
    : null;
  const workers = roles.worker ? await startWorkers(services, infra) : [];
  const metricsApp = metrics && !roles.web ? await buildMetricsApp({ logLevel: config.LOG_LEVEL, token: config.METRICS_TOKEN!, render: metrics.render }) : null;

  let stopped = false;
  return {
    infra,
    services,
    app,
    async listen() {
      if (!app) throw new Error('this runtime has no web role');
      return app.listen({ host: config.HOST, port: config.PORT });
    },
    async listenMetrics() {
      return metricsApp ? metricsApp.listen({ host: config.HOST, port: config.METRICS_PORT }) : null;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Workers first: they stop sending (paced rows are given back), finish and record their
      // in-flight sends while the web side still takes the carrier's callbacks for them. Closing
      // the web side first let `all` keep sending into callbacks nobody received.
      await Promise.allSettled(workers.map((w) => w.close()));
      if (app) await closeGracefully(app);
      if (metricsApp) await closeGracefully(metricsApp);
      await services.telephony.calls.flush(); // call history rows still queued behind answered webhooks
      await metrics?.close();
      await Promise.allSettled([db.end(), redis.quit()]);
    },
  };
};
