import type { Redis } from 'ioredis';
import { sha256Hex } from '../crypto.js';
import { UnauthorizedError } from '../errors.js';
import type { User, UsersService } from './users-service.js';

export type LoginLockoutDeps = {
  /** Shared by every web process, so a lock set by one holds in all. */
  redis: Pick<Redis, 'eval' | 'del'>;
  redisPrefix: string;
  users: Pick<UsersService, 'verifyLogin'>;
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
};

// Counts the attempt before the password is checked, so parallel guesses cannot all slip in
// before the lock is set. Returns 0 when the e-mail is locked (the attempt is not checked).
const ATTEMPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 0
end
return n`;

/**
 * Sign-in with a per-e-mail lockout that does not depend on the client's address: after
 * `maxFailures` failed sign-ins for one e-mail within `windowSeconds` (from any address, any
 * process), that e-mail is locked for `lockSeconds` and every attempt on it — right password
 * included — gets the same 401 as a wrong password, without the password being checked.
 * Unknown e-mails are counted and locked alike, so the lockout reveals nothing about which
 * e-mails exist. A successful sign-in clears the count. Redis unreachable: sign-in still works
 * (the per-address rate limit behaves the same way).
 */
export const createLoginLockout = (deps: LoginLockoutDeps) => {
  const keys = (email: string) => {
    const id = sha256Hex(email.trim().toLowerCase());
    return [`${deps.redisPrefix}:login-fail:${id}`, `${deps.redisPrefix}:login-lock:${id}`] as const;
  };

  const attempt = async (failKey: string, lockKey: string): Promise<boolean> => {
    try {
      const n = await deps.redis.eval(ATTEMPT, 2, failKey, lockKey, deps.windowSeconds * 1000, deps.maxFailures, deps.lockSeconds * 1000);
      return Number(n) > 0;
    } catch {
      return true;
    }
  };

  /** Checks e-mail and password; a locked e-mail fails exactly like a wrong password (401). */
  const verifyLogin = async (email: string, password: string): Promise<User> => {
    const [failKey, lockKey] = keys(email);
    if (!(await attempt(failKey, lockKey))) throw new UnauthorizedError('wrong e-mail or password');
    const user = await deps.users.verifyLogin(email, password);
    await deps.redis.del(failKey).catch(() => undefined);
    return user;
  };

  return { verifyLogin };
};

export type LoginLockout = ReturnType<typeof createLoginLockout>;
