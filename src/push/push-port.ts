import type { PushCapability, PushContact } from '../engine/notification-extras-port.js';

export type { PushContact };

/** One push notification to one device. */
export type PushMessage = {
  accountId: string;
  contactId: string | null;
  /** The delivery it belongs to: providers that support it should use it as a collapse/idempotency key. */
  deliveryId: string;
  /** The device token (FCM registration token, APNs device token…), the delivery's address. */
  token: string;
  title: string;
  body: string;
  data?: Record<string, string>;
};

/**
 * Port: a push notification service. `canPush` (from the engine's `PushCapability`) is asked
 * per recipient while planning and must be cheap and synchronous: when it says no, the planner
 * sends SMS instead. `send` delivers one push and returns the provider's message id; it throws
 * `ProviderError` — `retryable` for network errors, 5xx and quota (429, also `rateLimited`),
 * permanent for an invalid or unregistered token (providerCode e.g. `unregistered`).
 *
 * Implementations: `adapters/push/noop-push-provider.ts` (default: never pushes),
 * `adapters/push/simulator-push-provider.ts` (stores pushes for demos and tests). A real one
 * (FCM, APNs) is plugged in as described in `adapters/push/README.md`.
 */
export interface PushProvider extends PushCapability {
  readonly name: string;
  send(msg: PushMessage): Promise<{ providerId: string }>;
}

/** A browser's push subscription (RFC 8030 endpoint, RFC 8291 `p256dh` and `auth` keys, base64url). */
export type WebPushSubscription = { id: string; endpoint: string; p256dh: string; auth: string };

/**
 * What the push service said to one message: `gone` (404/410: the subscription expired or was
 * revoked; delete it), `refused` (any other 4xx but 429, a refused address or a bad URL:
 * sending again will not help), `unavailable` (timeout, network error, 5xx: may work later),
 * `rate_limited` (429).
 */
export type WebPushOutcome =
  | { ok: true; status: number }
  | { ok: false; kind: 'gone' | 'refused' | 'unavailable' | 'rate_limited'; status: number | null; reason: string };

/**
 * Port: one Web Push message to one subscription — encrypted for it (RFC 8291, aes128gcm),
 * signed with the VAPID key (RFC 8292) and POSTed to its endpoint (RFC 8030) over HTTPS, to
 * public addresses only (the webhook SSRF guard; PUSH_ALLOWED_HOSTS for local tests). `topic`
 * lets the push service replace an undelivered earlier copy (a retry never shows twice).
 * Never throws for a remote failure: the outcome says what happened.
 */
export interface WebPushTransport {
  send(sub: WebPushSubscription, payload: string, opts: { topic: string; ttlSeconds: number; urgency: 'normal' | 'high' }): Promise<WebPushOutcome>;
}
