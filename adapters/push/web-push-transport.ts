import webpush from 'web-push';
import type { WebPushOutcome, WebPushSubscription, WebPushTransport } from '../../src/push/push-port.js';
import type { WebhookClient } from '../../src/webhooks/webhook-port.js';

export type WebPushTransportOptions = {
  vapid: { publicKey: string; privateKey: string; subject: string };
  /**
   * The HTTPS client that POSTs the message: the webhook client (adapters/webhook), so push
   * endpoints — URLs a browser handed us, i.e. user input — get the same SSRF guard: https only,
   * public addresses only (checked on the address connected to), PUSH_ALLOWED_HOSTS for tests.
   */
  client: WebhookClient;
};

/**
 * Web Push (RFC 8030) with message encryption (RFC 8291, `aes128gcm`) and VAPID (RFC 8292) done by
 * the `web-push` package's `generateRequestDetails`; the request itself goes through `client`.
 * Retry contract (see `WebPushOutcome`): 201/200/202 accepted; 404/410 `gone`; 429
 * `rate_limited`; 5xx, timeout and network errors `unavailable`; other 4xx, refused addresses,
 * TLS failures and redirects `refused`. The Web Push channel (src/push) decides retries and SMS.
 */
export const createWebPushTransport = (opts: WebPushTransportOptions): WebPushTransport => ({
  async send(sub: WebPushSubscription, payload: string, o): Promise<WebPushOutcome> {
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, {
        vapidDetails: opts.vapid, TTL: o.ttlSeconds, topic: o.topic, urgency: o.urgency, contentEncoding: 'aes128gcm',
      });
    } catch (err) {
      // A malformed stored key (cannot be encrypted for): nothing a retry would change.
      return { ok: false, kind: 'refused', status: null, reason: `cannot encrypt for this device: ${(err as Error).message}`.slice(0, 200) };
    }
    const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const out = await opts.client.send({ method: 'POST', url: details.endpoint, headers, body: details.body });
    if (!out.ok) {
      const f = out.failure;
      const transient = f.kind === 'timeout' || f.kind === 'network';
      return { ok: false, kind: transient ? 'unavailable' : 'refused', status: null, reason: f.reason };
    }
    const status = out.response.status;
    if (status >= 200 && status < 300) return { ok: true, status };
    const reason = `push service answered HTTP ${status}`;
    if (status === 404 || status === 410) return { ok: false, kind: 'gone', status, reason };
    if (status === 429) return { ok: false, kind: 'rate_limited', status, reason };
    if (status >= 500) return { ok: false, kind: 'unavailable', status, reason };
    return { ok: false, kind: 'refused', status, reason };
  },
});
