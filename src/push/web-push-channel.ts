import type { ChannelResult, ChannelSender, DeliveryJob } from '../engine/channel-port.js';
import type { PushPayload } from '../engine/delivery-payloads.js';
import type { Db } from '../db/db.js';
import { ProviderError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PushFallback } from './push-fallback.js';
import type { WebPushOutcome, WebPushTransport } from './push-port.js';
import { deleteGone, markUsed, subscriptionsOf } from './push-subscriptions-repo.js';

export type WebPushChannelDeps = {
  db: Db;
  transport: WebPushTransport;
  fallback: Pick<PushFallback, 'toSms'>;
  logger: Pick<Logger, 'warn'>;
  /** `maxAttempts`: PUSH_MAX_ATTEMPTS capped by DELIVERY_MAX_ATTEMPTS; `ttlSeconds`: how long a push service keeps an undelivered push. */
  settings: { maxAttempts: number; ttlSeconds: number };
};

/** What the service worker receives (decrypted on the phone), see web/sw.js. */
export type WebPushMessage = {
  title: string; body: string; deliveryId: string; activationId: string; url: string;
  poll: { question: string; options: string[] } | null;
};

/** Push services take about 4 KB of payload; the text is cut well below that (UTF-8 safe). */
const MAX_BODY_BYTES = 2800;
const cut = (s: string, bytes: number) => {
  if (Buffer.byteLength(s) <= bytes) return s;
  let out = s;
  while (Buffer.byteLength(`${out}…`) > bytes) out = out.slice(0, Math.floor(out.length * 0.9));
  return `${out}…`;
};

export const webPushMessage = (job: DeliveryJob): WebPushMessage => {
  const p = job.payload as Partial<PushPayload>;
  return {
    title: cut(typeof p.title === 'string' && p.title ? p.title : 'Switchboard', 200),
    body: cut(typeof p.body === 'string' ? p.body : '', MAX_BODY_BYTES),
    deliveryId: job.deliveryId,
    activationId: job.activationId,
    url: '/#/responder',
    poll: p.pollId && p.pollOptions ? { question: p.pollQuestion ?? '', options: p.pollOptions } : null,
  };
};

const FAILURE_CODE = { gone: 'unregistered', refused: 'push_refused', unavailable: 'push_unavailable', rate_limited: 'push_unavailable' } as const;

/**
 * Channel 'push' over Web Push: one delivery goes to every device (subscription) of the contact.
 * Sent when at least one push service accepted it. A device the push service reports gone
 * (404/410) is deleted. When no device can take it — none left, every one refused (4xx), or the
 * push services did not answer (timeout, 5xx, 429) on the last of `maxAttempts` attempts — the
 * person gets the planned SMS instead, once (`PushFallback`), and the push delivery fails with
 * the reason. Earlier unanswered attempts throw a retryable `ProviderError` (backoff); the push's
 * Topic is the delivery, so a retry replaces an undelivered copy instead of showing twice.
 */
export const createWebPushChannel = (deps: WebPushChannelDeps): ChannelSender => {
  const fallBack = async (job: DeliveryJob, code: string, reason: string): Promise<ChannelResult> => {
    const fb = await deps.fallback.toSms(job, code);
    const tail = fb === 'sms' ? '; sent by SMS instead' : fb === 'exists' ? '; the person is texted by this action' : '';
    return { status: 'failed', provider: 'push:webpush', errorCode: code, errorMessage: `${reason}${tail}`.slice(0, 500), meta: { fallback: fb } };
  };

  return {
    channels: ['push'],
    async send(job) {
      if (!job.contactId) return fallBack(job, 'no_push_subscription', 'no contact to push to');
      const subs = await subscriptionsOf(deps.db, job.accountId, job.contactId);
      if (subs.length === 0) return fallBack(job, 'no_push_subscription', 'no device is registered for push');
      const body = JSON.stringify(webPushMessage(job));
      const topic = job.deliveryId.replace(/-/g, '');
      const results: WebPushOutcome[] = await Promise.all(
        subs.map((s) => deps.transport.send(s, body, { topic, ttlSeconds: deps.settings.ttlSeconds, urgency: 'high' })),
      );
      const gone = subs.filter((_s, i) => results[i]!.ok === false && (results[i] as { kind: string }).kind === 'gone').map((s) => s.id);
      await deleteGone(deps.db, gone);
      const accepted = subs.filter((_s, i) => results[i]!.ok).map((s) => s.id);
      if (accepted.length > 0) {
        await markUsed(deps.db, accepted);
        return { status: 'sent', provider: 'push:webpush', meta: { devices: subs.length, accepted: accepted.length, removed: gone.length } };
      }
      const failures = results.filter((r): r is Extract<WebPushOutcome, { ok: false }> => !r.ok);
      const transient = failures.find((f) => f.kind === 'unavailable' || f.kind === 'rate_limited');
      const reason = failures.map((f) => f.reason).join('; ');
      if (transient && job.attempt < deps.settings.maxAttempts) {
        throw new ProviderError(`push service did not take it: ${reason}`.slice(0, 500), {
          providerCode: FAILURE_CODE[transient.kind], providerStatus: transient.status ?? undefined, retryable: true,
        });
      }
      const worst = transient ?? failures.find((f) => f.kind === 'refused') ?? failures[0]!;
      if (gone.length) deps.logger.warn({ deliveryId: job.deliveryId, removed: gone.length }, 'push subscriptions gone: removed');
      return fallBack(job, FAILURE_CODE[worst.kind], reason || 'no device took the push');
    },
  };
};
