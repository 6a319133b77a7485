import { withTransaction, type Db, type Queryable } from '../db/db.js';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError, type FieldIssue } from '../errors.js';
import { fixedSmsLength, SMS_MAX_CHARS } from '../templates/sms-text.js';
import { findPlaceholders, missingPlaceholders } from '../templates/templates.js';
import { definitionPlaceholders } from '../workflows/workflow-definitions.js';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import type { ActivateInput, ActivateResult, Activation } from './activation-types.js';
import type { ActivatableWorkflow, ActivationsRepo, NewActivationRow } from './activations-repo.js';

/**
 * Port: hands a committed activation to the action queue at once (the outbox relay's fast path).
 * Best effort: if it fails, the outbox sweeper queues the activation later. Must be idempotent.
 */
export type ActivationDispatcher = {
  dispatch(activationIds: string[]): Promise<void>;
  /**
   * Optional batch fast path: one planner job per batch (job id `jobId`, which the caller wrote
   * as the `job_id` of each activation's outbox row in the creating transaction). Same contract.
   */
  dispatchBatches?(batches: PlanBatch[]): Promise<void>;
};

/** Activations queued together in one planner job (see `PlanJob`). */
export type PlanBatch = { jobId: string; activationIds: string[] };

export type ActivationServiceDeps = {
  db: Db;
  activations: Pick<ActivationsRepo,
    'insertActivationIfCurrent' | 'findActivatable' | 'findActivation' | 'tryLockIdempotencyKey'>;
  dispatcher?: ActivationDispatcher;
  /** Called once per newly created activation, after commit (feed, metrics). */
  onCreated?: (a: Activation) => void;
  /** Length of an attachment's short URL (appended to texts): counted against the SMS limit. */
  attachmentLinkLength?: number;
};

/** Every `[[placeholder]]` a definition's messages use. */
/**
 * Placeholder values that make a texted notification longer than the carrier accepts: one issue
 * per `[[placeholder]]` of each such message (`placeholders.<name>`), counting the workflow's own
 * words, the attachment link and the poll (contact fields and the inbound message count as empty).
 */
export const placeholderLengthIssues = (
  def: Pick<WorkflowDefinition, 'name' | 'actions'>, placeholders: Record<string, string>, attachmentLinkLength: number,
): FieldIssue[] => {
  const issues = new Map<string, FieldIssue>();
  def.actions.forEach((a, i) => {
    if (a.type !== 'notification' || !(a.channels.includes('sms') || a.channels.includes('push'))) return;
    const names = findPlaceholders(a.message);
    if (names.length === 0) return;
    const len = fixedSmsLength(a, { placeholders, fields: { workflow_name: def.name }, attachmentLinkLength });
    if (len <= SMS_MAX_CHARS) return;
    for (const name of names) {
      if (issues.has(name)) continue;
      issues.set(name, {
        path: `placeholders.${name}`,
        message: `makes the text of actions.${i} ${len} characters; the carrier accepts at most ${SMS_MAX_CHARS}: shorten it by ${len - SMS_MAX_CHARS}`,
      });
    }
  });
  return [...issues.values()];
};

