import { parse } from 'csv-parse/sync';
import { AppError, ValidationError, zodIssues } from '../errors.js';
import { contactImportRowSchema, type ContactImportRow } from './contact-types.js';

/** The most rows one import request may carry (bounded so one transaction stays reasonable). */
export const MAX_IMPORT_ROWS = 20_000;

/**
 * One bad row: `line` is the line of the CSV file (the header is line 1) or, for JSON, the
 * 1-based position in the array; `field` names the column/property.
 */
export type ImportRowError = { line: number; field: string; message: string };
export type ParsedImportRow = { line: number; row: ContactImportRow };
export type ParsedImport = { rows: ParsedImportRow[]; errors: ImportRowError[]; total: number };

const normKey = (k: string) => k.trim().toLowerCase().replace(/[\s_-]/g, '');
const COLUMNS: Record<string, string> = {
  name: 'name', fullname: 'name', firstname: 'firstName', lastname: 'lastName',
  phone: 'phone', phonenumber: 'phone', mobile: 'phone',
  email: 'email', emailaddress: 'email', pager: 'pagerNumber', pagernumber: 'pagerNumber', pushtoken: 'pushToken',
  timezone: 'timezone', tz: 'timezone', onduty: 'onDuty', optedoutchannels: 'optedOutChannels', optedout: 'optedOutChannels',
  donotcontact: 'doNotContact', status: 'status', groups: 'groups',
};
const BOOLS: Record<string, boolean> = { true: true, yes: true, y: true, '1': true, false: false, no: false, n: false, '0': false };

/** Maps a header cell to a contact field, `custom:<name>` for `custom.<name>` columns, or null. */
const columnFor = (header: string): string | null => {
  const m = /^\s*(?:custom|custom_fields|customfields)[.:](.+)$/i.exec(header);
  if (m) return `custom:${m[1]!.trim()}`;
  return COLUMNS[normKey(header)] ?? null;
};

const csvRowToObject = (cols: Array<string | null>, cells: string[], line: number, errors: ImportRowError[]): Record<string, unknown> | null => {
  const out: Record<string, unknown> = {};
  const custom: Record<string, string> = {};
  let first = '';
  let last = '';
  let ok = true;
  cols.forEach((col, i) => {
    const v = (cells[i] ?? '').trim();
    if (!col || v === '') return; // a blank cell leaves the field as it is
    if (col.startsWith('custom:')) custom[col.slice(7)] = v;
    else if (col === 'firstName') first = v;
    else if (col === 'lastName') last = v;
    else if (col === 'onDuty' || col === 'doNotContact') {
      const b = BOOLS[v.toLowerCase()];
      if (b === undefined) {
        errors.push({ line, field: col, message: 'must be true/false, yes/no or 1/0' });
        ok = false;
      } else out[col] = b;
    } else if (col === 'optedOutChannels') out[col] = v.split(/[;|,]/).map((s) => s.trim().toLowerCase()).filter(Boolean);
    else if (col === 'groups') out[col] = v.split(/[;|]/).map((s) => s.trim()).filter(Boolean);
    else out[col] = v;
  });
  if (out.name === undefined && (first || last)) out.name = `${first} ${last}`.trim();
  if (Object.keys(custom).length > 0) out.customFields = custom;
  return ok ? out : null;
};

/** Parses CSV text: a header row, then one contact per record. Throws 400 for an unusable file. */
export const parseContactsCsv = (text: string): ParsedImport => {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as typeof records;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new AppError('invalid_csv', `the CSV could not be read${line ? ` (line ${line})` : ''}: ${(err as Error).message}`, {
      status: 400, details: [{ line: line ?? 0, field: '(file)', message: (err as Error).message }],
    });
  }
  const [header, ...data] = records;
  if (!header) throw new AppError('invalid_csv', 'the CSV is empty: expected a header row', { status: 400, details: [{ line: 1, field: '(header)', message: 'missing' }] });
  const cols = header.record.map(columnFor);
  const unknown = header.record.filter((_, i) => cols[i] === null);
  if (unknown.length > 0) {
    throw new AppError('invalid_csv', `unknown column(s): ${unknown.join(', ')} (use custom.<name> for custom fields)`, {
      status: 400, details: unknown.map((u) => ({ line: 1, field: u, message: 'unknown column' })),
    });
  }
  if (!cols.includes('name') && !cols.includes('firstName') && !cols.includes('lastName')) {
    throw new AppError('invalid_csv', 'the CSV needs a name column (or first_name / last_name)', { status: 400, details: [{ line: 1, field: 'name', message: 'missing column' }] });
  }
  checkSize(data.length);
  const errors: ImportRowError[] = [];
  const objects: Array<{ line: number; value: unknown }> = [];
  for (const r of data) {
    const line = r.info.lines;
    if (r.record.length > cols.length) {
      errors.push({ line, field: '(row)', message: `has ${r.record.length} cells, the header has ${cols.length}` });
      continue;
    }
    const obj = csvRowToObject(cols, r.record, line, errors);
    if (obj) objects.push({ line, value: obj });
  }
  return validateRows(objects, errors, data.length);
};

/** Parses a JSON array of contacts (`groups` may list group names). */
export const parseContactsJson = (body: unknown): ParsedImport => {
  const arr = Array.isArray(body) ? body : body && typeof body === 'object' && Array.isArray((body as { contacts?: unknown }).contacts) ? (body as { contacts: unknown[] }).contacts : null;
  if (!arr) throw ValidationError.field('(body)', 'expected a JSON array of contacts, or CSV with Content-Type text/csv');
  checkSize(arr.length);
  return validateRows(arr.map((value, i) => ({ line: i + 1, value })), [], arr.length);
};

const checkSize = (n: number) => {
  if (n === 0) throw ValidationError.field('(body)', 'no contacts to import');
  if (n > MAX_IMPORT_ROWS) throw ValidationError.field('(body)', `at most ${MAX_IMPORT_ROWS} rows per import (got ${n}); split the file`);
};

/** Zod per row, then phone numbers repeated within the file (the later line is the bad one). */
const validateRows = (objects: Array<{ line: number; value: unknown }>, errors: ImportRowError[], total: number): ParsedImport => {
  const rows: ParsedImportRow[] = [];
  const phones = new Map<string, number>();
  for (const { line, value } of objects) {
    const parsed = contactImportRowSchema.safeParse(value);
    if (!parsed.success) {
      for (const i of zodIssues(parsed.error)) errors.push({ line, field: i.path, message: i.message });
      continue;
    }
    const phone = parsed.data.phone;
    if (phone) {
      const seen = phones.get(phone);
      if (seen !== undefined) {
        errors.push({ line, field: 'phone', message: `repeats line ${seen}` });
        continue;
      }
      phones.set(phone, line);
    }
    rows.push({ line, row: parsed.data });
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors, total };
};
