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
import type {
  CarrierCredentials, OutboundCall, OutboundSms, ProviderMessage, ProviderSendResult, ProviderStatus, TelephonyProvider,
} from '../../src/engine/telephony-port.js';

export type SimulatedSend =
  | { kind: 'sms'; providerId: string; msg: OutboundSms }
  | { kind: 'call'; providerId: string; call: OutboundCall };

export type SimulatorProviderDeps = {
  db: Queryable;
  /** Called after a send is stored (e.g. to post simulated status callbacks). Errors are ignored. */
  onSent?: (s: SimulatedSend) => void;
};

const sid = (prefix: 'SM' | 'CA') => prefix + randomBytes(16).toString('hex');

export const createSimulatorProvider = (deps: SimulatorProviderDeps): TelephonyProvider => {
  const status = async (providerId: string): Promise<ProviderStatus | null> => {
    const r = await deps.db.query('SELECT provider_id, status FROM simulator_outbox WHERE provider_id = $1', [providerId]);
    const row = r.rows[0];
    return row ? { providerId: row.provider_id, status: row.status, errorCode: null, durationSeconds: null } : null;
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
      await deps.db.query(
        `INSERT INTO simulator_outbox (provider_id, kind, from_number, to_number, body, media_urls, status_callback_url, status)
         VALUES ($1, 'sms', $2, $3, $4, $5, $6, 'sent')`,
        [providerId, msg.from, msg.to, msg.body, msg.mediaUrls ?? [], msg.statusCallbackUrl ?? null],
      );
      notify({ kind: 'sms', providerId, msg });
      return { providerId, status: 'sent' };
    },
    async placeCall(_creds, call: OutboundCall): Promise<ProviderSendResult> {
      const providerId = sid('CA');
      await deps.db.query(
        `INSERT INTO simulator_outbox (provider_id, kind, from_number, to_number, twiml_url, send_digits, status_callback_url, status)
         VALUES ($1, 'call', $2, $3, $4, $5, $6, 'queued')`,
        [providerId, call.from, call.to, call.twimlUrl, call.sendDigits ?? null, call.statusCallbackUrl ?? null],
      );
      notify({ kind: 'call', providerId, call });
      return { providerId, status: 'queued' };
    },
    fetchMessageStatus: (_c, id) => status(id),
    fetchCallStatus: (_c, id) => status(id),
    async findMessages(_creds, q): Promise<ProviderMessage[]> {
      const r = await deps.db.query(
        `SELECT provider_id, from_number, to_number, body, status, created_at FROM simulator_outbox
          WHERE kind = 'sms' AND from_number = $1 AND to_number = $2 AND created_at >= $3 ORDER BY id`,
        [q.from, q.to, q.since],
      );
      return r.rows.map((m) => ({ providerId: m.provider_id, from: m.from_number, to: m.to_number, body: m.body ?? '', status: m.status, sentAt: m.created_at }));
    },
    async hangupCall(_creds, providerId): Promise<void> {
      await deps.db.query(`UPDATE simulator_outbox SET status = 'completed' WHERE provider_id = $1 AND kind = 'call'`, [providerId]);
    },
  };
};
