import type { Queryable } from '../db/db.js';
import { ProviderError } from '../errors.js';
import type { TelephonyProvider } from './telephony-port.js';
import { SMS_MAX_CHARS, smsLength } from '../templates/sms-text.js';
import type { ChannelResult, ChannelSender, DeliveryJob } from './channel-port.js';
import type { DeliveriesRepo } from './deliveries-repo.js';
import type { LineDirectory } from './line-directory.js';

export type TelephonySenderDeps = {
  /** Reads which carrier ids other deliveries already hold (findSentSms). */
  db: Queryable;
  deliveries: Pick<DeliveriesRepo, 'providerIdsTaken'>;
  lines: LineDirectory;
  providers: Partial<Record<'twilio' | 'simulator', TelephonyProvider>>;
  publicUrl: string;
};

/** Where the carrier fetches the TwiML of a call Switchboard places, per channel. */
const twimlPath: Record<string, string> = { voice: 'notify', conference: 'conference', pager: 'pager' };

/** `PUBLIC_URL/webhooks/twilio/status?delivery=<id>` (and `kind` for calls). */
export const statusCallbackUrl = (publicUrl: string, deliveryId: string, kind?: string): string =>
  `${publicUrl}/webhooks/twilio/status?delivery=${deliveryId}${kind ? `&kind=${kind}` : ''}`;

export const outboundTwimlUrl = (publicUrl: string, channel: string, deliveryId: string): string =>
  `${publicUrl}/webhooks/twilio/outbound/${twimlPath[channel]}?delivery=${deliveryId}`;

/**
 * The sending line named in a delivery's payload (`lineId`, chosen by the planner) and its
 * provider. No line or no address: `no_route`; no provider configured for it: `no_provider`
 * (both permanent).
 */
const routeOf = async (deps: Pick<TelephonySenderDeps, 'lines' | 'providers'>, lineId: string, address: string | null) => {
  if (!lineId || !address) throw new ProviderError('delivery has no sending line or address', { providerCode: 'no_route', retryable: false });
  const line = await deps.lines.get(lineId);
  const provider = deps.providers[line.provider];
  if (!provider) throw new ProviderError(`no ${line.provider} provider is configured`, { providerCode: 'no_provider', retryable: false });
  return { line, provider, address };
};

/**
 * The text the carrier accepted for this SMS delivery since `since` (same line, number and body),
 * if any: how a send whose outcome was lost (worker killed, connection lost after the request) is
 * settled without sending it twice. A text already recorded on another delivery (another
 * activation sending the same words to the same person) is never taken for this one: that would
 * lose this one. Null when the carrier has no such text; `no_route` / `no_provider` as `routeOf`.
 */
export const findSentSms = async (
  deps: Pick<TelephonySenderDeps, 'lines' | 'providers' | 'db' | 'deliveries'>,
  q: { deliveryId: string; lineId: string; address: string | null; body: string },
  since: Date,
): Promise<{ provider: string; providerId: string; carrierStatus: string } | null> => {
  const { line, provider, address } = await routeOf(deps, q.lineId, q.address);
  const candidates = (await provider.findMessages(line.credentials, { from: line.phoneNumber, to: address, since, messagingServiceSid: line.messagingServiceSid })).filter((m) => m.body === q.body);
  if (candidates.length === 0) return null;
  const owned = await deps.deliveries.providerIdsTaken(deps.db, candidates.map((m) => m.providerId), q.deliveryId);
  const found = candidates.find((m) => !owned.has(m.providerId));
  return found ? { provider: provider.name, providerId: found.providerId, carrierStatus: found.status } : null;
};

/**
 * Sends sms, voice (text-to-voice), conference and pager deliveries through the provider of the
 * sending line named in the payload (`lineId`, chosen by the planner). Calls fetch their TwiML
 * from `/webhooks/twilio/outbound/<notify|conference|pager>?delivery=<id>`; every send asks for
 * status callbacks on `/webhooks/twilio/status?delivery=<id>`. Errors are the provider's
 * `ProviderError`s (retry contract in telephony-port.ts). A text over SMS_MAX_CHARS fails at once
 * (`text_too_long`, permanent) without reaching the carrier.
 */
export const createTelephonySender = (deps: TelephonySenderDeps): ChannelSender => ({
  channels: ['sms', 'voice', 'conference', 'pager'],
  async findSent(job: DeliveryJob, since: Date): Promise<ChannelResult | null> {
    if (job.channel !== 'sms') return null;
    const found = await findSentSms(deps, { deliveryId: job.deliveryId, lineId: String(job.payload.lineId ?? ''), address: job.address, body: String(job.payload.body ?? '') }, since);
    return found && { status: 'sent', provider: found.provider, providerId: found.providerId, meta: { carrierStatus: found.carrierStatus, reconciled: true } };
  },
  async send(job: DeliveryJob): Promise<ChannelResult> {
    const { line, provider, address } = await routeOf(deps, String(job.payload.lineId ?? ''), job.address);
    if (job.channel === 'sms') {
      const body = String(job.payload.body ?? '');
      // The carrier would refuse it (Twilio 21617): fail with the reason, never hand it over.
      if (smsLength(body) > SMS_MAX_CHARS) {
        throw new ProviderError(`text is ${smsLength(body)} characters; the carrier accepts at most ${SMS_MAX_CHARS}: not sent`, {
          providerCode: 'text_too_long', retryable: false,
        });
      }
      const r = await provider.sendSms(line.credentials, {
        from: line.phoneNumber,
        messagingServiceSid: line.messagingServiceSid,
        to: address,
        body,
        statusCallbackUrl: statusCallbackUrl(deps.publicUrl, job.deliveryId),
      });
      return { status: 'sent', provider: provider.name, providerId: r.providerId, meta: { carrierStatus: r.status } };
    }
    const r = await provider.placeCall(line.credentials, {
      from: line.phoneNumber,
      to: address,
      twimlUrl: outboundTwimlUrl(deps.publicUrl, job.channel, job.deliveryId),
      statusCallbackUrl: statusCallbackUrl(deps.publicUrl, job.deliveryId, job.channel),
      statusEvents: ['initiated', 'ringing', 'answered', 'completed'],
      timeoutSeconds: 30,
    });
    return { status: 'sent', provider: provider.name, providerId: r.providerId, meta: { carrierStatus: r.status } };
  },
});
