import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { migrationsDir } from '../../src/db/migrate.js';

/** The template database name: changes whenever a migration changes, so stale templates are never used. */
export const templateName = (): string => {
  const dir = migrationsDir();
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(path.join(dir, f)));
  return `sbtpl_${h.digest('hex').slice(0, 12)}`;
};

export const baseUrl = (): string => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through `npm test` (scripts/quickstart.sh test)');
  return url;
};

export const urlFor = (db: string): string => {
  const u = new URL(baseUrl());
  u.pathname = `/${db}`;
  return u.toString();
};

const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: urlFor('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

/** A fresh, migrated database for one test file (a copy of the template: ~100 ms). */
export const createTestDatabase = async (): Promise<{ url: string; name: string; drop(): Promise<void> }> => {
  const name = `sbt_${randomBytes(6).toString('hex')}`;
  const tpl = templateName();
  await admin(async (c) => {
    for (let i = 0; ; i++) {
      try {
        await c.query(`CREATE DATABASE ${name} TEMPLATE ${tpl}`);
        return;
      } catch (err) {
        // Another file is copying the template at the same instant: PostgreSQL refuses, try again.
        if (i < 20 && /being accessed by other users/.test(String(err))) {
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
          continue;
        }
        throw err;
      }
    }
  });
  return {
    url: urlFor(name),
    name,
    drop: () => admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); }),
  };
};

export { admin as withAdminClient };
