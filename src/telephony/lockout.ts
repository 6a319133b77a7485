import type { Redis } from 'ioredis';

/**
 * Code-guessing lockout, shared by every web process through Redis: misses are counted per
 * caller (per account) and per line within a sliding-ish window (counter with TTL); reaching
 * the limit locks that caller or line for `lockSeconds`. While locked, every code is refused
 * the same way as a wrong one, so a guesser cannot tell a right code from a locked door.
 *
 * Errors: Redis failures and timeouts throw (the call flow answers with an apology).
 */
export type LockoutSettings = {
  maxMisses: number;
  lineMaxMisses: number;
  windowSeconds: number;
  lockSeconds: number;
  /** Redis answers slower than this count as a failure. */
  timeoutMs?: number;
};

export type LockoutSubject = { accountId: string; lineId: string; caller: string };

export type Lockout = {
  isLocked(s: LockoutSubject): Promise<boolean>;
  /** Counts one miss; returns true when the caller or the line is now locked. */
  recordMiss(s: LockoutSubject): Promise<boolean>;
};

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });

export const createLockout = (deps: { redis: Redis; prefix: string; settings: LockoutSettings }): Lockout => {
  const s = deps.settings;
  const ms = s.timeoutMs ?? 1500;
  const keys = (x: LockoutSubject) => {
    const caller = `${x.accountId}:${x.caller}`;
    return {
      callerMiss: `${deps.prefix}:lockout:miss:caller:${caller}`,
      lineMiss: `${deps.prefix}:lockout:miss:line:${x.lineId}`,
      callerLock: `${deps.prefix}:lockout:lock:caller:${caller}`,
      lineLock: `${deps.prefix}:lockout:lock:line:${x.lineId}`,
    };
  };
  return {
    async isLocked(x) {
      const k = keys(x);
      const [a, b] = await withTimeout(deps.redis.mget(k.callerLock, k.lineLock), ms);
      return Boolean(a) || Boolean(b);
    },
    async recordMiss(x) {
      const k = keys(x);
      const res = await withTimeout(
        deps.redis.multi()
          .incr(k.callerMiss).expire(k.callerMiss, s.windowSeconds, 'NX')
          .incr(k.lineMiss).expire(k.lineMiss, s.windowSeconds, 'NX')
          .exec(),
        ms,
      );
      if (!res) throw new Error('lockout transaction aborted');
      const callerMisses = Number(res[0]?.[1] ?? 0);
      const lineMisses = Number(res[2]?.[1] ?? 0);
      const lock = deps.redis.multi();
      let locked = false;
      if (callerMisses >= s.maxMisses) { lock.set(k.callerLock, '1', 'EX', s.lockSeconds).del(k.callerMiss); locked = true; }
      if (lineMisses >= s.lineMaxMisses) { lock.set(k.lineLock, '1', 'EX', s.lockSeconds).del(k.lineMiss); locked = true; }
      if (locked) await withTimeout(lock.exec(), ms);
      return locked;
    },
  };
};
