import type { Queryable } from '../db/db.js';

/** Who the current version of a workflow reaches, counted as the planner will choose them. */
export type WorkflowAudience = {
  /** Distinct people over all actions (someone in several groups or actions counts once). */
  people: number;
  /** Per action with groups (webhooks have none), in the definition's order of first appearance. */
  actions: Array<{ actionId: string; people: number }>;
};

/**
 * The people an activation of the workflow's current version would reach: members of each
 * action's groups who are on duty (or anyone, when the action includes off-duty contacts), minus
 * contacts flagged do-not-contact (the planner records those as skipped). Opt-outs of a single
 * channel still count: the person is reached on the action's other channels. One query; null
 * when the workflow does not exist in the account.
 */
export const workflowAudience = async (q: Queryable, accountId: string, workflowId: string): Promise<WorkflowAudience | null> => {
  const wf = await q.query(
    `SELECT v.definition FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
      WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL`,
    [accountId, workflowId],
  );
  if (!wf.rows[0]) return null;
  const acts = ((wf.rows[0].definition?.actions ?? []) as Array<{ id?: string; groupIds?: string[]; includeOffDuty?: boolean }>)
    .flatMap((action, ord) => (action.groupIds ?? []).map((groupId) => ({ ord, actionId: String(action.id), offDuty: action.includeOffDuty === true, groupId })));
  if (acts.length === 0) return { people: 0, actions: [] };
  // The group ids go in as a parameter the planner sees (not read out of the definition inside
  // the statement): it then knows a 3-person group from a 10,000-person one and reads the
  // members through the group index instead of joining every contact of the account.
  const res = await q.query(
    `WITH m AS (
       SELECT group_id, contact_id FROM group_members WHERE group_id = ANY($2::uuid[]) AND account_id = $1
     ), acts AS (
       SELECT * FROM unnest($3::int[], $4::text[], $5::boolean[], $6::uuid[]) AS a(ord, action_id, off_duty, group_id)
     ), reach AS (
       SELECT DISTINCT acts.ord, acts.action_id, c.id AS contact_id
         FROM acts
         JOIN m ON m.group_id = acts.group_id
         JOIN contacts c ON c.id = m.contact_id AND c.account_id = $1 AND NOT c.do_not_contact AND (acts.off_duty OR c.on_duty)
     )
     SELECT (SELECT count(DISTINCT contact_id) FROM reach)::int AS people,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('actionId', x.action_id, 'people', x.n) ORDER BY x.ord)
                        FROM (SELECT min(ord) AS ord, action_id, count(DISTINCT contact_id)::int AS n FROM reach GROUP BY action_id) x), '[]'::jsonb) AS actions`,
    [accountId, [...new Set(acts.map((x) => x.groupId))], acts.map((x) => x.ord + 1), acts.map((x) => x.actionId), acts.map((x) => x.offDuty), acts.map((x) => x.groupId)],
  );
  return { people: res.rows[0].people, actions: res.rows[0].actions };
};
