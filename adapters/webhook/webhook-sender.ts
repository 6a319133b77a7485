import type { SecretBox } from '../../src/crypto.js';
import type { ChannelResult, ChannelSender, DeliveryJob } from '../../src/engine/channel-port.js';
import { ProviderError } from '../../src/errors.js';
import { parseWebhookPayload } from '../../src/webhooks/webhook-payload.js';
import type { WebhookClient, WebhookOutcome } from '../../src/webhooks/webhook-port.js';

export type WebhookSenderDeps = { client: WebhookClient; secrets: Pick<SecretBox, 'open'> };

/**
 * Channel 'webhook': sends the rendered request of a webhook action (payload from
 * `buildWebhookPayload`). The Authorization header is opened from its sealed form only here,
 * at send time, and never logged or returned.
 *
 * Retry contract (ProviderError):
 * - 2xx: delivered, `meta` records the HTTP status, timing and redirects;
 * - 429: retryable + rateLimited (the queue slows down);
 * - 5xx, timeout, network errors: retryable;
 * - other 4xx, 3xx left after 3 redirects, TLS failures, SSRF refusals, invalid URL: permanent.
 * Receivers can de-duplicate retries on the `Idempotency-Key` header (the delivery id).
 */
export const createWebhookSender = (deps: WebhookSenderDeps): ChannelSender => ({
  channels: ['webhook'],
  async send(job: DeliveryJob): Promise<ChannelResult> {
    const p = parseWebhookPayload(job.payload);
    if (!p) throw new ProviderError('webhook payload has no URL', { providerCode: 'invalid_payload', retryable: false });
    const headers: Record<string, string> = {
      'idempotency-key': job.deliveryId,
      'x-switchboard-activation': job.activationId,
    };
    if (p.body !== null) headers['content-type'] = 'application/json';
    if (p.authorizationSealed) {
      try {
        headers.authorization = deps.secrets.open(p.authorizationSealed);
      } catch {
        throw new ProviderError('the stored Authorization header cannot be decrypted (SECRET_KEY changed?)', {
          providerCode: 'authorization_unreadable',
          retryable: false,
        });
      }
    }
    return toResult(await deps.client.send({ method: p.method, url: p.url, headers, body: p.body }));
  },
});

/** Maps an outcome to the channel contract; exported for the action test and for tests. */
export const toResult = (outcome: WebhookOutcome): ChannelResult => {
  if (!outcome.ok) {
    const f = outcome.failure;
    const retryable = f.kind === 'timeout' || f.kind === 'network';
    throw new ProviderError(`${f.reason} (after ${f.durationMs} ms)`, {
      providerCode: f.kind === 'refused' ? 'ssrf_refused' : f.kind,
      retryable,
    });
  }
  const r = outcome.response;
  const timing = `HTTP ${r.status} after ${r.durationMs} ms`;
  if (r.status >= 200 && r.status < 300) {
    return {
      status: 'delivered',
      provider: 'webhook',
      meta: { httpStatus: r.status, durationMs: r.durationMs, redirects: r.redirects, response: r.bodyExcerpt.slice(0, 500) },
    };
  }
  if (r.status === 429) {
    throw new ProviderError(`rate limited by the receiver: ${timing}`, { providerCode: 'http_429', providerStatus: 429, retryable: true, rateLimited: true });
  }
  throw new ProviderError(`webhook answered ${timing}`, {
    providerCode: `http_${r.status}`,
    providerStatus: r.status,
    retryable: r.status >= 500,
  });
};
