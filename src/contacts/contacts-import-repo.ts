import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { Queryable } from '../db/db.js';
import { AppError } from '../errors.js';
import type { ContactChangesHook, ContactState } from '../events/contact-events.js';
import type { ImportRowError, ParsedImport, ParsedImportRow } from './contacts-import.js';

export type ImportOptions = {
  partial: boolean;
  /**
   * Raise contact.status_changed / contact.field_changed for every existing contact the import
   * changed (default true; new contacts raise none, as with POST /v1/contacts). False: a silent
   * load (e.g. a first migration) that triggers no rule or sequence exit.
   */
  events?: boolean;
};

/** What an import did. `errors` lists every bad row (skipped with `partial`, else nothing is written). */
export type ImportResult = { total: number; created: number; updated: number; skipped: number; errors: ImportRowError[] };

const CHUNK = 5_000;
/** How many row errors an error body lists at most (the count is always exact). */
export const MAX_LISTED_ERRORS = 1_000;

/** JSON key -> column, for both the insert and the "only what the row gives" update. */
const FIELDS: Array<[string, string, 'text' | 'bool' | 'array' | 'json']> = [
  ['name', 'name', 'text'], ['phone', 'phone', 'text'], ['email', 'email', 'text'], ['pagerNumber', 'pager_number', 'text'],
  ['pushToken', 'push_token', 'text'], ['timezone', 'timezone', 'text'], ['onDuty', 'on_duty', 'bool'],
  ['optedOutChannels', 'opted_out_channels', 'array'], ['doNotContact', 'do_not_contact', 'bool'], ['status', 'status', 'text'],
];
const expr = (key: string, kind: string) =>
  kind === 'bool' ? `(r->>'${key}')::boolean` : kind === 'array' ? `ARRAY(SELECT jsonb_array_elements_text(r->'${key}'))` : `r->>'${key}'`;

const INSERT = `
  INSERT INTO contacts (id, account_id, name, phone, email, pager_number, push_token, timezone, on_duty, opted_out_channels, do_not_contact, status, custom_fields)
  SELECT (r->>'id')::uuid, $1, r->>'name', r->>'phone', r->>'email', r->>'pagerNumber', r->>'pushToken', r->>'timezone',
         COALESCE((r->>'onDuty')::boolean, true),
         CASE WHEN r ? 'optedOutChannels' THEN ARRAY(SELECT jsonb_array_elements_text(r->'optedOutChannels')) ELSE '{}' END,
         COALESCE((r->>'doNotContact')::boolean, false), COALESCE(r->>'status', 'active'), COALESCE(r->'customFields', '{}')
    FROM jsonb_array_elements($2::jsonb) r
  ON CONFLICT (account_id, phone) WHERE phone IS NOT NULL DO NOTHING
  RETURNING id`;

// `old` (the rows before, locked) feeds the change events: a CTE sees the rows as they were.
const UPDATE = `
  WITH old AS (
    SELECT c.* FROM contacts c JOIN jsonb_array_elements($2::jsonb) r ON c.phone = r->>'phone' WHERE c.account_id = $1 FOR UPDATE OF c
  )
  UPDATE contacts c SET
    ${FIELDS.filter(([k]) => k !== 'phone').map(([k, col, kind]) => `${col} = CASE WHEN r ? '${k}' THEN ${expr(k, kind)} ELSE c.${col} END`).join(',\n    ')},
    custom_fields = c.custom_fields || COALESCE(r->'customFields', '{}'),
    updated_at = now()
    FROM jsonb_array_elements($2::jsonb) r, old o
   WHERE c.account_id = $1 AND c.phone = r->>'phone' AND o.id = c.id
  RETURNING c.*, to_jsonb(o) AS before`;

/** What contact events compare (src/events/contact-events.ts), from a contacts row. */
const stateOf = (r: Record<string, any>): ContactState => ({
  name: r.name, email: r.email, phone: r.phone, pagerNumber: r.pager_number, timezone: r.timezone, onDuty: r.on_duty,
  doNotContact: r.do_not_contact, status: r.status, customFields: r.custom_fields,
});

