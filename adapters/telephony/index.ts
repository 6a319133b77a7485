/** Builds the carrier adapters from config (called by the composition root only). */
import type { Config } from '../../src/config.js';
import type { Queryable } from '../../src/db/db.js';
import { urgentLaneInFlight } from '../../src/engine/queues.js';
import type { TelephonyProvider } from '../../src/engine/telephony-port.js';
import { createSimulatorProvider, type SimulatedSend } from './simulator-provider.js';
import { simulatorOutboxRepo } from '../../src/telephony/simulator-outbox-repo.js';
import { createTwilioProvider } from './twilio-provider.js';

export const createTelephonyAdapters = (
  db: Queryable,
  config: Pick<Config, 'TWILIO_API_URL' | 'DELIVERY_MAX_IN_FLIGHT'>,
  opts: { onSimulatedSend?: (s: SimulatedSend) => void } = {},
): Record<'twilio' | 'simulator', TelephonyProvider> => ({
  // A socket for every send in flight: the bulk lane's and the urgent lane's own (src/engine/queues.ts).
  twilio: createTwilioProvider({ apiUrl: config.TWILIO_API_URL, maxSockets: config.DELIVERY_MAX_IN_FLIGHT + urgentLaneInFlight(config.DELIVERY_MAX_IN_FLIGHT) }),
  simulator: createSimulatorProvider({ db, outbox: simulatorOutboxRepo, onSent: opts.onSimulatedSend }),
});
