import type { Queryable } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { workflowAudience } from './workflow-audience-repo.js';
import type { WorkflowDefinition } from './workflow-types.js';

export type WorkflowStatus = 'active' | 'paused';

/** A workflow row with its current version's stored definition (secrets sealed). */
export type WorkflowRecord = {
  id: string; status: WorkflowStatus; version: number; definition: WorkflowDefinition; createdAt: Date; updatedAt: Date;
};
/** One immutable version, as stored. */
export type WorkflowVersionRecord = { version: number; createdAt: Date; definition: WorkflowDefinition };
/** The columns derived from the definition that the workflows table keeps for uniqueness and lookups. */
export type WorkflowColumns = {
  name: string; description: string | null | undefined; code: string | null; codeDigits: string | null; codeLineId: string | null;
};

type Row = Record<string, any>;
const toRecord = (r: Row): WorkflowRecord => ({
  id: r.id, status: r.status, version: r.current_version, definition: r.definition, createdAt: r.created_at, updatedAt: r.updated_at,
});
const toVersion = (r: Row): WorkflowVersionRecord => ({ version: r.version, createdAt: r.created_at, definition: r.definition });

const SELECT = `SELECT w.id, w.status, w.current_version, w.created_at, w.updated_at, v.definition
                  FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version`;
const RETURNING = 'RETURNING id, status, current_version, created_at, updated_at';

/** The workflow (not deleted) in this account; `lock` takes its row lock for an edit. */
export const findWorkflow = async (q: Queryable, accountId: string, id: string, lock = false): Promise<WorkflowRecord | null> => {
  const res = await q.query(`${SELECT} WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL${lock ? ' FOR UPDATE OF w' : ''}`, [accountId, id]);
  return res.rows[0] ? toRecord(res.rows[0]) : null;
};

export const listWorkflows = async (q: Queryable, accountId: string, page: PageQuery & { status?: WorkflowStatus }): Promise<Page<WorkflowRecord>> => {
  const params: unknown[] = [accountId, page.status ?? null];
  const res = await q.query(
    `${SELECT.replace('v.definition', `v.definition, ${cursorColumn('w')}`)}
      WHERE w.account_id = $1 AND w.deleted_at IS NULL AND ($2::text IS NULL OR w.status = $2) ${pageClause(page, params, 'w')}`,
    params,
  );
  return toPage(res.rows, page, toRecord);
};

/** Serialises the account-wide uniqueness checks of one account until the transaction ends. */
export const lockAccountWorkflows = async (q: Queryable, accountId: string): Promise<void> => {
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1), 7002)', [accountId]);
};

/** Whether another live workflow of the account has this name (case-insensitive). */
export const isNameTaken = async (q: Queryable, accountId: string, name: string, selfId: string | null): Promise<boolean> => {
  const res = await q.query(
    'SELECT 1 FROM workflows WHERE account_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL AND id IS DISTINCT FROM $3',
    [accountId, name, selfId],
  );
  return (res.rowCount ?? 0) > 0;
};

/** Another live workflow of the account whose code dials as `digits`. */
export const findCodeOwner = async (
  q: Queryable, accountId: string, digits: string, selfId: string | null,
): Promise<{ name: string; code: string } | null> => {
  const res = await q.query(
    'SELECT name, code FROM workflows WHERE account_id = $1 AND code_digits = $2 AND deleted_at IS NULL AND id IS DISTINCT FROM $3',
    [accountId, digits, selfId],
  );
  return res.rows[0] ?? null;
};

/** Line id → name of the other workflow that holds the conference on it. */
export const findConferenceLineOwners = async (
  q: Queryable, accountId: string, lineIds: string[], selfId: string | null,
): Promise<Map<string, string>> => {
  const res = await q.query(
    `SELECT c.line_id, w.name FROM workflow_conference_lines c JOIN workflows w ON w.id = c.workflow_id
      WHERE c.account_id = $1 AND c.line_id = ANY($2::uuid[]) AND c.workflow_id IS DISTINCT FROM $3`,
    [accountId, lineIds, selfId],
  );
  return new Map<string, string>(res.rows.map((r) => [r.line_id, r.name]));
};

export const deleteConferenceLines = async (q: Queryable, workflowId: string): Promise<void> => {
  await q.query('DELETE FROM workflow_conference_lines WHERE workflow_id = $1', [workflowId]);
};

/** The conference lines the workflow holds become exactly `lineIds` (unique violation if another holds one). */
export const replaceConferenceLines = async (q: Queryable, accountId: string, workflowId: string, lineIds: string[]): Promise<void> => {
  await deleteConferenceLines(q, workflowId);
  if (lineIds.length === 0) return;
  await q.query(
    'INSERT INTO workflow_conference_lines (line_id, workflow_id, account_id) SELECT l, $2, $1 FROM unnest($3::uuid[]) l',
    [accountId, workflowId, lineIds],
  );
};

