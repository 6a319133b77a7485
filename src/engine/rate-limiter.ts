import type { Redis } from 'ioredis';

/**
 * A per-key send schedule in Redis (GCRA-style reservation, one Lua script, Redis' own clock), so
 * a per-line sending rate holds across every worker process. `reserve(n)` books the next `n`
 * slots, `1000 / perSecond` ms apart, and says when the first one starts; the caller sends item
 * `i` at `startInMs + i * intervalMs`. Booked slots are never handed out twice. Keys expire when
 * the schedule is idle.
 */
const SCRIPT = `
local key = KEYS[1]
local interval = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', key) or '0')
local start = math.max(now, tat)
local nextTat = start + n * interval
redis.call('SET', key, tostring(nextTat), 'PX', math.ceil(nextTat - now) + 1000)
return tostring(start - now)
`;

export type Reservation = { startInMs: number; intervalMs: number };

export type RateLimiter = {
  /** Books `n` consecutive send slots on schedule `name` paced at `perSecond`. */
  reserve(name: string, perSecond: number, n: number): Promise<Reservation>;
};

export const createRateLimiter = (redis: Redis, prefix: string): RateLimiter => {
  let sha: string | null = null;
  const run = async (key: string, args: string[]): Promise<string> => {
    if (!sha) sha = (await redis.script('LOAD', SCRIPT)) as string;
    try {
      return (await redis.evalsha(sha, 1, key, ...args)) as string;
    } catch (err) {
      if (!String(err).includes('NOSCRIPT')) throw err;
      sha = null; // Redis restarted and lost its script cache
      return (await redis.eval(SCRIPT, 1, key, ...args)) as string;
    }
  };
  return {
    async reserve(name, perSecond, n) {
      const intervalMs = 1000 / perSecond;
      const start = Number(await run(`${prefix}:sendrate:${name}`, [String(intervalMs), String(n)]));
      return { startInMs: Math.max(0, start), intervalMs };
    },
  };
};
