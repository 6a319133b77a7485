/**
 * Step 4: the channels the delivery worker sends through and the notification extras the planner
 * and call flows use — e-mail (tracked opens and clicks), webhooks, push (simulator, no-op or Web
 * Push with its SMS fallback), prompts, attachments, polls — and the responder view.
 */
import { readFileSync } from 'node:fs';
import { createMailCatcherSender } from '../../adapters/email/mail-catcher.js';
import { createSmtpEmailSender } from '../../adapters/email/smtp-email-sender.js';
import { createOpenAiPromptRunner } from '../../adapters/prompt/openai-prompt-runner.js';
import { createNoopPushProvider } from '../../adapters/push/noop-push-provider.js';
import { createPushSender } from '../../adapters/push/push-sender.js';
import { simulatedPushesRepo } from '../../adapters/push/simulated-pushes-repo.js';
import { createSimulatorPushProvider } from '../../adapters/push/simulator-push-provider.js';
import { createWebPushTransport } from '../../adapters/push/web-push-transport.js';
import { createHttpsWebhookClient } from '../../adapters/webhook/https-webhook-client.js';
import { createWebhookSender } from '../../adapters/webhook/webhook-sender.js';
import { capabilitiesRepo } from '../accounts/capabilities-repo.js';
import { createCapabilitiesService } from '../accounts/capabilities-service.js';
import { createAttachmentsService } from '../attachments/attachments-service.js';
import { pushProviderOf } from '../config.js';
import type { SecretBox } from '../crypto.js';
import { createEmailTrackingService } from '../email-tracking/email-tracking-service.js';
import { withEmailTracking } from '../email-tracking/tracking-email-sender.js';
import { createTrackingTokens } from '../email-tracking/tracking-tokens.js';
import { createMailCatcherStore } from '../demo/mail-catcher-store.js';
import { createFeedPublisher } from '../engine/feed.js';
import type { NotificationExtras } from '../engine/notification-extras-port.js';
import { createPollSmsInterceptor } from '../polls/poll-sms-interceptor.js';
import { pollsRepo } from '../polls/polls-repo.js';
import { createPollsService } from '../polls/polls-service.js';
import { createPushFallback } from '../push/push-fallback.js';
import { createResponderService } from '../push/responder-service.js';
import { createWebPushChannel } from '../push/web-push-channel.js';
import { createWebhookTestService } from '../webhooks/webhook-test-service.js';
import { workflowsRepo } from '../workflows/workflows-repo.js';
import type { EngineBundle } from './init-engine.js';
import type { Infra } from './init-infra.js';
import type { Stores } from './init-stores.js';

/**
 * Web Push (PUSH_PROVIDER=webpush, adapters/push/README.md): the push channel over `web-push`
 * through the webhook client's SSRF guard, its send-time SMS fallback (onto the engine's delivery
 * queue), and who can be pushed (a contact with at least one registered device).
 */
const buildWebPush = (infra: Infra, ca: Buffer | undefined, queueDeliveries: (ids: string[]) => Promise<void>) => {
  const { config, db } = infra;
  const client = createHttpsWebhookClient({
    timeoutMs: config.PUSH_TIMEOUT_MS, allowedHosts: config.PUSH_ALLOWED_HOSTS, userAgent: 'Switchboard-Push/1.0', maxRedirects: 0, ca,
  });
  const vapid = { publicKey: config.VAPID_PUBLIC_KEY!, privateKey: config.VAPID_PRIVATE_KEY!, subject: config.VAPID_SUBJECT };
  const logger = infra.logger.child({ component: 'push' });
  const sender = createWebPushChannel({
    db, transport: createWebPushTransport({ vapid, client }), logger,
    fallback: createPushFallback({ db, queueDeliveries, logger }),
    settings: { maxAttempts: Math.min(config.PUSH_MAX_ATTEMPTS, config.DELIVERY_MAX_ATTEMPTS), ttlSeconds: 3600 },
  });
  return { sender, capability: { canPush: (c: { pushDevices?: number }) => (c.pushDevices ?? 0) > 0 } };
};

