import { afterAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/db.js';
import { createTestDatabase } from '../helpers/test-db.js';

describe('database pool', () => {
  const dbs: Array<{ drop(): Promise<void> }> = [];
  afterAll(async () => { for (const d of dbs) await d.drop(); });

  it('survives a checked-out client losing its connection between two queries (PostgreSQL stopped mid-transaction)', async () => {
    const tdb = await createTestDatabase();
    dbs.push(tdb);
    const pool = createPool(tdb.url, 2);
    const admin = createPool(tdb.url, 1);
    const unhandled: unknown[] = [];
    const onUncaught = (e: unknown) => unhandled.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 300)); // the socket closes while nobody is querying
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      expect(unhandled).toEqual([]);
      expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1); // the pool carries on
    } finally {
      process.off('uncaughtException', onUncaught);
      await Promise.all([pool.end(), admin.end()]);
    }
  });
});
