/**
 * Post-call workflows (`/v1/tracking-workflows`): CRUD per account. References are checked on
 * write (lines in conditions and SMS actions, workflows to activate) so a bad id is a 400
 * naming the field, not a silent no-op when a call ends.
 */
import type { SecretBox } from '../crypto.js';
import type { Db, Queryable } from '../db/db.js';
import { NotFoundError, ValidationError, fromZod, type FieldIssue } from '../errors.js';
import { savedSmsIssue } from '../templates/sms-text.js';
import { webhookUrlIssues } from '../webhooks/ssrf-policy.js';
import {
  trackingWorkflowInputSchema, type StoredTrackingAction, type TrackingWorkflow, type TrackingWorkflowInput,
} from './tracking-types.js';
import type { TrackingWorkflowsRepo } from './tracking-workflows-repo.js';

export type PublicTrackingAction =
  | Exclude<StoredTrackingAction, { type: 'webhook' }>
  | (Omit<Extract<StoredTrackingAction, { type: 'webhook' }>, 'authorizationSealed'> & { authorizationSet: boolean });
export type PublicTrackingWorkflow = Omit<TrackingWorkflow, 'actions' | 'accountId'> & { actions: PublicTrackingAction[] };

/** Strips sealed secrets for API output. */
export const toPublic = (w: TrackingWorkflow): PublicTrackingWorkflow => {
  const { accountId: _a, ...rest } = w;
  return {
    ...rest,
    actions: w.actions.map((a) => {
      if (a.type !== 'webhook') return a;
      const { authorizationSealed, ...x } = a;
      return { ...x, authorizationSet: !!authorizationSealed };
    }),
  };
};

export type TrackingWorkflowsDeps = {
  db: Db;
  workflows: Pick<TrackingWorkflowsRepo,
    'listTrackingWorkflows' | 'findTrackingWorkflow' | 'insertTrackingWorkflow' | 'updateTrackingWorkflow' | 'softDeleteTrackingWorkflow'
    | 'existingLineIds' | 'liveWorkflowIds'>;
  secrets: Pick<SecretBox, 'seal'>;
  /** WEBHOOK_ALLOWED_HOSTS: hosts a webhook action may name although they are private (default: none). */
  allowedWebhookHosts?: readonly string[];
};

export const createTrackingWorkflowsService = (deps: TrackingWorkflowsDeps) => {
  const { db, workflows: repo } = deps;

  /** Every id the definition names must be the account's: lines and (live) workflows. */
  const checkReferences = async (q: Queryable, accountId: string, input: TrackingWorkflowInput): Promise<void> => {
    const issues: FieldIssue[] = [];
    const lineRefs: Array<{ path: string; id: string }> = [];
    input.conditions.forEach((c, i) => {
      if (c.type === 'source') c.lineIds.forEach((id, j) => lineRefs.push({ path: `conditions.${i}.lineIds.${j}`, id }));
    });
    const wfRefs: Array<{ path: string; id: string }> = [];
    input.actions.forEach((a, i) => {
      if (a.type === 'sms_caller' && a.lineId) lineRefs.push({ path: `actions.${i}.lineId`, id: a.lineId });
      if (a.type === 'activate_workflow') wfRefs.push({ path: `actions.${i}.workflowId`, id: a.workflowId });
    });
    if (lineRefs.length > 0) {
      const found = await repo.existingLineIds(q, accountId, lineRefs.map((x) => x.id));
      for (const ref of lineRefs) if (!found.has(ref.id)) issues.push({ path: ref.path, message: 'no such line in this account' });
    }
    if (wfRefs.length > 0) {
      const found = await repo.liveWorkflowIds(q, accountId, wfRefs.map((x) => x.id));
      for (const ref of wfRefs) if (!found.has(ref.id)) issues.push({ path: ref.path, message: 'no such workflow in this account' });
    }
    const seen = new Set<string>();
    input.actions.forEach((a, i) => {
      const sms = a.type === 'sms_caller' ? savedSmsIssue(a.message) : null;
      if (sms) issues.push({ path: `actions.${i}.message`, message: sms });
      if (a.id && seen.has(a.id)) issues.push({ path: `actions.${i}.id`, message: 'repeats another action id' });
      if (a.id) seen.add(a.id);
    });
    issues.push(...webhookUrlIssues(
      input.actions.flatMap((a, i) => (a.type === 'webhook' ? [[`actions.${i}.url`, a.url] as [string, string]] : [])),
      deps.allowedWebhookHosts,
    ));
    if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  };

  /** Gives every action an id and seals webhook Authorization headers (kept from `previous` when left out). */
  const toStored = (input: TrackingWorkflowInput, previous: StoredTrackingAction[] = []): StoredTrackingAction[] => {
    const prevSealed = new Map(previous.flatMap((a) => (a.type === 'webhook' && a.authorizationSealed ? [[a.id, a.authorizationSealed] as const] : [])));
    const used = new Set(input.actions.map((a) => a.id).filter(Boolean));
    let n = 0;
    const nextId = (type: string) => {
      let id: string;
      do id = `${type}-${++n}`; while (used.has(id));
      used.add(id);
      return id;
    };
    return input.actions.map((a) => {
      const id = a.id ?? nextId(a.type);
      if (a.type !== 'webhook') return { ...a, id };
      const { authorization, ...rest } = a;
      const sealed = typeof authorization === 'string' ? deps.secrets.seal(authorization) : authorization === undefined ? prevSealed.get(id) : undefined;
      return sealed ? { ...rest, id, authorizationSealed: sealed } : { ...rest, id };
    });
  };

  const parse = (body: unknown): TrackingWorkflowInput => {
    const r = trackingWorkflowInputSchema.safeParse(body ?? {});
    if (!r.success) throw fromZod(r.error);
    return r.data;
  };

  const find = async (q: Queryable, accountId: string, id: string): Promise<TrackingWorkflow> => {
    const w = await repo.findTrackingWorkflow(q, accountId, id);
    if (!w) throw new NotFoundError('tracking workflow');
    return w;
  };

  return {
    async list(accountId: string): Promise<PublicTrackingWorkflow[]> {
      return (await repo.listTrackingWorkflows(db, accountId)).map(toPublic);
    },

    async get(accountId: string, id: string): Promise<PublicTrackingWorkflow> {
      return toPublic(await find(db, accountId, id));
    },

    /** Validates (400 naming each bad field) and stores a new workflow. */
    async create(accountId: string, body: unknown): Promise<PublicTrackingWorkflow> {
      const input = parse(body);
      await checkReferences(db, accountId, input);
      return toPublic(await repo.insertTrackingWorkflow(db, accountId, { ...input, actions: toStored(input) }));
    },

    /** Replaces the definition; calls already evaluated keep their logs. */
    async replace(accountId: string, id: string, body: unknown): Promise<PublicTrackingWorkflow> {
      const input = parse(body);
      const current = await find(db, accountId, id);
      await checkReferences(db, accountId, input);
      const updated = await repo.updateTrackingWorkflow(db, accountId, id, { ...input, actions: toStored(input, current.actions) });
      if (!updated) throw new NotFoundError('tracking workflow');
      return toPublic(updated);
    },

    /** Soft delete: its logs stay readable. */
    async remove(accountId: string, id: string): Promise<void> {
      if (!(await repo.softDeleteTrackingWorkflow(db, accountId, id))) throw new NotFoundError('tracking workflow');
    },
  };
};

export type TrackingWorkflowsService = ReturnType<typeof createTrackingWorkflowsService>;