/** A new workflow at version 1 (the caller inserts the version); the returned record has no definition yet. */
export const insertWorkflow = async (q: Queryable, accountId: string, c: WorkflowColumns): Promise<Omit<WorkflowRecord, 'definition'>> => {
  const res = await q.query(
    `INSERT INTO workflows (account_id, name, description, code, code_digits, code_line_id) VALUES ($1, $2, $3, $4, $5, $6) ${RETURNING}`,
    [accountId, c.name, c.description, c.code, c.codeDigits, c.codeLineId],
  );
  return toRecord(res.rows[0]);
};

/** New columns and the next version number (the caller inserts that version). */
export const bumpWorkflow = async (q: Queryable, accountId: string, id: string, c: WorkflowColumns): Promise<Omit<WorkflowRecord, 'definition'>> => {
  const res = await q.query(
    `UPDATE workflows SET name = $3, description = $4, code = $5, code_digits = $6, code_line_id = $7,
            current_version = current_version + 1, updated_at = now()
      WHERE account_id = $1 AND id = $2 ${RETURNING}`,
    [accountId, id, c.name, c.description, c.code, c.codeDigits, c.codeLineId],
  );
  return toRecord(res.rows[0]);
};

export const insertWorkflowVersion = async (
  q: Queryable, v: { workflowId: string; accountId: string; version: number; definition: WorkflowDefinition },
): Promise<void> => {
  await q.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, $3, $4)',
    [v.workflowId, v.accountId, v.version, JSON.stringify(v.definition)]);
};

export const setWorkflowStatus = async (q: Queryable, id: string, status: WorkflowStatus): Promise<{ status: WorkflowStatus; updatedAt: Date }> => {
  const res = await q.query('UPDATE workflows SET status = $2, updated_at = now() WHERE id = $1 RETURNING status, updated_at', [id, status]);
  return { status: res.rows[0].status, updatedAt: res.rows[0].updated_at };
};

/** Soft delete: the name and code become free; its conference lines are released. */
export const softDeleteWorkflow = async (q: Queryable, id: string): Promise<void> => {
  await q.query('UPDATE workflows SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]);
  await deleteConferenceLines(q, id);
};

export const listWorkflowVersions = async (q: Queryable, accountId: string, workflowId: string, page: PageQuery): Promise<Page<WorkflowVersionRecord>> => {
  const params: unknown[] = [accountId, workflowId];
  const res = await q.query(
    `SELECT id, version, created_at, definition, ${cursorColumn()} FROM workflow_versions WHERE account_id = $1 AND workflow_id = $2 ${pageClause(page, params)}`,
    params,
  );
  return toPage(res.rows, page, toVersion);
};

export const findWorkflowVersion = async (q: Queryable, accountId: string, workflowId: string, version: number): Promise<WorkflowVersionRecord | null> => {
  const res = await q.query('SELECT version, created_at, definition FROM workflow_versions WHERE account_id = $1 AND workflow_id = $2 AND version = $3',
    [accountId, workflowId, version]);
  return res.rows[0] ? toVersion(res.rows[0]) : null;
};

/** Of `ids`, those that are rows of `table` in this account (tables a workflow may reference). */
export const existingIds = async (q: Queryable, table: 'lines' | 'groups' | 'attachments', accountId: string, ids: string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const res = await q.query(`SELECT id FROM ${table} WHERE account_id = $1 AND id = ANY($2::uuid[])`, [accountId, [...new Set(ids)]]);
  return new Set<string>(res.rows.map((r) => r.id));
};

/** Of `names`, the custom field names some contact of the account has. */
export const customFieldsInUse = async (q: Queryable, accountId: string, names: string[]): Promise<Set<string>> => {
  if (names.length === 0) return new Set();
  const res = await q.query(
    'SELECT k FROM unnest($2::text[]) AS k WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = $1 AND c.custom_fields ? k)',
    [accountId, names],
  );
  return new Set(res.rows.map((r) => r.k as string));
};

export const workflowsRepo = {
  findWorkflow, listWorkflows, lockAccountWorkflows, isNameTaken, findCodeOwner, findConferenceLineOwners, deleteConferenceLines,
  replaceConferenceLines, insertWorkflow, bumpWorkflow, insertWorkflowVersion, setWorkflowStatus, softDeleteWorkflow,
  listWorkflowVersions, findWorkflowVersion, existingIds, customFieldsInUse, workflowAudience,
};
export type WorkflowsRepo = typeof workflowsRepo;
