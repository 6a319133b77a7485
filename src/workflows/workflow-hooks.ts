import type { PoolClient } from 'pg';
import type { WorkflowDefinition } from './workflow-types.js';

/** What changed about a workflow, inside the transaction that changed it. */
export type WorkflowChange = {
  accountId: string;
  workflowId: string;
  version: number;
  definition: WorkflowDefinition;
  status: 'active' | 'paused';
  deleted: boolean;
};

/**
 * Port: features that keep derived state per workflow (the schedule's next occurrence…) are
 * told of every create, update, pause, resume and delete in the same transaction, so the derived
 * state can never disagree with the workflow. Throwing aborts the change (e.g. ValidationError).
 */
export type WorkflowChangeHook = (tx: PoolClient, change: WorkflowChange) => Promise<void>;
