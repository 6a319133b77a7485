import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

const here = path.dirname(fileURLToPath(import.meta.url));
/** migrations/ at the project root, from src/db (ts) or dist/src/db (js). */
export const migrationsDir = (): string => {
  const candidates = [path.resolve(here, '../../migrations'), path.resolve(here, '../../../migrations')];
  return candidates.find((c) => existsSync(path.join(c, '..', 'package.json'))) ?? candidates[0]!;
};

/**
 * Applies every pending migration in `migrations/` (forward only). Safe to run from many
 * processes at once: node-pg-migrate holds an advisory lock, and later callers wait for it.
 */
export const migrate = async (databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<string[]> => {
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir(),
    direction: 'up',
    migrationsTable: 'pgmigrations',
    advisoryLockMode: 'wait',
    checkOrder: false,
    log,
    logger: { info: log, warn: log, error: log, debug: () => undefined },
    verbose: false,
  } as Parameters<typeof runner>[0]);
  return applied.map((m) => m.name);
};
