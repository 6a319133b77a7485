import type { PoolClient } from 'pg';
import type { SecretBox } from '../crypto.js';
import { mapPgError, withTransaction, type Db } from '../db/db.js';
import { cursorColumn, pageClause, toPage, type Page, type PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError, fromZod, type FieldIssue } from '../errors.js';
import { toKeypadDigits } from './keypad.js';
import { toPublicDefinition, toStoredDefinition, type PublicDefinition } from './workflow-definitions.js';
import { workflowAudience, type WorkflowAudience } from './workflow-audience.js';
import type { WorkflowChangeHook } from './workflow-hooks.js';
import { webhookUrlIssues } from '../webhooks/ssrf-policy.js';
import { checkDefinitionRules, checkReferences } from './workflow-rules.js';
import { checkTextLengths } from './workflow-text-limits.js';
import { checkFieldNames } from './workflow-fields.js';
import { pinPrompts, type PromptLibrary } from './workflow-prompts.js';
import { workflowInputSchema, type WorkflowDefinition, type WorkflowInput } from './workflow-types.js';

export type WorkflowStatus = 'active' | 'paused';

/** A workflow as the API shows it: its current version's definition, secrets redacted. */
export type Workflow = PublicDefinition & { id: string; status: WorkflowStatus; version: number; createdAt: Date; updatedAt: Date };
export type WorkflowVersion = { version: number; createdAt: Date; definition: PublicDefinition };

export type WorkflowsServiceDeps = {
  db: Db;
  secrets: Pick<SecretBox, 'seal'>;
  /** Told of every create/update/pause/resume/delete inside its transaction; a throw aborts it. */
  onChange?: WorkflowChangeHook[];
  /** Length of an attachment's short URL (appended to texts): counted against the SMS limit. */
  attachmentLinkLength?: number;
  /** WEBHOOK_ALLOWED_HOSTS: hosts a webhook action may name although they are private (default: none). */
  allowedWebhookHosts?: readonly string[];
  /** The prompt library: actions may name a saved prompt (`prompt.promptId`), pinned on save. */
  prompts?: PromptLibrary;
};

type Row = { id: string; status: WorkflowStatus; current_version: number; definition: WorkflowDefinition; created_at: Date; updated_at: Date };
const toWorkflow = (r: Row): Workflow => ({
  id: r.id, status: r.status, version: r.current_version, ...toPublicDefinition(r.definition), createdAt: r.created_at, updatedAt: r.updated_at,
});
const SELECT = `SELECT w.id, w.status, w.current_version, w.created_at, w.updated_at, v.definition
                  FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version`;

const conflict = (path: string, message: string) => new ConflictError(`${path}: ${message}`, 'conflict', [{ path, message }]);

/** Unique violations that lost a race with the pre-checks. */
const mapConflicts = (err: unknown): never => {
  const c = (err as { code?: string; constraint?: string }).code === '23505' ? (err as { constraint?: string }).constraint : undefined;
  if (c === 'workflows_name_uniq') throw conflict('name', 'another workflow has this name');
  if (c === 'workflows_code_digits_uniq') throw conflict('codeActivation.code', 'another workflow uses a code with the same keypad digits');
  if (c === 'workflow_conference_lines_pkey') throw conflict('actions', 'another workflow holds a conference on one of these lines');
  return mapPgError(err);
};

/**
 * Workflows and their immutable versions. Every change runs in one transaction that also
 * updates `workflow_conference_lines` and calls the `onChange` hooks.
 */
