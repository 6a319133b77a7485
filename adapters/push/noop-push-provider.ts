import { ProviderError } from '../../src/errors.js';
import type { PushProvider } from '../../src/push/push-port.js';

/**
 * The default push provider (PUSH_PROVIDER=none): no contact can receive a push, so the planner
 * sends SMS instead. `send` is never expected to be called; if it is, the delivery fails
 * permanently with `push_not_configured` rather than pretending to have sent.
 */
export const createNoopPushProvider = (): PushProvider => ({
  name: 'none',
  canPush: () => false,
  async send() {
    throw new ProviderError('push notifications are not configured (PUSH_PROVIDER=none)', { providerCode: 'push_not_configured', retryable: false });
  },
});
