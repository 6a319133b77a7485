/**
 * Step 6: the telephony gateway (docs/TELEPHONY.md) — inbound calls, texts and status callbacks
 * with every feature's hook in one explicit, ordered list each — then the carrier adapters'
 * registry (the simulator reports its sends through the status service built first) and line
 * set-up.
 */
import { createTelephonyAdapters } from '../../adapters/telephony/index.js';
import { createTwilioNumbers } from '../../adapters/telephony/twilio-numbers.js';
import { smsReplyTexts } from '../../ivr/sms-replies.js';
import { createTrackingTwimlHandler } from '../../routes/webhooks/twilio/tracking-routes.js';
import { createLineSetupService } from '../lines/line-setup-service.js';
import { createSimulatorCallbacks } from '../softphone/simulator-callbacks.js';
import type { SmsInterceptor } from '../telephony/inbound-port.js';
import { createProviderRegistry } from '../telephony/providers.js';
import type { OptOutListener } from '../telephony/sms-keywords.js';
import type { StatusListener } from '../engine/status-port.js';
import { createTelephonyServices } from '../telephony/telephony-services.js';
import type { ChannelsBundle } from './init-channels.js';
import type { EngineBundle } from './init-engine.js';
import type { FeaturesBundle } from './init-features.js';
import type { Infra } from './init-infra.js';
import type { Stores } from './init-stores.js';

export const initTelephony = (
  infra: Infra,
  stores: Pick<Stores, 'secrets' | 'lines'>,
  core: EngineBundle,
  channels: Pick<ChannelsBundle, 'channels'>,
  features: FeaturesBundle,
) => {
  const { db, config } = infra;
  // SMS interceptors, after the built-in STOP/START/HELP keywords, in this order:
  // events first: it raises message.received and never handles a text, so every text is seen;
  // then poll answers, then sequence replies (both may handle the text and end the list).
  const interceptors: SmsInterceptor[] = [
    core.eventsPipeline.smsInterceptor, channels.channels.pollInterceptor, features.sequences.signals.interceptor,
  ];
  // Status listeners, in this order: call tracking first, so a tracked call is ended before
  // call.ended is raised generically; then the engine records the delivery's outcome; then the
  // events pipeline raises the delivery and call events rules react to.
  const statusListeners: StatusListener[] = [
    features.tracking.calls.statusListener, core.engine.statusListener, core.eventsPipeline.statusListener,
  ];
  // STOP ends the contact's sequence enrollments at once, in the opt-out's transaction.
  const optOutListeners: OptOutListener[] = [features.sequences.optOutListener];
  const inbound = createTelephonyServices({
    db, redis: infra.redis, config, activations: core.activations, texts: smsReplyTexts, logger: infra.logger.child({ component: 'telephony' }),
    tracking: createTrackingTwimlHandler({ publicUrl: config.PUBLIC_URL, calls: features.tracking.calls }),
    interceptors, statusListeners, optOutListeners,
  });
  // The simulator "carrier" reports delivered/answered through the status service, as a signed callback would.
  const simulatedCarrier = config.SIMULATOR_CALLBACKS
    ? createSimulatorCallbacks({ record: inbound.statuses.record, logger: infra.logger.child({ component: 'simulator' }) })
    : undefined;
  const providers = createProviderRegistry({
    db, secrets: stores.secrets, secretKey: config.SECRET_KEY, providers: createTelephonyAdapters(db, config, { onSimulatedSend: simulatedCarrier }),
  });
  /** Checks and sets up the Twilio number behind a line (its webhooks), through the official SDK. */
  const lineSetup = createLineSetupService({
    lines: stores.lines, numbers: createTwilioNumbers({ apiUrl: config.TWILIO_API_URL }), publicUrl: config.PUBLIC_URL,
    carrierOf: async (accountId, lineId) => (await providers.forLine(accountId, lineId)).line,
  });
  return { telephony: { ...inbound, providers }, lineSetup };
};
export type TelephonyBundle = ReturnType<typeof initTelephony>;
