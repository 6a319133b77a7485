import type { Logger } from '../logger.js';
import type { SessionsService } from './sessions-service.js';

/**
 * The worker role's expired-session purge: `sessions.purgeExpired()` every `intervalMs`. The
 * first pass comes after a random share of the interval, so workers started together spread
 * out; a pass never overlaps the previous one; with many workers one purges and the others skip
 * (advisory lock in `purgeExpired`). A failure is logged and retried at the next pass.
 */
export const startSessionPurge = (deps: { sessions: Pick<SessionsService, 'purgeExpired'>; intervalMs: number; logger: Logger }) => {
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const pass = () => {
    running ??= deps.sessions.purgeExpired()
      .then((n) => { if (n > 0) deps.logger.info({ purged: n }, 'expired dashboard sessions purged'); })
      .catch((err) => deps.logger.warn({ err }, 'session purge failed; the next pass retries'))
      .finally(() => { running = null; });
  };
  const schedule = (ms: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      pass();
      schedule(deps.intervalMs);
    }, ms);
    timer.unref();
  };
  schedule(Math.random() * deps.intervalMs);

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
};
