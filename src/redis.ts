import { Redis } from 'ioredis';

/**
 * One ioredis connection. `maxRetriesPerRequest: null` is what BullMQ workers need; commands
 * queue while Redis restarts instead of failing at once.
 */
export const createRedis = (url: string, opts: { forWorker?: boolean } = {}): Redis => {
  const r = new Redis(url, {
    maxRetriesPerRequest: opts.forWorker ? null : 3,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  r.on('error', () => undefined); // reconnects by itself; readiness reports the outage
  return r;
};
