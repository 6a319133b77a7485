import { isUuid, type Db } from '../db/db.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../errors.js';
import { E164_HINT, normalizePhone } from '../contacts/phone.js';
import type { EnrollmentService, EnrollResult } from './enrollment-service.js';
import type { EnrollmentTargetsRepo } from './enrollment-targets-repo.js';

/**
 * Enrolling many contacts named another way than by id: every member of a group or contact list,
 * or a CSV of contact ids and/or phone numbers (one a line, first column; a header line such as
 * `phone` or `contact_id` is skipped). All or nothing: one unknown row is a 400 naming its line
 * (`csv.3`), and nobody is enrolled.
 */
export type EnrollTarget = { groupId: string } | { listId: string } | { csv: string };
export type EnrollmentTargetsDeps = {
  db: Db;
  enrollments: Pick<EnrollmentService, 'enroll'>;
  targets: Pick<EnrollmentTargetsRepo, 'contactIdsByPhone' | 'existingContactIds' | 'groupMemberIds' | 'listMemberIds'>;
};

export const MAX_CSV_ROWS = 10_000;

/** The first cell of each non-empty line, with its 1-based line number. Pure. */
export const csvCells = (csv: string): Array<{ line: number; value: string }> =>
  csv.split(/\r\n|\n|\r/).map((raw, i) => {
    const first = raw.split(/[,;\t]/)[0] ?? '';
    return { line: i + 1, value: first.trim().replace(/^"(.*)"$/, '$1').trim() };
  }).filter((c) => c.value !== '');

const isHeader = (v: string) => /^[A-Za-z _-]+$/.test(v);

export const createEnrollmentTargets = (deps: EnrollmentTargetsDeps) => {
  const { db } = deps;

  const fromCsv = async (accountId: string, csv: string): Promise<string[]> => {
    let cells = csvCells(csv);
    if (cells[0] && isHeader(cells[0].value)) cells = cells.slice(1);
    if (cells.length === 0) throw ValidationError.field('csv', 'has no rows: give one contact id or phone number a line');
    if (cells.length > MAX_CSV_ROWS) throw ValidationError.field('csv', `has ${cells.length} rows; at most ${MAX_CSV_ROWS}`);
    const issues: FieldIssue[] = [];
    const phones = new Map<number, string>();
    for (const c of cells) {
      if (isUuid(c.value)) continue;
      const p = normalizePhone(c.value);
      if (p) phones.set(c.line, p);
      else issues.push({ path: `csv.${c.line}`, message: `line ${c.line}: "${c.value.slice(0, 40)}" is neither a contact id nor a phone number (${E164_HINT})` });
    }
    const [byPhone, known] = await Promise.all([
      deps.targets.contactIdsByPhone(db, accountId, [...new Set(phones.values())]),
      deps.targets.existingContactIds(
        db, accountId, cells.filter((c) => isUuid(c.value)).map((c) => c.value.toLowerCase()),
      ),
    ]);
    const ids: string[] = [];
    for (const c of cells) {
      const phone = phones.get(c.line);
      const id = phone ? byPhone.get(phone) : isUuid(c.value) && known.has(c.value.toLowerCase()) ? c.value.toLowerCase() : undefined;
      if (id) ids.push(id);
      else if (phone || isUuid(c.value)) issues.push({ path: `csv.${c.line}`, message: `line ${c.line}: no contact in this account has ${phone ? `the phone ${phone}` : `the id ${c.value}`}` });
    }
    if (issues.length) throw new ValidationError(`${issues.length} CSV row(s) name no contact: nobody was enrolled`, issues.slice(0, 50));
    return [...new Set(ids)];
  };

  const resolve = async (accountId: string, target: EnrollTarget): Promise<string[]> => {
    if ('csv' in target) return fromCsv(accountId, target.csv);
    const ids = 'groupId' in target
      ? await deps.targets.groupMemberIds(db, accountId, target.groupId)
      : await deps.targets.listMemberIds(db, accountId, target.listId);
    if (!ids) throw new NotFoundError('groupId' in target ? 'group' : 'contact list');
    if (ids.length === 0) throw ValidationError.field('groupId' in target ? 'groupId' : 'listId', 'has no members: nobody to enroll');
    return ids;
  };

  /** Resolves the target to contacts and enrolls them (already or previously enrolled ones are skipped). */
  const enrollTarget = async (accountId: string, sequenceId: string, target: EnrollTarget, placeholders?: Record<string, string>): Promise<EnrollResult> =>
    deps.enrollments.enroll(accountId, sequenceId, { contactIds: await resolve(accountId, target), placeholders, source: 'api' });

  return { enrollTarget };
};
export type EnrollmentTargets = ReturnType<typeof createEnrollmentTargets>;
