import type { PushCapability, PushContact } from '../delivery/notification-extras-port.js';

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
