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
  const res = await q.query(
    `WITH wf AS (
       SELECT v.definition FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
        WHERE w.account_id = $1 AND w.id = $2 AND w.deleted_at IS NULL
     ), acts AS (
       SELECT a.ord, a.action->>'id' AS action_id, COALESCE((a.action->>'includeOffDuty')::boolean, false) AS off_duty, g.id::uuid AS group_id
         FROM wf
         CROSS JOIN LATERAL jsonb_array_elements(COALESCE(wf.definition->'actions', '[]'::jsonb)) WITH ORDINALITY AS a(action, ord)
         CROSS JOIN LATERAL jsonb_array_elements_text(COALESCE(a.action->'groupIds', '[]'::jsonb)) AS g(id)
     ), reach AS (
       SELECT DISTINCT acts.ord, acts.action_id, c.id AS contact_id
         FROM acts
         JOIN group_members m ON m.group_id = acts.group_id AND m.account_id = $1
         JOIN contacts c ON c.id = m.contact_id AND c.account_id = $1 AND NOT c.do_not_contact AND (acts.off_duty OR c.on_duty)
     )
     SELECT (SELECT count(*) FROM wf)::int AS found,
            (SELECT count(DISTINCT contact_id) FROM reach)::int AS people,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('actionId', x.action_id, 'people', x.n) ORDER BY x.ord)
                        FROM (SELECT min(ord) AS ord, action_id, count(DISTINCT contact_id)::int AS n FROM reach GROUP BY action_id) x), '[]'::jsonb) AS actions`,
    [accountId, workflowId],
  );
  const r = res.rows[0];
  return r && r.found > 0 ? { people: r.people, actions: r.actions } : null;
};
