import type { PoolClient } from 'pg';
import type { SecretBox } from '../crypto.js';
import { mapPgError, withTransaction, type Db } from '../db/db.js';
import type { Page, PageQuery } from '../db/pagination.js';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError, fromZod, type FieldIssue } from '../errors.js';
import { toKeypadDigits } from './keypad.js';
import { toPublicDefinition, toStoredDefinition, type PublicDefinition } from './workflow-definitions.js';
import type { WorkflowAudience } from './workflow-audience-repo.js';
import type { WorkflowChangeHook } from './workflow-hooks.js';
import { webhookUrlIssues } from '../webhooks/ssrf-policy.js';
import { checkDefinitionRules, checkReferences } from './workflow-rules.js';
import { checkTextLengths } from './workflow-text-limits.js';
import { checkFieldNames } from './workflow-fields.js';
import { pinPrompts, type PromptLibrary } from './workflow-prompts.js';
import { workflowInputSchema, type WorkflowDefinition, type WorkflowInput } from './workflow-types.js';
import type { WorkflowColumns, WorkflowRecord, WorkflowsRepo, WorkflowStatus } from './workflows-repo.js';

export type { WorkflowStatus } from './workflows-repo.js';

/** A workflow as the API shows it: its current version's definition, secrets redacted. */
export type Workflow = PublicDefinition & { id: string; status: WorkflowStatus; version: number; createdAt: Date; updatedAt: Date };
export type WorkflowVersion = { version: number; createdAt: Date; definition: PublicDefinition };

