import type { Logger } from '../logger.js';
import { SIMULATOR_ACCOUNT_SID } from '../carriers/simulator-credentials.js';
import type { CallStatusInput, MessageStatusInput } from '../engine/status-port.js';
import type { StatusOutcome } from '../telephony/status-service.js';

/** What the simulator provider reports after storing a send (structurally its `SimulatedSend`). */
export type SimulatedSendNotice =
  | { kind: 'sms'; providerId: string; msg: { from: string; to: string; statusCallbackUrl?: string | null } }
  | { kind: 'call'; providerId: string; call: { from: string; to: string; statusCallbackUrl?: string | null } };

export type SimulatorCallbacksDeps = {
  /** The status service's `record`: the same path a signed carrier callback takes after its check. */
  record(e: MessageStatusInput | CallStatusInput): Promise<StatusOutcome>;
  logger: Pick<Logger, 'warn'>;
  /** Pause before the "carrier" reports, as a real one would (ms). */
  delayMs?: number;
};

const queryOf = (url: string | null | undefined): Record<string, string> => {
  if (!url) return {};
  try {
    return Object.fromEntries(new URL(url).searchParams);
  } catch {
    return {};
  }
};

/**
 * Plays the carrier's final status callbacks for the simulator provider, so a demo or dashboard
 * activation on a simulator line ends the way a real one does: texts `delivered`, calls answered
 * and `completed`. Goes through the status service (ordering, conversation history, engine
 * listeners) exactly like `POST /webhooks/twilio/status`. Best effort: a lost timer (process
 * exit) leaves the delivery at `sent`, as a carrier that never calls back would.
 */
export const createSimulatorCallbacks = (deps: SimulatorCallbacksDeps) => {
  const delay = deps.delayMs ?? 300;
  const common = (providerId: string, from: string, to: string, url: string | null | undefined) => ({
    carrierAccountSid: SIMULATOR_ACCOUNT_SID, providerId, from, to, params: queryOf(url), at: new Date(),
  });
  const report = async (s: SimulatedSendNotice) => {
    if (s.kind === 'sms') {
      await deps.record({ kind: 'message', ...common(s.providerId, s.msg.from, s.msg.to, s.msg.statusCallbackUrl), status: 'delivered', sequence: null, errorCode: null });
      return;
    }
    const base = { kind: 'call' as const, ...common(s.providerId, s.call.from, s.call.to, s.call.statusCallbackUrl), answeredBy: 'human', direction: 'outbound-api' };
    await deps.record({ ...base, status: 'in-progress', sequence: 1, durationSeconds: null });
    await deps.record({ ...base, status: 'completed', sequence: 2, durationSeconds: 12 });
  };
  return (s: SimulatedSendNotice): void => {
    const t = setTimeout(() => {
      report(s).catch((err: unknown) => deps.logger.warn({ err, providerId: s.providerId }, 'simulated status callback failed'));
    }, delay);
    t.unref();
  };
};
