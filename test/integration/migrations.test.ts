import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationsDir } from '../../src/db/migrate.js';
import { urlFor, withAdminClient } from '../helpers/test-db.js';

const created: string[] = [];
const emptyDatabase = async () => {
  const name = `sbt_mig_${randomBytes(5).toString('hex')}`;
  await withAdminClient((c) => c.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return urlFor(name);
};

describe('migrations', () => {
  afterAll(async () => {
    await withAdminClient(async (c) => {
      for (const n of created) await c.query(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    });
  });

  const files = readdirSync(migrationsDir()).filter((f) => /^\d{13}_.+\.(sql|js|ts)$/.test(f)).map((f) => f.replace(/\.(sql|js|ts)$/, '')).sort();

  it('apply every migration to an empty database, and a second run applies nothing', async () => {
    const url = await emptyDatabase();
    const applied = await migrate(url);
    expect(applied).toEqual(files);
    expect(await migrate(url)).toEqual([]);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const tables = await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      const names = tables.rows.map((r) => r.table_name);
      for (const tbl of ['accounts', 'api_keys', 'carrier_connections', 'lines', 'contacts', 'groups', 'group_members', 'workflows',
        'workflow_versions', 'workflow_conference_lines', 'activations', 'outbox', 'deliveries', 'messages', 'calls']) {
        expect(names).toContain(tbl);
      }
      const recorded = await c.query('SELECT name FROM pgmigrations ORDER BY run_on, id');
      expect(recorded.rows.map((r) => r.name).sort()).toEqual(files);
    } finally {
      await c.end();
    }
  });

  it('is safe when several processes migrate at once (each migration applied once)', async () => {
    const url = await emptyDatabase();
    const runs = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(runs.flat().sort()).toEqual(files);
  });
});
