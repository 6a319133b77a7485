/**
 * `TelephonyProvider` that sends nothing: every outbound message and call is stored in the
 * `simulator_outbox` table (so every web and worker process sees it) and gets a Twilio-shaped
 * fake SID. The whole product runs without a carrier account; `GET /v1/simulator/outbox` and
 * `switchboard simulate` show what would have been sent.
 *
 * Retry contract: only database failures throw (as-is; the delivery worker retries them).
 * An optional `onSent` hook lets the composition root play status callbacks.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../src/db/db.js';
import type { SimulatorOutboxRepo } from '../../src/telephony/simulator-outbox-repo.js';
import type {
  CarrierCredentials, OutboundCall, OutboundSms, ProviderMessage, ProviderSendResult, ProviderStatus, TelephonyProvider,
} from '../../src/engine/telephony-port.js';

export type SimulatedSend =
  | { kind: 'sms'; providerId: string; msg: OutboundSms }
  | { kind: 'call'; providerId: string; call: OutboundCall };

export type SimulatorProviderDeps = {
  db: Queryable;
  /** The simulator_outbox statements (src/telephony/simulator-outbox-repo.ts). */
  outbox: Pick<SimulatorOutboxRepo,
    'insertSimulatedSms' | 'insertSimulatedCall' | 'findSimulatedStatus' | 'findSimulatedTexts' | 'completeSimulatedCall'>;
  /** Called after a send is stored (e.g. to post simulated status callbacks). Errors are ignored. */
  onSent?: (s: SimulatedSend) => void;
};

const sid = (prefix: 'SM' | 'CA') => prefix + randomBytes(16).toString('hex');

export const createSimulatorProvider = (deps: SimulatorProviderDeps): TelephonyProvider => {
  const { db, outbox } = deps;
  const status = async (providerId: string): Promise<ProviderStatus | null> => {
    const row = await outbox.findSimulatedStatus(db, providerId);
    return row ? { providerId: row.providerId, status: row.status, errorCode: null, durationSeconds: null } : null;
  };
  const notify = (s: SimulatedSend) => {
    try {
      deps.onSent?.(s);
    } catch {
      // a demo nicety, never a reason to fail a send
    }
  };

  return {
    name: 'simulator',
    async sendSms(_creds: CarrierCredentials | null, msg: OutboundSms): Promise<ProviderSendResult> {
      const providerId = sid('SM');
      await outbox.insertSimulatedSms(db, {
        providerId, from: msg.from, to: msg.to, body: msg.body, mediaUrls: msg.mediaUrls ?? [], statusCallbackUrl: msg.statusCallbackUrl ?? null,
      });
      notify({ kind: 'sms', providerId, msg });
      return { providerId, status: 'sent' };
    },
    async placeCall(_creds, call: OutboundCall): Promise<ProviderSendResult> {
      const providerId = sid('CA');
      await outbox.insertSimulatedCall(db, {
        providerId, from: call.from, to: call.to, twimlUrl: call.twimlUrl, sendDigits: call.sendDigits ?? null,
        statusCallbackUrl: call.statusCallbackUrl ?? null,
      });
      notify({ kind: 'call', providerId, call });
      return { providerId, status: 'queued' };
    },
    fetchMessageStatus: (_c, id) => status(id),
    fetchCallStatus: (_c, id) => status(id),
    async findMessages(_creds, q): Promise<ProviderMessage[]> {
      const texts = await outbox.findSimulatedTexts(db, { from: q.from, to: q.to, since: q.since });
      return texts;
    },
    async hangupCall(_creds, providerId): Promise<void> {
      await outbox.completeSimulatedCall(db, providerId);
    },
  };
};