/** E-mail: the SMTP sender, or the quick start's mail catcher (SMTP_URL=catcher); tracked when the account says so. */
const buildEmail = (infra: Infra, tracking: ReturnType<typeof createEmailTrackingService>) => {
  const { config } = infra;
  const messageIdDomain = new URL(config.PUBLIC_URL).hostname;
  const caughtMail = config.SMTP_URL === 'catcher' ? createMailCatcherStore({ redis: infra.redis, prefix: config.REDIS_PREFIX }) : null;
  // Every e-mail path (workflows, sequences, rules, tracking) ends here.
  const email = withEmailTracking(caughtMail
    ? createMailCatcherSender({ store: caughtMail, from: config.SMTP_FROM, messageIdDomain })
    : createSmtpEmailSender({ smtpUrl: config.SMTP_URL, from: config.SMTP_FROM, messageIdDomain }), tracking);
  return { email, caughtMail };
};

const buildChannels = (infra: Infra, secrets: SecretBox, email: ReturnType<typeof buildEmail>, queueDeliveries: (ids: string[]) => Promise<void>) => {
  const { db, config } = infra;
  // Read once: the webhook client and the Web Push client trust the same extra CA.
  const ca = config.WEBHOOK_CA_FILE ? readFileSync(config.WEBHOOK_CA_FILE) : undefined;
  const webhookClient = createHttpsWebhookClient({
    timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowedHosts: config.WEBHOOK_ALLOWED_HOSTS, userAgent: 'Switchboard-Webhook/1.0', ca,
  });
  const pushProvider = pushProviderOf(config);
  const push = pushProvider === 'simulator' ? createSimulatorPushProvider(db, simulatedPushesRepo) : createNoopPushProvider();
  const webPush = pushProvider === 'webpush' ? buildWebPush(infra, ca, queueDeliveries) : null;
  const attachments = createAttachmentsService({ db, publicUrl: config.PUBLIC_URL, maxBytes: config.ATTACHMENT_MAX_BYTES });
  // Poll answers go to the activation's live feed next to its deliveries.
  const feed = createFeedPublisher(infra.redis, config.REDIS_PREFIX);
  const polls = createPollsService({ db, polls: pollsRepo, onAnswer: (accountId, e) => feed.publish(accountId, [e]) });
  const prompts = createOpenAiPromptRunner({
    apiUrl: config.PROMPT_API_URL, apiKey: config.PROMPT_API_KEY, model: config.PROMPT_MODEL, timeoutMs: config.PROMPT_TIMEOUT_MS,
  });
  const extras: NotificationExtras = { prompts, attachments, polls, push: webPush?.capability ?? push };
  return {
    pushProvider, attachments, polls, prompts, push, ...email, extras,
    senders: [email.email, createWebhookSender({ client: webhookClient, secrets }), webPush?.sender ?? createPushSender(push)],
    webhookTests: createWebhookTestService({ db, workflows: workflowsRepo, client: webhookClient, secrets }),
    capabilities: createCapabilitiesService({ db, capabilities: capabilitiesRepo, config }),
    pollInterceptor: createPollSmsInterceptor(polls),
  };
};

export const initChannels = (infra: Infra, stores: Pick<Stores, 'secrets'>, core: Pick<EngineBundle, 'engine' | 'eventsPipeline'>) => {
  const { db, config } = infra;
  const { publisher } = core.eventsPipeline;
  /** E-mail open/click tracking (docs/CHANNELS.md "E-mail open and click tracking"): raises email.opened / email.clicked. */
  const emailTracking = createEmailTrackingService({
    db, tokens: createTrackingTokens(config.SECRET_KEY), publicUrl: config.PUBLIC_URL,
    events: { publisher, dispatcher: publisher.dispatcher },
  });
  const channels = buildChannels(infra, stores.secrets, buildEmail(infra, emailTracking), core.engine.queueDeliveries);
  /** Responder view (#/responder): Web Push devices, my alerts, acknowledge and poll answers. */
  const responder = createResponderService({
    db, status: core.engine.deliveryStatus, polls: channels.polls,
    push: { vapidPublicKey: channels.pushProvider === 'webpush' ? config.VAPID_PUBLIC_KEY ?? null : null, allowedHosts: config.PUSH_ALLOWED_HOSTS },
  });
  return { emailTracking, channels, responder };
};
export type ChannelsBundle = ReturnType<typeof initChannels>;
