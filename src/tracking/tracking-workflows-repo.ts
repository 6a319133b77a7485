import { mapPgError, type Queryable } from '../db/db.js';
import type { StoredTrackingAction, TrackingWorkflow, TrackingWorkflowInput } from './tracking-types.js';

export const toTrackingWorkflow = (r: Record<string, any>): TrackingWorkflow => ({
  id: r.id, accountId: r.account_id, name: r.name, enabled: r.enabled, trigger: r.trigger,
  conditions: r.conditions ?? [], actions: r.actions ?? [], createdAt: r.created_at, updatedAt: r.updated_at,
});

const NAME_TAKEN = { tracking_workflows_name_uniq: 'name: a tracking workflow with this name already exists' };

/** The account's workflows (not deleted), oldest first. */
export const listTrackingWorkflows = async (q: Queryable, accountId: string): Promise<TrackingWorkflow[]> => {
  const r = await q.query('SELECT * FROM tracking_workflows WHERE account_id = $1 AND deleted_at IS NULL ORDER BY created_at, id', [accountId]);
  return r.rows.map(toTrackingWorkflow);
};

/** The enabled workflows of one trigger (answered / missed), oldest first. */
export const enabledTrackingWorkflows = async (q: Queryable, accountId: string, trigger: string): Promise<TrackingWorkflow[]> => {
  const r = await q.query(
    `SELECT * FROM tracking_workflows WHERE account_id = $1 AND trigger = $2 AND enabled AND deleted_at IS NULL ORDER BY created_at, id`,
    [accountId, trigger],
  );
  return r.rows.map(toTrackingWorkflow);
};

export const findTrackingWorkflow = async (q: Queryable, accountId: string, id: string): Promise<TrackingWorkflow | null> => {
  const r = await q.query('SELECT * FROM tracking_workflows WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL', [accountId, id]);
  return r.rows[0] ? toTrackingWorkflow(r.rows[0]) : null;
};

type WorkflowRow = Pick<TrackingWorkflowInput, 'name' | 'enabled' | 'trigger' | 'conditions'> & { actions: StoredTrackingAction[] };

/** A duplicate name is a `ConflictError`. */
export const insertTrackingWorkflow = async (q: Queryable, accountId: string, w: WorkflowRow): Promise<TrackingWorkflow> => {
  const r = await q.query(
    `INSERT INTO tracking_workflows (account_id, name, enabled, trigger, conditions, actions) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [accountId, w.name, w.enabled, w.trigger, JSON.stringify(w.conditions), JSON.stringify(w.actions)],
  ).catch((err) => mapPgError(err, NAME_TAKEN));
  return toTrackingWorkflow(r.rows[0]);
};

/** Replaces the definition; null when there is no such (live) workflow. A duplicate name is a `ConflictError`. */
export const updateTrackingWorkflow = async (q: Queryable, accountId: string, id: string, w: WorkflowRow): Promise<TrackingWorkflow | null> => {
  const r = await q.query(
    `UPDATE tracking_workflows SET name = $3, enabled = $4, trigger = $5, conditions = $6, actions = $7, updated_at = now()
      WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *`,
    [accountId, id, w.name, w.enabled, w.trigger, JSON.stringify(w.conditions), JSON.stringify(w.actions)],
  ).catch((err) => mapPgError(err, NAME_TAKEN));
  return r.rows[0] ? toTrackingWorkflow(r.rows[0]) : null;
};

export const softDeleteTrackingWorkflow = async (q: Queryable, accountId: string, id: string): Promise<boolean> => {
  const r = await q.query('UPDATE tracking_workflows SET deleted_at = now() WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL', [accountId, id]);
  return (r.rowCount ?? 0) > 0;
};

/** The ids among `ids` that are lines of the account. */
export const existingLineIds = async (q: Queryable, accountId: string, ids: string[]): Promise<Set<string>> => {
  const r = await q.query('SELECT id FROM lines WHERE account_id = $1 AND id = ANY($2::uuid[])', [accountId, ids]);
  return new Set(r.rows.map((x) => x.id as string));
};

/** The ids among `ids` that are live (not deleted) workflows of the account. */
export const liveWorkflowIds = async (q: Queryable, accountId: string, ids: string[]): Promise<Set<string>> => {
  const r = await q.query('SELECT id FROM workflows WHERE account_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL', [accountId, ids]);
  return new Set(r.rows.map((x) => x.id as string));
};

export const trackingWorkflowsRepo = {
  listTrackingWorkflows, enabledTrackingWorkflows, findTrackingWorkflow, insertTrackingWorkflow, updateTrackingWorkflow, softDeleteTrackingWorkflow,
  existingLineIds, liveWorkflowIds,
};
export type TrackingWorkflowsRepo = typeof trackingWorkflowsRepo;