export const createWorkflowsService = (deps: WorkflowsServiceDeps) => {
  const { db, secrets } = deps;
  const hooks = deps.onChange ?? [];

  const parse = async (accountId: string, raw: unknown): Promise<WorkflowInput> => {
    const parsed = workflowInputSchema.safeParse(raw);
    if (!parsed.success) throw fromZod(parsed.error);
    const data = await pinPrompts(deps.prompts, accountId, parsed.data); // saved prompts' text first: the rules judge it too
    const issues = [
      ...checkDefinitionRules(data), ...checkTextLengths(data, deps.attachmentLinkLength ?? 0),
      ...webhookUrlIssues(
        data.actions.flatMap((a, i) => (a.type === 'webhook' ? [[`actions.${i}.url`, a.url] as [string, string]] : [])),
        deps.allowedWebhookHosts,
      ),
    ];
    if (issues.length === 0) issues.push(...(await checkFieldNames(db, accountId, data)));
    if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    return data;
  };

  /** References, then the account-wide uniqueness rules (409s naming the field). */
  const checkAccountRules = async (tx: PoolClient, accountId: string, selfId: string | null, input: WorkflowInput) => {
    const refs = await checkReferences(tx, accountId, input);
    if (refs.length > 0) throw new ValidationError(refs.map((i) => `${i.path}: ${i.message}`).join('; '), refs);
    // Serialise checks per account so two concurrent saves cannot both pass them.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), 7002)', [accountId]);
    const name = await tx.query(
      'SELECT 1 FROM workflows WHERE account_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL AND id IS DISTINCT FROM $3',
      [accountId, input.name, selfId],
    );
    if (name.rowCount) throw conflict('name', 'another workflow has this name');
    if (input.codeActivation) {
      const digits = toKeypadDigits(input.codeActivation.code);
      const res = await tx.query(
        'SELECT name, code FROM workflows WHERE account_id = $1 AND code_digits = $2 AND deleted_at IS NULL AND id IS DISTINCT FROM $3',
        [accountId, digits, selfId],
      );
      const other = res.rows[0];
      if (other) {
        const same = other.code === input.codeActivation.code;
        throw conflict('codeActivation.code', same
          ? `workflow "${other.name}" already uses code ${other.code}`
          : `dials as ${digits}, like code ${other.code} of workflow "${other.name}": callers could not tell them apart`);
      }
    }
    const conf = input.actions.map((a, i) => [a, i] as const).filter(([a]) => a.type === 'conference');
    if (conf.length > 0) {
      const lineIds = conf.map(([a]) => (a as { lineId: string }).lineId);
      const res = await tx.query(
        `SELECT c.line_id, w.name FROM workflow_conference_lines c JOIN workflows w ON w.id = c.workflow_id
          WHERE c.account_id = $1 AND c.line_id = ANY($2::uuid[]) AND c.workflow_id IS DISTINCT FROM $3`,
        [accountId, lineIds, selfId],
      );
      const taken = new Map<string, string>(res.rows.map((r) => [r.line_id, r.name]));
      const issues: FieldIssue[] = conf
        .filter(([a]) => taken.has((a as { lineId: string }).lineId))
        .map(([a, i]) => ({ path: `actions.${i}.lineId`, message: `workflow "${taken.get((a as { lineId: string }).lineId)}" already holds the conference on this line (one per line)` }));
      if (issues.length > 0) throw new ConflictError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), 'conflict', issues);
    }
  };

  const saveDerived = async (tx: PoolClient, accountId: string, workflowId: string, def: WorkflowDefinition) => {
    await tx.query('DELETE FROM workflow_conference_lines WHERE workflow_id = $1', [workflowId]);
    const lines = def.actions.flatMap((a) => (a.type === 'conference' ? [a.lineId] : []));
    if (lines.length > 0) {
      await tx.query(
        'INSERT INTO workflow_conference_lines (line_id, workflow_id, account_id) SELECT l, $2, $1 FROM unnest($3::uuid[]) l',
        [accountId, workflowId, lines],
      );
    }
  };

  const notify = async (tx: PoolClient, accountId: string, r: Row, deleted = false) => {
    for (const hook of hooks) {
      await hook(tx, { accountId, workflowId: r.id, version: r.current_version, definition: r.definition, status: r.status, deleted });
    }
  };

  const lockRow = async (tx: PoolClient, accountId: string, id: string): Promise<Row> => {
    const res = await tx.query(`${SELECT} WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL FOR UPDATE OF w`, [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('workflow');
    return res.rows[0];
  };

  const codeColumns = (def: WorkflowDefinition) => {
    const c = def.codeActivation;
    return c ? [c.code, toKeypadDigits(c.code), c.lineId] : [null, null, null];
  };

  /** Creates a workflow (version 1). 400 naming the field for a bad definition; 409 for a taken name, code or conference line. */
  const create = async (accountId: string, raw: unknown): Promise<Workflow> => {
    const input = await parse(accountId, raw);
    return withTransaction(db, async (tx) => {
      await checkAccountRules(tx, accountId, null, input);
      const def = toStoredDefinition(input, secrets);
      const w = await tx
        .query(
          `INSERT INTO workflows (account_id, name, description, code, code_digits, code_line_id) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, status, current_version, created_at, updated_at`,
          [accountId, def.name, def.description, ...codeColumns(def)],
        )
        .catch(mapConflicts);
      const row: Row = { ...w.rows[0], definition: def };
      await tx.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3)', [row.id, accountId, JSON.stringify(def)]);
      await saveDerived(tx, accountId, row.id, def).catch(mapConflicts);
      await notify(tx, accountId, row);
      return toWorkflow(row);
    });
  };

  /**
   * Replaces the definition: a new immutable version; the status (active/paused) is kept.
   * `expectedVersion` (the API's If-Match): refuse with 412 when the workflow's current version is
   * another one — two dispatchers editing the same workflow must not silently overwrite each other.
   */
  const update = async (accountId: string, id: string, raw: unknown, opts: { expectedVersion?: number } = {}): Promise<Workflow> => {
    const input = await parse(accountId, raw);
    return withTransaction(db, async (tx) => {
      const cur = await lockRow(tx, accountId, id);
      if (opts.expectedVersion !== undefined && cur.current_version !== opts.expectedVersion) {
        throw new PreconditionFailedError(
          `workflow was changed meanwhile: version ${cur.current_version} is current, this edit was made on version ${opts.expectedVersion}`,
          'version_mismatch', { currentVersion: cur.current_version, expectedVersion: opts.expectedVersion },
        );
      }
      await checkAccountRules(tx, accountId, id, input);
      const def = toStoredDefinition(input, secrets, cur.definition);
      const w = await tx
        .query(
          `UPDATE workflows SET name = $3, description = $4, code = $5, code_digits = $6, code_line_id = $7,
                  current_version = current_version + 1, updated_at = now()
            WHERE account_id = $1 AND id = $2 RETURNING id, status, current_version, created_at, updated_at`,
          [accountId, id, def.name, def.description, ...codeColumns(def)],
        )
        .catch(mapConflicts);
      const row: Row = { ...w.rows[0], definition: def };
      await tx.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, $3, $4)', [id, accountId, row.current_version, JSON.stringify(def)]);
      await saveDerived(tx, accountId, id, def).catch(mapConflicts);
      await notify(tx, accountId, row);
      return toWorkflow(row);
    });
  };

  const setStatus = (status: WorkflowStatus) => async (accountId: string, id: string): Promise<Workflow> =>
    withTransaction(db, async (tx) => {
      const cur = await lockRow(tx, accountId, id);
      if (cur.status === status) return toWorkflow(cur);
      const res = await tx.query('UPDATE workflows SET status = $2, updated_at = now() WHERE id = $1 RETURNING status, updated_at', [id, status]);
      const row: Row = { ...cur, ...res.rows[0] };
      await notify(tx, accountId, row);
      return toWorkflow(row);
    });

  /** Soft delete: past activations keep their version; the name and code become free. */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      const cur = await lockRow(tx, accountId, id);
      await tx.query('UPDATE workflows SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]);
      await tx.query('DELETE FROM workflow_conference_lines WHERE workflow_id = $1', [id]);
      await notify(tx, accountId, cur, true);
    });

  const get = async (accountId: string, id: string): Promise<Workflow> => {
    const res = await db.query(`${SELECT} WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL`, [accountId, id]);
    if (!res.rows[0]) throw new NotFoundError('workflow');
    return toWorkflow(res.rows[0]);
  };

  const list = async (accountId: string, q: PageQuery & { status?: WorkflowStatus }): Promise<Page<Workflow>> => {
    const params: unknown[] = [accountId, q.status ?? null];
    const res = await db.query(
      `${SELECT.replace('v.definition', `v.definition, ${cursorColumn('w')}`)}
        WHERE w.account_id = $1 AND w.deleted_at IS NULL AND ($2::text IS NULL OR w.status = $2) ${pageClause(q, params, 'w')}`,
      params,
    );
    return toPage(res.rows, q, toWorkflow);
  };

  /** Every version of a workflow, oldest first (like every list). */
  const listVersions = async (accountId: string, id: string, q: PageQuery): Promise<Page<WorkflowVersion>> => {
    await get(accountId, id);
    const params: unknown[] = [accountId, id];
    const res = await db.query(
      `SELECT id, version, created_at, definition, ${cursorColumn()} FROM workflow_versions WHERE account_id = $1 AND workflow_id = $2 ${pageClause(q, params)}`,
      params,
    );
    return toPage(res.rows, q, (r) => ({ version: r.version, createdAt: r.created_at, definition: toPublicDefinition(r.definition) }));
  };

  const getVersion = async (accountId: string, id: string, version: number): Promise<WorkflowVersion> => {
    await get(accountId, id);
    const res = await db.query('SELECT version, created_at, definition FROM workflow_versions WHERE account_id = $1 AND workflow_id = $2 AND version = $3', [accountId, id, version]);
    if (!res.rows[0]) throw new NotFoundError('workflow version');
    return { version: res.rows[0].version, createdAt: res.rows[0].created_at, definition: toPublicDefinition(res.rows[0].definition) };
  };

  /** Who an activation would reach now (exact, as the planner chooses): the dashboard's confirmation. */
  const audience = async (accountId: string, id: string): Promise<WorkflowAudience> => {
    const a = await workflowAudience(db, accountId, id);
    if (!a) throw new NotFoundError('workflow');
    return a;
  };

  return { create, update, pause: setStatus('paused'), resume: setStatus('active'), remove, get, list, listVersions, getVersion, audience };
};

export type WorkflowsService = ReturnType<typeof createWorkflowsService>;
