import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { DATABASE_URL: 'postgres://u@localhost:5432/db', REDIS_URL: 'redis://localhost:6379', SECRET_KEY: 'x'.repeat(32) };

describe('config', () => {
  it('applies defaults', () => {
    const c = loadConfig(base);
    expect(c.PORT).toBe(3000);
    expect(c.PUBLIC_URL).toBe('http://localhost:3000');
    expect(c.REDIS_PREFIX).toBe('{switchboard}');
    expect(c.SCHEDULE_GRACE_MINUTES).toBe(15);
  });

  it('names every missing or bad key', () => {
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://nope' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).issues.join('\n');
      expect(text).toMatch(/^DATABASE_URL:/m);
      expect(text).toMatch(/^REDIS_URL:/m);
      expect(text).toMatch(/^SECRET_KEY:/m);
      expect(text).toMatch(/^PORT:/m);
    }
  });

  it('refuses a short SECRET_KEY and a prefix with a colon', () => {
    expect(() => loadConfig({ ...base, SECRET_KEY: 'short' })).toThrow(/SECRET_KEY: must be at least 32/);
    expect(() => loadConfig({ ...base, REDIS_PREFIX: 'a:b' })).toThrow(/REDIS_PREFIX/);
  });
});
