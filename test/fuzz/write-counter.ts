/**
 * Counts every row inserted, updated or deleted in every table of a test database, with a row
 * trigger that updates a counter table inside the writing transaction: a rolled-back request
 * leaves the counters unchanged, a partial write (something committed before a 4xx) does not.
 * Installed only in the test file's own database copy.
 */
import type { Db } from '../../src/db/db.js';

export type WriteCounts = Map<string, { ins: number; upd: number; del: number }>;

export type WriteCounter = {
  /** Current counters of every table. */
  snapshot(): Promise<WriteCounts>;
  /** Tables whose counters moved between two snapshots, minus the ignored (table, op) pairs. */
  diff(before: WriteCounts, after: WriteCounts): string[];
  /** Total of every counter: a cheap "did anything change" probe. */
  total(): Promise<number>;
};

/**
 * `ignore`: writes that happen legitimately on a rejected request, e.g. `api_keys.upd` (the key's
 * last-used time) or `outbox.upd` (a dispatch of an earlier accepted request finishing late).
 */
export const installWriteCounter = async (db: Db, ignore: string[] = []): Promise<WriteCounter> => {
  await db.query(`
    CREATE TABLE IF NOT EXISTS fuzz_writes (tbl text PRIMARY KEY, ins bigint NOT NULL DEFAULT 0, upd bigint NOT NULL DEFAULT 0, del bigint NOT NULL DEFAULT 0);
    CREATE OR REPLACE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE fuzz_writes SET ins = ins + (TG_OP = 'INSERT')::int, upd = upd + (TG_OP = 'UPDATE')::int, del = del + (TG_OP = 'DELETE')::int
       WHERE tbl = TG_TABLE_NAME;
      RETURN NULL;
    END $$;`);
  const tables = (await db.query(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT IN ('fuzz_writes', 'pgmigrations')`,
  )).rows.map((r) => r.relname as string);
  for (const tbl of tables) {
    await db.query('INSERT INTO fuzz_writes (tbl) VALUES ($1) ON CONFLICT DO NOTHING', [tbl]);
    await db.query(`DROP TRIGGER IF EXISTS fuzz_count ON "${tbl}"; CREATE TRIGGER fuzz_count AFTER INSERT OR UPDATE OR DELETE ON "${tbl}" FOR EACH ROW EXECUTE FUNCTION fuzz_count()`);
  }
  const ignored = new Set(ignore);
  return {
    async snapshot() {
      const rows = (await db.query('SELECT tbl, ins, upd, del FROM fuzz_writes')).rows;
      return new Map(rows.map((r) => [r.tbl as string, { ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) }]));
    },
    diff(before, after) {
      const moved: string[] = [];
      for (const [tbl, a] of after) {
        const b = before.get(tbl) ?? { ins: 0, upd: 0, del: 0 };
        for (const op of ['ins', 'upd', 'del'] as const) {
          if (a[op] !== b[op] && !ignored.has(`${tbl}.${op}`)) moved.push(`${tbl}.${op}+${a[op] - b[op]}`);
        }
      }
      return moved;
    },
    async total() {
      return Number((await db.query('SELECT coalesce(sum(ins + upd + del), 0) AS n FROM fuzz_writes')).rows[0].n);
    },
  };
};
