/**
 * "Quick start anywhere" (issue 17): scripts/stack.sh, the servers behind `npm start` / `npm test`,
 * works wherever the project is cloned. As root, PostgreSQL runs as `postgres`, who cannot enter a
 * clone under a 0700 home (`initdb: could not access directory …/.data/pg: Permission denied`
 * before); and a deep folder made the server's unix socket path too long to start. Each case runs
 * a copy of the script in its own folder, on free ports (never the project's 54329 / 63799).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/browser.js';

const root = path.resolve(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;

type Ports = { pg: number; redis: number };
type Run = { code: number; stdout: string; stderr: string };

/** `bash scripts/stack.sh <cmd>` in the project, as a newcomer runs it: no DATABASE_URL / REDIS_URL. */
const stack = (project: string, cmd: 'start' | 'stop', ports: Ports) =>
  new Promise<Run>((resolve) => {
    execFile('bash', ['scripts/stack.sh', cmd], {
      cwd: project,
      timeout: 90_000,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SB_PG_PORT: String(ports.pg), SB_REDIS_PORT: String(ports.redis) },
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });

const query = async (url: string, sql: string, params: unknown[] = []) => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
};

const ping = async (url: string) => {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.ping();
  } finally {
    r.disconnect();
  }
};

/** Everything a case created: its folders (and data outside them), stopped and removed afterwards. */
const made: { dir: string; project: string; ports: Ports }[] = [];
const stateDir = '/var/lib/switchboard';
const stateDirExisted = existsSync(stateDir);

/** A clone of the project at `parent/…rel`: just what stack.sh needs (itself). */
const cloneInto = async (dir: string, rel: string) => {
  const project = path.join(dir, rel);
  mkdirSync(path.join(project, 'scripts'), { recursive: true });
  copyFileSync(path.join(root, 'scripts/stack.sh'), path.join(project, 'scripts/stack.sh'));
  const ports = { pg: await freePort(), redis: await freePort() };
  made.push({ dir, project, ports });
  return { project, ports };
};

afterAll(async () => {
  for (const m of made) {
    await stack(m.project, 'stop', m.ports);
    const link = path.join(m.project, '.data/pg');
    if (existsSync(link) && lstatSync(link).isSymbolicLink()) {
      const outside = path.dirname(readlinkSync(link));
      expect(outside).toMatch(/^\/var\/lib\/switchboard\/[0-9a-f]{16}$/);
      rmSync(outside, { recursive: true, force: true });
    }
    rmSync(m.dir, { recursive: true, force: true });
  }
  if (!stateDirExisted && existsSync(stateDir) && readdirSync(stateDir).length === 0) rmdirSync(stateDir);
}, 120_000);

const urls = (ports: Ports) => ({
  db: `postgres://switchboard@127.0.0.1:${ports.pg}/switchboard`,
  redis: `redis://127.0.0.1:${ports.redis}`,
});

describe('scripts/stack.sh: quick start wherever the project is cloned', () => {
  it.skipIf(!isRoot)('as root in a 0700 folder (skipped unless root: otherwise PostgreSQL runs as the user, who can enter it): starts, stops, and the next start reuses the same data', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'sb-home-'));
    chmodSync(home, 0o700); // like /root: `postgres` cannot enter anything below it
    const { project, ports } = await cloneInto(home, 'switchboard');
    const u = urls(ports);

    const first = await stack(project, 'start', ports);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split('\n')).toEqual([`DATABASE_URL=${u.db}`, `REDIS_URL=${u.redis}`, '']);
    // Where the script says the data is, is where it is: a folder `postgres` can reach, that
    // .data/pg leads to (so the next run and `stop` find it again).
    const pgdata = /initialising PostgreSQL in (\S+)/.exec(first.stderr)?.[1];
    expect(pgdata, first.stderr).toBeDefined();
    expect(pgdata!.startsWith(home)).toBe(false);
    expect(realpathSync(path.join(project, '.data/pg'))).toBe(pgdata);
    expect(spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-s', `${pgdata}/PG_VERSION`], { cwd: '/' }).status).toBe(0);
    expect(existsSync(path.join(project, '.data/redis/redis.pid'))).toBe(true);

    await query(u.db, 'CREATE TABLE kept (note text)');
    await query(u.db, 'INSERT INTO kept VALUES ($1)', ['first run']);
    expect(await ping(u.redis)).toBe('PONG');

    const stopped = await stack(project, 'stop', ports);
    expect(stopped.code, stopped.stderr).toBe(0);
    await expect(query(u.db, 'SELECT 1')).rejects.toThrow();
    await expect(ping(u.redis)).rejects.toThrow();

    const again = await stack(project, 'start', ports);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n')).toEqual([`DATABASE_URL=${u.db}`, `REDIS_URL=${u.redis}`, '']);
    expect(again.stderr).not.toMatch(/initialising/);
    expect(await query(u.db, 'SELECT note FROM kept')).toEqual([{ note: 'first run' }]);
    expect(await ping(u.redis)).toBe('PONG');
  }, 120_000);

  it('in a deep folder (the socket path next to the data would pass the 107-byte limit): starts and answers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-deep-'));
    chmodSync(dir, 0o755);
    const { project, ports } = await cloneInto(dir, path.join('d'.repeat(90), 'switchboard'));
    const u = urls(ports);

    const first = await stack(project, 'start', ports);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split('\n')).toEqual([`DATABASE_URL=${u.db}`, `REDIS_URL=${u.redis}`, '']);
    expect(await query(u.db, 'SELECT current_user AS who')).toEqual([{ who: 'switchboard' }]);
    expect(await ping(u.redis)).toBe('PONG');
  }, 120_000);
});