/** Resolves `groups` names to ids; unknown names become row errors. */
const resolveGroups = async (tx: PoolClient, accountId: string, rows: ParsedImportRow[], errors: ImportRowError[]) => {
  const names = [...new Set(rows.flatMap((r) => r.row.groups ?? []).map((n) => n.toLowerCase()))];
  const byName = new Map<string, string>();
  if (names.length > 0) {
    const res = await tx.query('SELECT id, lower(name) AS name FROM groups WHERE account_id = $1 AND lower(name) = ANY($2)', [accountId, names]);
    for (const r of res.rows) byName.set(r.name, r.id);
  }
  const good: Array<ParsedImportRow & { groupIds: string[] }> = [];
  for (const r of rows) {
    const missing = (r.row.groups ?? []).filter((g) => !byName.has(g.toLowerCase()));
    if (missing.length > 0) errors.push({ line: r.line, field: 'groups', message: `no such group: ${missing.join(', ')}` });
    else good.push({ ...r, groupIds: [...new Set((r.row.groups ?? []).map((g) => byName.get(g.toLowerCase())!))] });
  }
  return good;
};

/** Writes a parsed import inside the caller's transaction (see ContactsService.importContacts). */
export const writeImport = async (
  tx: PoolClient, accountId: string, parsed: ParsedImport, opts: ImportOptions, onChanges?: ContactChangesHook,
): Promise<ImportResult> => {
  const errors = [...parsed.errors];
  const rows = await resolveGroups(tx, accountId, parsed.rows, errors);
  errors.sort((a, b) => a.line - b.line);
  const failedLines = new Set(errors.map((e) => e.line)).size;
  if (errors.length > 0 && !opts.partial) {
    throw new AppError('import_rejected', `${failedLines} of ${parsed.total} rows are invalid; nothing was imported (fix them, or send ?partial=true to import the valid rows)`, {
      status: 400, details: errors.slice(0, MAX_LISTED_ERRORS),
    });
  }
  // One import per account at a time: concurrent upserts of the same phones would otherwise deadlock.
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), 7001)', [accountId]);
  let created = 0;
  let updated = 0;
  const members: Array<[string, string]> = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK).map((r) => ({ ...r, id: randomUUID() }));
    const payload = chunk.map(({ row, id }) => {
      const { groups: _g, ...rest } = row;
      return { ...rest, id };
    });
    const ins = await tx.query(INSERT, [accountId, JSON.stringify(payload)]);
    const inserted = new Set<string>(ins.rows.map((r) => r.id));
    created += inserted.size;
    const existing = payload.filter((p) => !inserted.has(p.id) && p.phone);
    const idByPhone = new Map<string, string>();
    if (existing.length > 0) {
      const upd = await tx.query(UPDATE, [accountId, JSON.stringify(existing)]);
      updated += upd.rowCount ?? 0;
      for (const r of upd.rows) idByPhone.set(r.phone, r.id);
      if (onChanges && opts.events !== false) {
        // Batched per chunk: one insert for all the chunk's events (only real changes raise any).
        await onChanges(tx, upd.rows.map((r) => ({ accountId, contactId: r.id, before: stateOf(r.before), after: stateOf(r) })));
      }
    }
    for (const r of chunk) {
      const contactId = inserted.has(r.id) ? r.id : r.row.phone ? idByPhone.get(r.row.phone) : undefined;
      if (contactId) for (const g of r.groupIds) members.push([g, contactId]);
    }
  }
  for (let i = 0; i < members.length; i += CHUNK * 2) {
    const part = members.slice(i, i + CHUNK * 2);
    await tx.query(
      `INSERT INTO group_members (group_id, contact_id, account_id)
       SELECT g, c, $1 FROM unnest($2::uuid[], $3::uuid[]) AS m(g, c) ON CONFLICT DO NOTHING`,
      [accountId, part.map((m) => m[0]), part.map((m) => m[1])],
    );
  }
  return { total: parsed.total, created, updated, skipped: failedLines, errors: errors.slice(0, MAX_LISTED_ERRORS) };
};

/**
 * Refreshes PostgreSQL's statistics of the tables a large import just grew. Until autovacuum
 * analyzes them (up to a minute or more later), the planner believes an account has the few
 * contacts it had before, and joins a 10,000-person group row by row: an IVR code step's
 * audience count took 370 ms of CPU per call in bench:latency until then. ANALYZE samples at
 * most 30,000 rows per table and cannot run twice at once on a table (the second waits), so it
 * is asked for only after imports of `ANALYZE_AFTER_ROWS` rows or more, after COMMIT.
 */
export const refreshContactStatistics = async (q: Queryable): Promise<void> => {
  await q.query('ANALYZE contacts, group_members');
};

/** Rows written by one import from which the contact statistics are refreshed. */
export const ANALYZE_AFTER_ROWS = 1000;
