import type { ProviderError } from '../errors.js';

export type DeliveryChannel = 'sms' | 'email' | 'push' | 'voice' | 'conference' | 'pager' | 'webhook';

/**
 * One claimed delivery handed to a channel sender. `payload` is what the planner rendered for
 * this channel (placeholders and fields already filled), e.g. sms `{ body, from, lineId }`,
 * email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`.
 */
export type DeliveryJob = {
  deliveryId: string;
  accountId: string;
  activationId: string;
  actionId: string;
  channel: DeliveryChannel;
  contactId: string | null;
  address: string | null;
  payload: Record<string, unknown>;
  attempt: number;
};

export type ChannelResult = {
  status: 'sent' | 'delivered' | 'failed' | 'skipped';
  provider?: string;
  providerId?: string;
  errorCode?: string;
  errorMessage?: string;
  meta?: Record<string, unknown>;
};

/**
 * Port: sends one delivery on one channel. Throws `ProviderError` for failures: retryable
 * ones are retried with backoff by the delivery worker, `rateLimited` ones slow the queue,
 * others fail the delivery with `providerCode`. Must not be called twice for one delivery
 * (the worker's claim guarantees it).
 */
export interface ChannelSender {
  readonly channels: readonly DeliveryChannel[];
  send(job: DeliveryJob): Promise<ChannelResult>;
  /**
   * Optional: did the carrier accept this delivery since `since` (an earlier attempt that failed
   * with `maybeSent`)? Its result when it did, null when it did not. Without it, such a delivery
   * is retried as is.
   */
  findSent?(job: DeliveryJob, since: Date): Promise<ChannelResult | null>;
}
export type { ProviderError };
