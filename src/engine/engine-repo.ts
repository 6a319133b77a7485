import type { Queryable } from '../db/db.js';
import { awaitingCarrierSql, openSql } from './delivery-status.js';
import type { ActivationChange } from './feed.js';
import type { WorkflowDefinition } from '../workflows/workflow-types.js';
import type { Activation } from './activation-types.js';
import { toActivation } from './activations-repo.js';
import type { ActionExtras, PlanContact } from './plan-rows.js';
import type { StoredReadyDelivery } from './ready-plans-repo.js';
import { accountLinesJsonSql, toAccountLines, type AccountLine } from './sending-lines-repo.js';

/** An activation with the pinned workflow version it runs. */
export type PlanInput = {
  activation: Activation;
  definition: WorkflowDefinition;
  workflowName: string;
  codeLineId: string | null;
  /** The deliveries a feature rendered itself (ready-plans.ts); null for a workflow activation. */
  readyPlan: StoredReadyDelivery[] | null;
  /** A workflow activation's account lines, oldest first (its actions' sending lines are chosen among them); [] for a ready plan. */
  lines: AccountLine[];
};

export const loadPlanInput = async (q: Queryable, activationId: string): Promise<PlanInput | null> => {
  const res = await q.query(
    `SELECT a.*, v.definition, w.name AS workflow_name, w.code_line_id,
            CASE WHEN a.ready_plan IS NULL THEN ${accountLinesJsonSql('a.account_id')} ELSE '[]'::json END AS account_lines
       FROM activations a
       JOIN workflow_versions v ON v.id = a.workflow_version_id
       JOIN workflows w ON w.id = a.workflow_id
      WHERE a.id = $1`,
    [activationId],
  );
  const r = res.rows[0];
  if (!r) return null;
  return {
    activation: toActivation(r), definition: r.definition, workflowName: r.workflow_name, codeLineId: r.code_line_id,
    readyPlan: r.ready_plan?.deliveries ?? null, lines: toAccountLines(r.account_lines),
  };
};

/**
 * Members of the groups (each person once), on duty only unless `includeOffDuty`. Their push
 * devices are counted only when `withPushDevices` (an action with a push channel): one index probe
 * per contact that a text-only fan-out does not need (`pushDevices` is then left out).
 */
export const groupContacts = async (
  q: Queryable, accountId: string, groupIds: string[], includeOffDuty: boolean, withPushDevices = true,
): Promise<PlanContact[]> => {
  const res = await q.query(
    `SELECT c.id, c.name, c.phone, c.email, c.pager_number, c.push_token, c.opted_out_channels, c.do_not_contact, c.custom_fields,
            CASE WHEN $4 THEN (SELECT count(*) FROM push_subscriptions s WHERE s.contact_id = c.id)::int END AS push_devices
       FROM contacts c
      WHERE c.account_id = $1
        AND EXISTS (SELECT 1 FROM group_members m WHERE m.contact_id = c.id AND m.group_id = ANY($2::uuid[]) AND m.account_id = $1)
        AND ($3 OR c.on_duty)
      ORDER BY c.id`,
    [accountId, groupIds, includeOffDuty, withPushDevices],
  );
  return res.rows.map((r) => ({
    id: r.id, name: r.name, phone: r.phone, email: r.email, pagerNumber: r.pager_number, pushToken: r.push_token,
    ...(r.push_devices === null ? {} : { pushDevices: r.push_devices }),
    optedOutChannels: r.opted_out_channels ?? [], doNotContact: r.do_not_contact, customFields: r.custom_fields ?? {},
  }));
};

export const setActivationStatus = async (
  q: Queryable, id: string, status: 'planning' | 'running' | 'failed', extra: { recipientCount?: number; error?: string } = {},
): Promise<ActivationChange | null> => {
  const res = await q.query(
    `UPDATE activations SET status = $2, recipient_count = COALESCE($3, recipient_count), error = COALESCE($4, error),
            planned_at = CASE WHEN $2 = 'running' THEN COALESCE(planned_at, now()) ELSE planned_at END
      WHERE id = $1 AND status NOT IN ('dispatched', 'completed', 'failed') RETURNING id, status, recipient_count`,
    [id, status, extra.recipientCount ?? null, extra.error ?? null],
  );
  const r = res.rows[0];
  return r ? { type: 'activation', activationId: r.id, status: r.status, recipientCount: r.recipient_count, at: new Date().toISOString() } : null;
};

