import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/test-db.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs the real CLI (through tsx) with exactly the given environment. */
export const runCli = (args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

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
});
