/**
 * The route modules of the web role, each given only the services it needs; init-web.ts
 * registers them in this order.
 */
import type { RouteModule } from '../../routes/app.js';
import { accountRoutes } from '../../routes/api/v1/account-routes.js';
import { actionTestRoutes } from '../../routes/api/v1/action-test-routes.js';
import { activationRoutes } from '../../routes/api/v1/activation-routes.js';
import { activationStreamRoutes } from '../../routes/api/v1/activation-stream-routes.js';
import { attachmentsRoutes } from '../../routes/api/v1/attachments-routes.js';
import { callbacksRoutes } from '../../routes/api/v1/callbacks-routes.js';
import { capabilitiesRoutes } from '../../routes/api/v1/capabilities-routes.js';
import { carrierRoutes } from '../../routes/api/v1/carriers-routes.js';
import { contactRoutes } from '../../routes/api/v1/contacts-routes.js';
import { conversationRoutes } from '../../routes/api/v1/conversation-routes.js';
import { dncRoutes } from '../../routes/api/v1/dnc-routes.js';
import { dniRoutes } from '../../routes/api/v1/dni-routes.js';
import { emailTrackingApiRoutes } from '../../routes/api/v1/email-tracking-routes.js';
import { eventRoutes } from '../../routes/api/v1/events-routes.js';
import { groupRoutes } from '../../routes/api/v1/groups-routes.js';
import { apiV1 } from '../../routes/api/v1/index.js';
import { lineRoutes } from '../../routes/api/v1/lines-routes.js';
import { mailCatcherRoutes } from '../../routes/api/v1/mail-catcher-routes.js';
import { pollsRoutes } from '../../routes/api/v1/polls-routes.js';
import { promptRoutes } from '../../routes/api/v1/prompts-routes.js';
import { responderRoutes } from '../../routes/api/v1/responder-routes.js';
import { revenueRoutes } from '../../routes/api/v1/revenue-routes.js';
import { ruleLogRoutes } from '../../routes/api/v1/rule-logs-routes.js';
import { ruleRoutes } from '../../routes/api/v1/rules-routes.js';
import { scheduleRoutes } from '../../routes/api/v1/schedule-routes.js';
import { sequenceEnrollmentRoutes } from '../../routes/api/v1/sequence-enrollment-routes.js';
import { sequenceRoutes } from '../../routes/api/v1/sequence-routes.js';
import { sequenceTemplateRoutes } from '../../routes/api/v1/sequence-template-routes.js';
import { simulatorRoutes } from '../../routes/api/v1/simulator-routes.js';
import { softphoneRoutes } from '../../routes/api/v1/softphone-routes.js';
import { trackingRoutes } from '../../routes/api/v1/tracking-routes.js';
import { usersRoutes } from '../../routes/api/v1/users-routes.js';
import { workflowRoutes } from '../../routes/api/v1/workflows-routes.js';
import type { Authenticator } from '../../routes/auth.js';
import { dashboardModules } from '../../routes/dashboard/index.js';
import { metricsRoutes } from '../../routes/metrics-routes.js';
import { publicAttachmentRoutes } from '../../routes/public/attachment-routes.js';
import { publicDniRoutes } from '../../routes/public/dni-routes.js';
import { emailTrackingRoutes } from '../../routes/public/email-tracking-routes.js';
import { twilioWebhooks } from '../../routes/webhooks/twilio/index.js';
import { outboundRoutes } from '../../routes/webhooks/twilio/outbound-routes.js';
import { trackingWebhookRoutes } from '../../routes/webhooks/twilio/tracking-routes.js';
import type { Infra } from './init-infra.js';
import type { Services } from './services.js';

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

/** Metrics (docs/METRICS.md): web roles serve `/metrics` on PORT. */
export const metricsModules = (infra: Infra): RouteModule[] =>
  infra.metrics ? [{ plugin: metricsRoutes, opts: { token: infra.config.METRICS_TOKEN!, render: infra.metrics.render } }] : [];

/** Top-level route modules (API, dashboard, websocket, public pages, carrier webhooks). */
export const topModules = (s: Services, infra: Infra, authenticators: Authenticator[]): RouteModule[] => {
  const { config } = infra;
  const signing = { publicUrl: config.PUBLIC_URL, signingTokens: s.telephony.providers.signingTokens };
  return [
    { plugin: apiV1, prefix: '/v1', opts: { authenticators, modules: apiModules(s) } },
    ...dashboardModules(config, s, infra.redis),
    {
      plugin: activationStreamRoutes,
      opts: { authenticators, authenticateKey: s.accounts.authenticateKey, feed: s.engine.feedSubscriber(), queries: s.engine.queries },
    },
    {
      plugin: outboundRoutes,
      prefix: '/webhooks/twilio/outbound',
      opts: { ...signing, calls: s.engine.outboundCalls(s.channels.polls), callbacks: s.rulesEngine.callbackCalls },
    },
    { plugin: publicAttachmentRoutes, opts: { attachments: s.channels.attachments } },
    { plugin: emailTrackingRoutes, opts: { tracking: s.emailTracking } },
    {
      plugin: publicDniRoutes, // GET /dni/number: the website snippet's number (the snippet itself is web/dni.js)
      opts: { numbers: s.tracking.dniNumbers, redis: infra.redis, redisPrefix: config.REDIS_PREFIX, perMinute: config.DNI_RATE_LIMIT },
    },
    { plugin: trackingWebhookRoutes, prefix: '/webhooks/twilio/tracking', opts: { ...signing, calls: s.tracking.calls } },
    {
      plugin: twilioWebhooks,
      prefix: '/webhooks/twilio',
      opts: { ...signing, calls: s.telephony.calls, sms: s.telephony.sms, statuses: s.telephony.statuses },
    },
  ];
};
