import type { Logger } from '../logger.js';
import { startPoller } from '../poller.js';
import type { SessionsService } from './sessions-service.js';

/**
 * The worker role's expired-session purge: `sessions.purgeExpired()` every `intervalMs`. The
 * first pass comes after a random share of the interval, so workers started together spread
 * out; a pass never overlaps the previous one; with many workers one purges and the others skip
 * (advisory lock in `purgeExpired`). A failure is logged and retried at the next pass.
 */
export const startSessionPurge = (deps: { sessions: Pick<SessionsService, 'purgeExpired'>; intervalMs: number; logger: Logger }) =>
  startPoller({
    intervalMs: deps.intervalMs,
    firstDelayMs: Math.random() * deps.intervalMs,
    logger: deps.logger,
    errorMessage: 'session purge failed; the next pass retries',
    pass: async () => {
      const n = await deps.sessions.purgeExpired();
      if (n > 0) deps.logger.info({ purged: n }, 'expired dashboard sessions purged');
    },
  });
