/**
 * What a benchmark cost PostgreSQL, from PostgreSQL's own counters over a window: WAL bytes,
 * row versions written per table (inserts, updates, and how many updates were HOT: written
 * without touching any index), index blocks touched per index, and, when the server preloads
 * `pg_stat_statements`, execution time and WAL per statement. Read with `begin()` before the
 * work and `end()` after it; figures cover the benchmark's own database only (except WAL,
 * which is the server's: keep the machine quiet).
 */
import type pg from 'pg';

type Tables = Record<string, { ins: number; upd: number; hot: number }>;
type Indexes = Record<string, number>;
type Statements = Map<string, { calls: number; ms: number; rows: number; walRecords: number; query: string }>;

const TABLES = ['deliveries', 'messages', 'delivery_events', 'activations', 'outbox'];

const snapshot = async (db: pg.Pool) => {
  const lsn = (await db.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn as string;
  const t = await db.query(
    `SELECT relname, n_tup_ins::bigint AS ins, n_tup_upd::bigint AS upd, n_tup_hot_upd::bigint AS hot
       FROM pg_stat_user_tables WHERE relname = ANY($1::text[])`, [TABLES],
  );
  const tables: Tables = Object.fromEntries(t.rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot) }]));
  const i = await db.query(
    `SELECT indexrelname, (idx_blks_hit + idx_blks_read)::bigint AS blks FROM pg_statio_user_indexes WHERE relname = ANY($1::text[])`, [TABLES],
  );
  const indexes: Indexes = Object.fromEntries(i.rows.map((r) => [r.indexrelname, Number(r.blks)]));
  const statements: Statements = new Map();
  try {
    const s = await db.query(
      `SELECT queryid::text AS id, calls::bigint AS calls, total_exec_time AS ms, rows::bigint AS rows, wal_records::bigint AS wal, query
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    for (const r of s.rows) statements.set(r.id, { calls: Number(r.calls), ms: Number(r.ms), rows: Number(r.rows), walRecords: Number(r.wal), query: r.query });
  } catch {
    // pg_stat_statements is not preloaded (the default): no per-statement figures.
  }
  return { lsn, tables, indexes, statements };
};

const tableCounts = async (db: pg.Pool, table: string) => {
  const r = await db.query('SELECT n_tup_ins::bigint AS ins, n_tup_upd::bigint AS upd FROM pg_stat_user_tables WHERE relname = $1', [table]);
  return { ins: Number(r.rows[0]?.ins ?? 0), upd: Number(r.rows[0]?.upd ?? 0) };
};

/** Waits until every backend has reported its table counters (they are flushed when a backend goes idle, within ~10 s). */
const settled = async (db: pg.Pool, expect: { table: string; ins: number; upd: number }, before: Tables) => {
  const b = before[expect.table] ?? { ins: 0, upd: 0, hot: 0 };
  for (let i = 0; i < 60; i++) {
    const s = await tableCounts(db, expect.table);
    if (s.ins - b.ins >= expect.ins && s.upd - b.upd >= expect.upd) return;
    await new Promise((r) => setTimeout(r, 250));
  }
};

export const pgCosts = async (db: pg.Pool) => {
  // The statements view lives in each database that created the extension (the benchmark's own
  // is a throwaway copy); without the library preloaded it stays empty and is skipped.
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => undefined);
  const a = await snapshot(db);
  return {
    /**
     * The window's costs per `perRows` (e.g. per 1,000 deliveries). `expect`: the counts the work
     * must have reached on one table before the counters are read (they lag up to ~10 s).
     */
    async end(perRows: number, per: number, expect: { table: string; ins: number; upd: number }) {
      await settled(db, expect, a.tables);
      const b = await snapshot(db);
      const wal = Number((await db.query('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) AS d', [b.lsn, a.lsn])).rows[0].d);
      const scale = per / perRows;
      const tables = Object.fromEntries(Object.entries(b.tables).map(([name, t]) => {
        const o = a.tables[name] ?? { ins: 0, upd: 0, hot: 0 };
        const upd = t.upd - o.upd;
        return [name, { inserts: t.ins - o.ins, updates: upd, hotUpdates: t.hot - o.hot, hotShare: upd ? Number(((t.hot - o.hot) / upd).toFixed(2)) : null }];
      }));
      const indexes = Object.fromEntries(Object.entries(b.indexes)
        .map(([name, blks]) => [name, Math.round((blks - (a.indexes[name] ?? 0)) * scale)] as const)
        .filter(([, n]) => n > 0)
        .sort((x, y) => y[1] - x[1]));
      const statements = [...b.statements].map(([id, s]) => {
        const o = a.statements.get(id) ?? { calls: 0, ms: 0, rows: 0, walRecords: 0 };
        return { calls: s.calls - o.calls, ms: Math.round(s.ms - o.ms), rows: s.rows - o.rows, walRecords: s.walRecords - o.walRecords, query: s.query.replace(/\s+/g, ' ').slice(0, 90) };
      }).filter((s) => s.calls > 0 && s.ms >= 5).sort((x, y) => y.ms - x.ms).slice(0, 8);
      return {
        walBytesPerUnit: Math.round(wal * scale),
        tables,
        indexBlocksPerUnit: indexes,
        ...(statements.length ? { statements } : {}),
      };
    },
  };
};
