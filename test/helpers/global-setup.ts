import { migrate } from '../../src/db/migrate.js';
import { templateName, urlFor, withAdminClient } from './test-db.js';

/**
 * Once per `vitest run`: builds the migrated template database that each test file copies.
 * Safe when several runs start at once (advisory lock) and reuses an up-to-date template.
 */
export default async function setup(): Promise<void> {
  const tpl = templateName();
  await withAdminClient(async (c) => {
    await c.query('SELECT pg_advisory_lock(4242)');
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [tpl]);
      if (exists.rowCount) return;
      const building = `${tpl}_build`;
      await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${building}`);
      await migrate(urlFor(building));
      await c.query(`ALTER DATABASE ${building} RENAME TO ${tpl}`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(4242)');
    }
  });
}
