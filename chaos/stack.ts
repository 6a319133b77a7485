/**
 * The chaos run's own PostgreSQL and Redis, under ./.data/chaos on their own ports (never the
 * test or quick-start instances), so scenarios may kill and restart them. Loopback only.
 * Redis runs without persistence (`--save "" --appendonly no`): a restart loses every key, as a
 * failover to an empty replica would. Same binaries and layout as scripts/stack.sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type ChaosStack = {
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  stopPostgres(mode?: 'immediate' | 'fast'): void;
  startPostgres(): void;
  /** SIGKILL-style restart of Redis with an empty dataset. */
  restartRedis(downMs?: number): Promise<void>;
  stopRedis(): void;
  startRedis(): void;
  stop(): void;
};

const isRoot = () => process.getuid?.() === 0;
const asPg = (cmd: string, args: string[]) => (isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const : [cmd, args] as const);
const run = (cmd: string, args: string[], opts: { quiet?: boolean } = {}) => {
  const r = spawnSync(cmd, args, { stdio: opts.quiet ? 'ignore' : ['ignore', 'ignore', 'inherit'] });
  return r.status === 0;
};
const pgBin = (): string => {
  const dirs = readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`).filter((d) => existsSync(`${d}/initdb`)).sort().reverse();
  if (!dirs[0]) throw new Error('PostgreSQL binaries not found: run scripts/stack.sh once (it installs them)');
  return dirs[0];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const startChaosStack = (root: string, ports = { pg: 54339, redis: 63809 }): ChaosStack => {
  const dataDir = path.join(root, '.data', 'chaos');
  const pgData = path.join(dataDir, 'pg');
  const redisDir = path.join(dataDir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const bin = pgBin();
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    mkdirSync(pgData, { recursive: true });
    if (isRoot()) {
      spawnSync('id', ['-u', 'postgres']).status === 0 || run('useradd', ['--system', '--no-create-home', 'postgres']);
      run('chown', ['-R', 'postgres', dataDir]);
    }
    const [c, a] = asPg(`${bin}/initdb`, ['-D', pgData, '-U', 'switchboard', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    if (!run(c, [...a], { quiet: true })) throw new Error('initdb failed');
    writeFileSync(path.join(pgData, 'postgresql.auto.conf'), [
      `listen_addresses = '127.0.0.1'`, `port = ${ports.pg}`, `unix_socket_directories = '${pgData}'`, 'max_connections = 200',
      'shared_buffers = 128MB', 'fsync = on', 'synchronous_commit = on',
    ].join('\n') + '\n');
    if (isRoot()) run('chown', ['-R', 'postgres', pgData]);
  }
  const startPostgres = () => {
    const [c, a] = asPg(`${bin}/pg_ctl`, ['-D', pgData, '-l', path.join(pgData, 'server.log'), '-w', '-t', '60', 'start']);
    const [sc, sa] = asPg(`${bin}/pg_ctl`, ['-D', pgData, 'status']);
    if (!run(sc, [...sa], { quiet: true }) && !run(c, [...a], { quiet: true })) throw new Error(`PostgreSQL did not start (see ${pgData}/server.log)`);
  };
  const stopPostgres = (mode: 'immediate' | 'fast' = 'immediate') => {
    const [c, a] = asPg(`${bin}/pg_ctl`, ['-D', pgData, '-m', mode, '-w', 'stop']);
    run(c, [...a], { quiet: true });
  };
  const redisUp = () => run('redis-cli', ['-p', String(ports.redis), 'ping'], { quiet: true });
  const startRedis = () => {
    if (redisUp()) return;
    execFileSync('redis-server', ['--bind', '127.0.0.1', '--port', String(ports.redis), '--dir', redisDir, '--daemonize', 'yes',
      '--logfile', path.join(redisDir, 'redis.log'), '--pidfile', path.join(redisDir, 'redis.pid'), '--save', '', '--appendonly', 'no',
      '--maxmemory-policy', 'noeviction']);
    for (let i = 0; i < 80 && !redisUp(); i++) spawnSync('sleep', ['0.1']);
  };
  const stopRedis = () => void run('redis-cli', ['-p', String(ports.redis), 'shutdown', 'nosave'], { quiet: true });

  startPostgres();
  startRedis();
  const createDb = spawnSync(`${bin}/psql`, ['-h', '127.0.0.1', '-p', String(ports.pg), '-U', 'switchboard', '-d', 'postgres', '-tAc', "select 1 from pg_database where datname='chaos'"], { encoding: 'utf8' });
  if (!createDb.stdout.includes('1')) run(`${bin}/createdb`, ['-h', '127.0.0.1', '-p', String(ports.pg), '-U', 'switchboard', 'chaos']);

  return {
    databaseUrl: `postgres://switchboard@127.0.0.1:${ports.pg}/chaos`,
    redisUrl: `redis://127.0.0.1:${ports.redis}`,
    dataDir,
    startPostgres,
    stopPostgres,
    stopRedis,
    startRedis,
    async restartRedis(downMs = 1000) {
      stopRedis();
      await sleep(downMs);
      startRedis();
    },
    stop() {
      stopRedis();
      stopPostgres('fast');
    },
  };
};

/** Drops and recreates the chaos database (a clean slate per scenario). */
export const resetDatabase = (ports = { pg: 54339 }) => {
  const bin = pgBin();
  const psql = (sql: string) => run(`${bin}/psql`, ['-h', '127.0.0.1', '-p', String(ports.pg), '-U', 'switchboard', '-d', 'postgres', '-qc', sql], { quiet: true });
  psql('DROP DATABASE IF EXISTS chaos WITH (FORCE)');
  psql('CREATE DATABASE chaos');
};