export const createActivationService = (deps: ActivationServiceDeps) => {
  /** Refuses to activate this version of the workflow with these values (paused, a placeholder missing or too long). */
  const check = (row: ActivatableWorkflow, placeholders: Record<string, string>) => {
    if (row.status === 'paused') throw new ConflictError('workflow is paused', 'workflow_paused');
    const missing = missingPlaceholders(definitionPlaceholders(row.definition as WorkflowDefinition), placeholders);
    if (missing.length > 0) {
      throw new ValidationError(
        `missing placeholder values: ${missing.join(', ')}`,
        missing.map((name) => ({ path: `placeholders.${name}`, message: 'is required' })),
        'missing_placeholders',
      );
    }
    const tooLong = placeholderLengthIssues(row.definition as WorkflowDefinition, placeholders, deps.attachmentLinkLength ?? 0);
    if (tooLong.length > 0) {
      throw new ValidationError(tooLong.map((i) => `${i.path}: ${i.message}`).join('; '), tooLong, 'text_too_long');
    }
  };

  const newRow = (input: ActivateInput, row: ActivatableWorkflow, placeholders: Record<string, string>): NewActivationRow => ({
    accountId: input.accountId,
    workflowId: row.id,
    workflowVersionId: row.versionId,
    workflowVersion: row.version,
    source: input.source,
    idempotencyKey: input.idempotencyKey,
    requestHash: input.requestHash ?? null,
    placeholders,
    inboundMessage: input.inboundMessage ?? null,
    recordingUrl: input.recordingUrl ?? null,
    context: input.context ?? {},
  });

  type Stored = { activation: Activation & { requestHash?: string | null }; created: boolean; requestHash: string | null };

  /**
   * Two statements and no transaction of their own, on the path of every emergency. The first
   * reads the key's activation and the workflow's current version; the second writes the
   * activation and its outbox row only while the workflow is still as read (same version and
   * status, share-locked for that statement). When it writes nothing — the key was taken, or the
   * workflow was edited, paused or deleted meanwhile — both run again and see why.
   */
  const store = async (q: Queryable, input: ActivateInput, placeholders: Record<string, string>): Promise<Stored> => {
    for (let round = 0; round < 3; round++) {
      const { existing, workflow } = await deps.activations.findActivatable(q, input.accountId, input.workflowId, input.idempotencyKey);
      if (existing) return { activation: existing, created: false, requestHash: existing.requestHash };
      if (!workflow) throw new NotFoundError('workflow');
      check(workflow, placeholders);
      const inserted = await deps.activations.insertActivationIfCurrent(q, newRow(input, workflow, placeholders), workflow.status);
      if (inserted) return { activation: inserted.activation, created: true, requestHash: input.requestHash ?? null };
    }
    throw new ConflictError('activation conflict, retry', 'retry');
  };

  /**
   * An API request with an Idempotency-Key (`onConcurrent: 'conflict'`): the same statements in a
   * transaction that holds the key's advisory lock, so a second request with the same key while
   * the first is still being processed is told so (409) instead of waiting for it.
   */
  const storeLocked = (input: ActivateInput, placeholders: Record<string, string>): Promise<Stored> => withTransaction(deps.db, async (tx) => {
    if (!(await deps.activations.tryLockIdempotencyKey(tx, input.accountId, input.idempotencyKey))) {
      throw new ConflictError('a request with this Idempotency-Key is still being processed', 'idempotency_key_in_use');
    }
    return store(tx, input, placeholders);
  });

  /**
   * Creates the activation of a workflow's current version and its outbox row (one statement).
   * Idempotent on `idempotencyKey` per account: a repeat returns the first activation
   * (`created: false`) and queues nothing new; the same key with another `requestHash` is a 422.
   */
  const activate = async (input: ActivateInput): Promise<ActivateResult> => {
    const placeholders = input.placeholders ?? {};
    const result = input.onConcurrent === 'conflict' ? await storeLocked(input, placeholders) : await store(deps.db, input, placeholders);

    if (!result.created && input.requestHash && result.requestHash && result.requestHash !== input.requestHash) {
      throw new UnprocessableError('this Idempotency-Key was used with a different request body', 'idempotency_key_reused');
    }
    if (result.created) {
      deps.onCreated?.(result.activation);
      await deps.dispatcher?.dispatch([result.activation.id]).catch(() => undefined);
    }
    return { activation: stripHash(result.activation), created: result.created };
  };

  const get = async (accountId: string, id: string): Promise<Activation> => {
    const a = await deps.activations.findActivation(deps.db, accountId, id);
    if (!a) throw new NotFoundError('activation');
    return a;
  };

  return { activate, get };
};

const stripHash = (a: Activation & { requestHash?: string | null }): Activation => {
  const { requestHash: _omit, ...rest } = a;
  return rest;
};

export type ActivationService = ReturnType<typeof createActivationService>;
