import { ValidationError } from '../errors.js';

// `cursorColumn` and `pageClause` are SQL fragments for repositories (`*-repo.ts`) to build their
// list statements with; services see only `PageQuery` and `Page`.

/** One page of a list: `nextCursor` is null on the last page. */
export type Page<T> = { data: T[]; nextCursor: string | null };

/** `limit` rows after `cursor` (opaque, from a previous page's `nextCursor`). */
export type PageQuery = { limit: number; cursor?: string | null };

type CursorKey = { t: string; id: string };

/**
 * Keyset pagination on `(created_at, id)`, oldest first: stable under inserts and deletes,
 * no OFFSET scans. The cursor carries the last row's timestamp at microsecond precision
 * (a JS Date would lose the microseconds PostgreSQL keeps).
 */
export const decodeCursor = (cursor: string): CursorKey => {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorKey;
    if (typeof v.t === 'string' && typeof v.id === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(v.t) && /^[0-9a-f-]{36}$/i.test(v.id)) return v;
  } catch {
    // fall through
  }
  throw ValidationError.field('cursor', 'is not a cursor returned by this list');
};

/** The opaque cursor of a keyset position (what `decodeCursor` reads back). */
export const encodeCursor = (key: CursorKey): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/** Select this column (as `_cursor_t`) in a paged query: `SELECT c.*, ${cursorColumn('c')}`. */
export const cursorColumn = (alias?: string): string =>
  `to_char(${alias ? `${alias}.` : ''}created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS _cursor_t`;

/**
 * Appends the keyset condition and the ORDER/LIMIT to a query whose WHERE clause is already
 * open. Pushes its parameters onto `params`. Fetches one extra row to know if there is a next page.
 */
export const pageClause = (q: PageQuery, params: unknown[], alias?: string): string => {
  const a = alias ? `${alias}.` : '';
  let sql = '';
  if (q.cursor) {
    const key = decodeCursor(q.cursor);
    params.push(key.t, key.id);
    sql += ` AND (${a}created_at, ${a}id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(q.limit + 1);
  return `${sql} ORDER BY ${a}created_at, ${a}id LIMIT $${params.length}`;
};

/** Turns the rows of a `pageClause` query into a page. */
export const toPage = <R extends { id: string; _cursor_t: string }, T>(rows: R[], q: PageQuery, map: (r: R) => T): Page<T> => {
  const more = rows.length > q.limit;
  const slice = more ? rows.slice(0, q.limit) : rows;
  const last = slice[slice.length - 1];
  return { data: slice.map(map), nextCursor: more && last ? encodeCursor({ t: last._cursor_t, id: last.id }) : null };
};