export type WorkflowsServiceDeps = {
  db: Db;
  workflows: Pick<WorkflowsRepo,
    | 'findWorkflow' | 'listWorkflows' | 'lockAccountWorkflows' | 'isNameTaken' | 'findCodeOwner' | 'findConferenceLineOwners'
    | 'replaceConferenceLines' | 'insertWorkflow' | 'bumpWorkflow' | 'insertWorkflowVersion' | 'setWorkflowStatus'
    | 'softDeleteWorkflow' | 'listWorkflowVersions' | 'findWorkflowVersion' | 'existingIds' | 'customFieldsInUse' | 'workflowAudience'>;
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

const toWorkflow = (r: WorkflowRecord): Workflow => ({
  id: r.id, status: r.status, version: r.version, ...toPublicDefinition(r.definition), createdAt: r.createdAt, updatedAt: r.updatedAt,
});

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
  const { db, secrets, workflows: repo } = deps;
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
    if (issues.length === 0) issues.push(...(await checkFieldNames(data, (names) => repo.customFieldsInUse(db, accountId, names))));
    if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    return data;
  };

  /** References, then the account-wide uniqueness rules (409s naming the field). */
  const checkAccountRules = async (tx: PoolClient, accountId: string, selfId: string | null, input: WorkflowInput) => {
    const refs = await checkReferences(input, (table, ids) => repo.existingIds(tx, table, accountId, ids));
    if (refs.length > 0) throw new ValidationError(refs.map((i) => `${i.path}: ${i.message}`).join('; '), refs);
    // Serialise checks per account so two concurrent saves cannot both pass them.
    await repo.lockAccountWorkflows(tx, accountId);
    if (await repo.isNameTaken(tx, accountId, input.name, selfId)) throw conflict('name', 'another workflow has this name');
    if (input.codeActivation) {
      const digits = toKeypadDigits(input.codeActivation.code);
      const other = await repo.findCodeOwner(tx, accountId, digits, selfId);
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
      const taken = await repo.findConferenceLineOwners(tx, accountId, lineIds, selfId);
      const issues: FieldIssue[] = conf
        .filter(([a]) => taken.has((a as { lineId: string }).lineId))
        .map(([a, i]) => ({ path: `actions.${i}.lineId`, message: `workflow "${taken.get((a as { lineId: string }).lineId)}" already holds the conference on this line (one per line)` }));
      if (issues.length > 0) throw new ConflictError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), 'conflict', issues);
    }
  };

  const saveDerived = (tx: PoolClient, accountId: string, workflowId: string, def: WorkflowDefinition) =>
    repo.replaceConferenceLines(tx, accountId, workflowId, def.actions.flatMap((a) => (a.type === 'conference' ? [a.lineId] : [])));

  const notify = async (tx: PoolClient, accountId: string, r: WorkflowRecord, deleted = false) => {
    for (const hook of hooks) {
      await hook(tx, { accountId, workflowId: r.id, version: r.version, definition: r.definition, status: r.status, deleted });
    }
  };

  const lockRow = async (tx: PoolClient, accountId: string, id: string): Promise<WorkflowRecord> => {
    const row = await repo.findWorkflow(tx, accountId, id, true);
    if (!row) throw new NotFoundError('workflow');
    return row;
  };

  const columns = (def: WorkflowDefinition): WorkflowColumns => {
    const c = def.codeActivation;
    return { name: def.name, description: def.description, code: c?.code ?? null, codeDigits: c ? toKeypadDigits(c.code) : null, codeLineId: c?.lineId ?? null };
  };

  /** Creates a workflow (version 1). 400 naming the field for a bad definition; 409 for a taken name, code or conference line. */
  const create = async (accountId: string, raw: unknown): Promise<Workflow> => {
    const input = await parse(accountId, raw);
    return withTransaction(db, async (tx) => {
      await checkAccountRules(tx, accountId, null, input);
      const def = toStoredDefinition(input, secrets);
      const w = await repo.insertWorkflow(tx, accountId, columns(def)).catch(mapConflicts);
      const row: WorkflowRecord = { ...w, definition: def };
      await repo.insertWorkflowVersion(tx, { workflowId: row.id, accountId, version: 1, definition: def });
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
      if (opts.expectedVersion !== undefined && cur.version !== opts.expectedVersion) {
        throw new PreconditionFailedError(
          `workflow was changed meanwhile: version ${cur.version} is current, this edit was made on version ${opts.expectedVersion}`,
          'version_mismatch', { currentVersion: cur.version, expectedVersion: opts.expectedVersion },
        );
      }
      await checkAccountRules(tx, accountId, id, input);
      const def = toStoredDefinition(input, secrets, cur.definition);
      const w = await repo.bumpWorkflow(tx, accountId, id, columns(def)).catch(mapConflicts);
      const row: WorkflowRecord = { ...w, definition: def };
      await repo.insertWorkflowVersion(tx, { workflowId: id, accountId, version: row.version, definition: def });
      await saveDerived(tx, accountId, id, def).catch(mapConflicts);
      await notify(tx, accountId, row);
      return toWorkflow(row);
    });
  };

  const setStatus = (status: WorkflowStatus) => async (accountId: string, id: string): Promise<Workflow> =>
    withTransaction(db, async (tx) => {
      const cur = await lockRow(tx, accountId, id);
      if (cur.status === status) return toWorkflow(cur);
      const row: WorkflowRecord = { ...cur, ...(await repo.setWorkflowStatus(tx, id, status)) };
      await notify(tx, accountId, row);
      return toWorkflow(row);
    });

  /** Soft delete: past activations keep their version; the name and code become free. */
  const remove = async (accountId: string, id: string): Promise<void> =>
    withTransaction(db, async (tx) => {
      const cur = await lockRow(tx, accountId, id);
      await repo.softDeleteWorkflow(tx, id);
      await notify(tx, accountId, cur, true);
    });

  const get = async (accountId: string, id: string): Promise<Workflow> => {
    const row = await repo.findWorkflow(db, accountId, id);
    if (!row) throw new NotFoundError('workflow');
    return toWorkflow(row);
  };

  const list = async (accountId: string, q: PageQuery & { status?: WorkflowStatus }): Promise<Page<Workflow>> => {
    const page = await repo.listWorkflows(db, accountId, q);
    return { ...page, data: page.data.map(toWorkflow) };
  };

  /** Every version of a workflow, oldest first (like every list). */
  const listVersions = async (accountId: string, id: string, q: PageQuery): Promise<Page<WorkflowVersion>> => {
    await get(accountId, id);
    const page = await repo.listWorkflowVersions(db, accountId, id, q);
    return { ...page, data: page.data.map((v) => ({ ...v, definition: toPublicDefinition(v.definition) })) };
  };

  const getVersion = async (accountId: string, id: string, version: number): Promise<WorkflowVersion> => {
    await get(accountId, id);
    const v = await repo.findWorkflowVersion(db, accountId, id, version);
    if (!v) throw new NotFoundError('workflow version');
    return { ...v, definition: toPublicDefinition(v.definition) };
  };

  /** Who an activation would reach now (exact, as the planner chooses): the dashboard's confirmation. */
  const audience = async (accountId: string, id: string): Promise<WorkflowAudience> => {
    const a = await repo.workflowAudience(db, accountId, id);
    if (!a) throw new NotFoundError('workflow');
    return a;
  };

  return { create, update, pause: setStatus('paused'), resume: setStatus('active'), remove, get, list, listVersions, getVersion, audience };
};

export type WorkflowsService = ReturnType<typeof createWorkflowsService>;