/** People with at least one delivery that is not skipped. */
export const countRecipients = async (q: Queryable, activationId: string): Promise<number> => {
  const res = await q.query(
    `SELECT count(DISTINCT COALESCE(contact_id::text, recipient_key))::int AS n FROM deliveries WHERE activation_id = $1 AND status <> 'skipped'`,
    [activationId],
  );
  return res.rows[0].n;
};

/**
 * Moves running activations on once every send is handed over: with no open delivery (pending,
 * sending) and no open timer, `dispatched` while some delivery still awaits the carrier's word
 * (`awaitingCarrierSql`), `completed` once every delivery is final (then `completed_at`). A
 * dispatched activation is completed by the call after its last delivery became final (status
 * callbacks call this). Safe to call any number of times from any process; returns the
 * activations whose status just changed.
 */
export const completeIfDone = async (q: Queryable, ids: string[]): Promise<Array<ActivationChange & { accountId: string }>> => {
  if (ids.length === 0) return [];
  const res = await q.query({
    name: 'sb-activation-complete-if-done-v2', // prepared once per connection: runs after every delivery batch
    text: `WITH c AS (
        SELECT a.id, CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.activation_id = a.id AND (${awaitingCarrierSql}))
                          THEN 'dispatched' ELSE 'completed' END AS next
          FROM activations a
         WHERE a.id = ANY($1::uuid[]) AND a.status IN ('running', 'dispatched')
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activation_id = a.id AND ${openSql})
           AND NOT EXISTS (SELECT 1 FROM engine_timers t WHERE t.activation_id = a.id AND t.done_at IS NULL)
      )
      UPDATE activations a SET status = c.next, completed_at = CASE WHEN c.next = 'completed' THEN now() END
        FROM c WHERE a.id = c.id AND a.status IN ('running', 'dispatched') AND a.status <> c.next
      RETURNING a.id, a.account_id, a.status, a.recipient_count`,
    values: [ids],
  });
  return res.rows.map((r) => ({ type: 'activation', activationId: r.id, accountId: r.account_id, status: r.status, recipientCount: r.recipient_count, at: new Date().toISOString() }));
};

export const markOutboxCompleted = async (q: Queryable, activationId: string): Promise<void> => {
  await q.query(`UPDATE outbox SET completed_at = COALESCE(completed_at, now()) WHERE topic = 'activation' AND ref_id = $1`, [activationId]);
};

export const loadActionExtras = async (q: Queryable, activationId: string, actionId: string): Promise<ActionExtras | null> => {
  const res = await q.query('SELECT * FROM activation_actions WHERE activation_id = $1 AND action_id = $2', [activationId, actionId]);
  const r = res.rows[0];
  return r ? { promptOutput: r.prompt_output, promptError: r.prompt_error, pollId: r.poll_id, attachmentUrl: null } : null;
};

/** Keeps the first stored result if two planners raced; returns what is stored. */
export const saveActionExtras = async (q: Queryable, accountId: string, activationId: string, actionId: string, e: ActionExtras): Promise<ActionExtras> => {
  await q.query(
    `INSERT INTO activation_actions (activation_id, action_id, account_id, prompt_output, prompt_error, poll_id)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [activationId, actionId, accountId, e.promptOutput, e.promptError, e.pollId],
  );
  return { ...(await loadActionExtras(q, activationId, actionId))!, attachmentUrl: e.attachmentUrl };
};

export const insertTimer = async (q: Queryable, t: { activationId: string; actionId: string; accountId: string; kind: 'conference_retry'; dueAt: Date }): Promise<void> => {
  await q.query(
    `INSERT INTO engine_timers (activation_id, action_id, kind, account_id, due_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [t.activationId, t.actionId, t.kind, t.accountId, t.dueAt],
  );
};

export const engineRepo = {
  loadPlanInput, groupContacts, setActivationStatus, countRecipients, completeIfDone, markOutboxCompleted,
  loadActionExtras, saveActionExtras, insertTimer,
};
export type EngineRepo = typeof engineRepo;
