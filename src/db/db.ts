import pg from 'pg';
import { AppError, ConflictError } from '../errors.js';

export type Db = pg.Pool;
export type Queryable = pg.Pool | pg.PoolClient;

// Return bigint counts as numbers (counts here never exceed 2^53) and keep timestamps as Date.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export const createPool = (url: string, max = 20): Db => {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection (PostgreSQL restart) must not crash the process.
  pool.on('error', () => undefined);
  // A client checked out for a transaction that loses its connection between two queries emits
  // 'error' on itself; unhandled, that would kill the process (seen with PostgreSQL stopped under
  // a worker). The pending or next query rejects anyway, and the transaction is rolled back.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
};

/** Runs `fn` in one transaction; rolls back on any error. */
export const withTransaction = async <T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
};

type PgError = { code?: string; constraint?: string; detail?: string };

/** Maps driver errors to domain errors: unique violation -> ConflictError naming the constraint. */
export const mapPgError = (err: unknown, messages: Record<string, string> = {}): never => {
  const e = err as PgError;
  if (e && e.code === '23505') {
    const message = (e.constraint && messages[e.constraint]) || 'already exists';
    throw new ConflictError(message, 'conflict', { constraint: e.constraint ?? null });
  }
  if (e && e.code === '23503') {
    throw new AppError('invalid_reference', 'a referenced object does not exist', { status: 400, cause: err });
  }
  if (e && e.code === '22P02') {
    throw new AppError('invalid_input', 'malformed identifier or value', { status: 400, cause: err });
  }
  throw err;
};

export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/**
 * A savepoint in the caller's transaction, set on the first `mark()`: `rollback()` then undoes only
 * what ran after it and `release()` keeps it; both do nothing when it was never set. Transaction
 * control, like withTransaction (`name` is a code constant, never input).
 */
export const lazySavepoint = (tx: pg.PoolClient, name: string) => {
  let set = false;
  return {
    async mark(): Promise<void> {
      if (set) return;
      await tx.query(`SAVEPOINT ${name}`);
      set = true;
    },
    async release(): Promise<void> { if (set) await tx.query(`RELEASE SAVEPOINT ${name}`); },
    async rollback(): Promise<void> { if (set) await tx.query(`ROLLBACK TO SAVEPOINT ${name}`); },
  };
};

/** True when PostgreSQL answers a trivial query (readiness checks). */
export const ping = (q: Queryable): Promise<boolean> => q.query('SELECT 1').then(() => true, () => false);
