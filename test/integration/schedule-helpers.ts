import { randomBytes } from 'node:crypto';
import { withTransaction, type Db } from '../../src/db/db.js';
import type { ScheduleSpec } from '../../src/calendar/schedule-types.js';
import type { WorkflowChangeHook } from '../../src/workflows/workflow-hooks.js';
import type { WorkflowDefinition } from '../../src/workflows/workflow-types.js';

/**
 * Stands in for the workflows service where a test needs a schedule without the HTTP layer:
 * writes the workflow and its version, then tells the hook, in one transaction, as the
 * service does.
 */
export const scheduledWorkflows = (db: Db, hook: WorkflowChangeHook) => {
  const definition = (schedule: unknown, message = 'Weekly check-in'): WorkflowDefinition =>
    ({
      name: `wf-${randomBytes(3).toString('hex')}`,
      description: '',
      schedule: schedule as ScheduleSpec,
      actions: [{ id: 'a1', type: 'webhook', method: 'POST', url: 'https://example.com/hook', body: JSON.stringify({ text: message }) }],
    }) as WorkflowDefinition;

  const change = async (accountId: string, workflowId: string, patch: { definition?: WorkflowDefinition; status?: 'active' | 'paused'; deleted?: boolean }) =>
    withTransaction(db, async (tx) => {
      const cur = await tx.query(
        `SELECT w.status, w.current_version, v.definition FROM workflows w
           JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
          WHERE w.id = $1 FOR UPDATE OF w`,
        [workflowId],
      );
      let version: number = cur.rows[0].current_version;
      const def: WorkflowDefinition = patch.definition ?? cur.rows[0].definition;
      if (patch.definition) {
        version++;
        await tx.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, $3, $4)', [workflowId, accountId, version, def]);
      }
      const status = patch.status ?? cur.rows[0].status;
      await tx.query(
        `UPDATE workflows SET status = $2, current_version = $3, deleted_at = CASE WHEN $4 THEN now() ELSE deleted_at END, updated_at = now() WHERE id = $1`,
        [workflowId, status, version, patch.deleted ?? false],
      );
      await hook(tx, { accountId, workflowId, version, definition: def, status, deleted: patch.deleted ?? false });
    });

  return {
    definition,
    async create(accountId: string, schedule: unknown, message?: string): Promise<string> {
      return withTransaction(db, async (tx) => {
        const def = definition(schedule, message);
        const w = await tx.query('INSERT INTO workflows (account_id, name) VALUES ($1, $2) RETURNING id', [accountId, def.name]);
        const id: string = w.rows[0].id;
        await tx.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3)', [id, accountId, def]);
        await hook(tx, { accountId, workflowId: id, version: 1, definition: def, status: 'active', deleted: false });
        return id;
      });
    },
    edit: (accountId: string, workflowId: string, schedule: unknown) => change(accountId, workflowId, { definition: definition(schedule) }),
    pause: (accountId: string, workflowId: string) => change(accountId, workflowId, { status: 'paused' }),
    resume: (accountId: string, workflowId: string) => change(accountId, workflowId, { status: 'active' }),
    remove: (accountId: string, workflowId: string) => change(accountId, workflowId, { deleted: true }),
  };
};

/**
 * `n` scheduled workflows due at `dueAt`, written in bulk (setup for races and benchmarks):
 * the same rows the hook writes, without going through it one by one.
 */
export const seedDueSchedules = async (db: Db, accountId: string, n: number, dueAt: Date): Promise<void> => {
  const spec = { type: 'weekly', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], time: '09:00', everyWeeks: 1, timezone: 'UTC' };
  const def = { name: 'seed', description: '', schedule: spec, actions: [{ id: 'a1', type: 'webhook', method: 'POST', url: 'https://example.com/hook' }] };
  await withTransaction(db, async (tx) => {
    await tx.query(
      `WITH w AS (
         INSERT INTO workflows (account_id, name) SELECT $1, 'seed-' || md5(random()::text) FROM generate_series(1, $2) RETURNING id
       ), v AS (
         INSERT INTO workflow_versions (workflow_id, account_id, version, definition) SELECT id, $1, 1, $3 FROM w RETURNING workflow_id
       )
       INSERT INTO workflow_schedules (workflow_id, account_id, workflow_version, spec, timezone, next_run_at)
       SELECT workflow_id, $1, 1, $4, 'UTC', $5 FROM v`,
      [accountId, n, JSON.stringify(def), JSON.stringify(spec), dueAt],
    );
  });
};
