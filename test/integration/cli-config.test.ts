import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';
import { runCli } from '../helpers/run-cli.js';
import { createTestDatabase } from '../helpers/test-db.js';

describe('CLI configuration errors', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('stops with a non-zero exit naming every missing or bad key', async () => {
    const res = await runCli(['serve'], { DATABASE_URL: 'mysql://nope', PORT: 'eighty', REDIS_URL: process.env.REDIS_URL! });
    expect(res.code).toBe(78);
    expect(res.stderr).toMatch(/invalid configuration/);
    expect(res.stderr).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(res.stderr).toMatch(/PORT:/);
    expect(res.stderr).toMatch(/SECRET_KEY: is required/);
    expect(res.stderr).not.toMatch(/REDIS_URL/);
  });

  it('refuses a short SECRET_KEY', async () => {
    const res = await runCli(['migrate'], { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL!, SECRET_KEY: 'too-short' });
    expect(res.code).toBe(78);
    expect(res.stderr).toMatch(/SECRET_KEY: must be at least 32 characters/);
  });

  it('runs with a good environment', async () => {
    const res = await runCli(['migrate'], { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL!, SECRET_KEY: 's'.repeat(40) });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/database is up to date/);
    expect(res.code).toBe(0);
  });

  it('.env.example documents every configuration key', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...text.matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = Object.keys(configSchema.shape).filter((k) => !documented.has(k));
    expect(missing, 'keys missing from .env.example').toEqual([]);
  });
});
