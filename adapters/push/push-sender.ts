import type { ChannelResult, ChannelSender, DeliveryJob } from '../../src/engine/channel-port.js';
import { ProviderError } from '../../src/errors.js';
import type { PushProvider } from '../../src/push/push-port.js';

/**
 * Channel 'push': sends `PushPayload` ({ title, body, contactId }) to the delivery's address (the
 * contact's push token) through the configured `PushProvider`. Retry contract: the provider's
 * (see `PushProvider`); a delivery without a token fails permanently.
 */
export const createPushSender = (provider: PushProvider): ChannelSender => ({
  channels: ['push'],
  async send(job: DeliveryJob): Promise<ChannelResult> {
    const token = job.address?.trim();
    if (!token) throw new ProviderError('the contact has no push token', { providerCode: 'no_push_token', retryable: false });
    const title = typeof job.payload.title === 'string' ? job.payload.title : 'Switchboard';
    const body = typeof job.payload.body === 'string' ? job.payload.body : '';
    const { providerId } = await provider.send({
      accountId: job.accountId,
      contactId: job.contactId,
      deliveryId: job.deliveryId,
      token,
      title,
      body,
      data: { activationId: job.activationId, deliveryId: job.deliveryId },
    });
    return { status: 'sent', provider: `push:${provider.name}`, providerId };
  },
});
