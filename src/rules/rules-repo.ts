import type { Queryable } from '../db/db.js';
import { mapPgError } from '../db/db.js';
import type { Rule, RuleAction } from './rule-types.js';

type Row = Record<string, any>;

export const toRule = (r: Row): Rule => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  eventType: r.event_type,
  enabled: r.enabled,
  scope: r.scope,
  conditions: r.conditions ?? [],
  actions: r.actions ?? [],
  rolloutPercent: r.rollout_percent,
  skipIfPending: r.skip_if_pending,
  stopIf: r.stop_if ?? null,
  window: r.window_name,
  loopCount: r.loop_count,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export type RuleRow = Omit<Rule, 'id' | 'loopCount' | 'disabledReason' | 'disabledAt' | 'createdAt' | 'updatedAt'>;

const uniqueMessages = { rules_name_uniq: 'a rule with this name already exists' };

export const insertRule = async (q: Queryable, r: RuleRow): Promise<Rule> => {
  const res = await q.query(
    `INSERT INTO rules (account_id, name, event_type, enabled, scope, conditions, actions, rollout_percent, skip_if_pending, stop_if, window_name)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING *`,
    [r.accountId, r.name, r.eventType, r.enabled, JSON.stringify(r.scope), JSON.stringify(r.conditions), JSON.stringify(r.actions),
      r.rolloutPercent, r.skipIfPending, r.stopIf ? JSON.stringify(r.stopIf) : null, r.window],
  ).catch((err) => mapPgError(err, uniqueMessages));
  return toRule(res.rows[0]);
};

/** Replaces a rule's definition. Re-enabling clears the loop counter and the disabled reason. */
export const updateRule = async (q: Queryable, id: string, r: RuleRow): Promise<Rule | null> => {
  const res = await q.query(
    `UPDATE rules SET name = $3, event_type = $4, scope = $5, conditions = $6, actions = $7, rollout_percent = $8,
            skip_if_pending = $9, stop_if = $10, window_name = $11, updated_at = now(),
            loop_count = CASE WHEN $12 AND NOT enabled THEN 0 ELSE loop_count END,
            disabled_reason = CASE WHEN $12 THEN NULL ELSE disabled_reason END,
            disabled_at = CASE WHEN $12 THEN NULL ELSE disabled_at END,
            enabled = $12
      WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *`,
    [r.accountId, id, r.name, r.eventType, JSON.stringify(r.scope), JSON.stringify(r.conditions), JSON.stringify(r.actions),
      r.rolloutPercent, r.skipIfPending, r.stopIf ? JSON.stringify(r.stopIf) : null, r.window, r.enabled],
  ).catch((err) => mapPgError(err, uniqueMessages));
  return res.rows[0] ? toRule(res.rows[0]) : null;
};

export const findRule = async (q: Queryable, accountId: string, id: string, opts: { forUpdate?: boolean; withDeleted?: boolean } = {}): Promise<Rule | null> => {
  const res = await q.query(
    `SELECT * FROM rules WHERE account_id = $1 AND id = $2 ${opts.withDeleted ? '' : 'AND deleted_at IS NULL'} ${opts.forUpdate ? 'FOR UPDATE' : ''}`,
    [accountId, id],
  );
  return res.rows[0] ? toRule(res.rows[0]) : null;
};

export const listRules = async (q: Queryable, accountId: string, f: { eventType?: string; enabled?: boolean } = {}): Promise<Rule[]> => {
  const res = await q.query(
    `SELECT * FROM rules WHERE account_id = $1 AND deleted_at IS NULL
        AND ($2::text IS NULL OR event_type = $2) AND ($3::boolean IS NULL OR enabled = $3)
      ORDER BY created_at, id`,
    [accountId, f.eventType ?? null, f.enabled ?? null],
  );
  return res.rows.map(toRule);
};

/** Soft delete: logs keep pointing at the rule; its pending actions are cancelled by the caller. */
export const deleteRule = async (q: Queryable, accountId: string, id: string): Promise<Rule | null> => {
  const res = await q.query(
    `UPDATE rules SET deleted_at = now(), enabled = false, updated_at = now()
      WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *`,
    [accountId, id],
  );
  return res.rows[0] ? toRule(res.rows[0]) : null;
};

/**
 * Counts one loop iteration, atomically: one conditional UPDATE increments only while the rule is
 * enabled and under `disableAt`, and disables it on reaching it. Concurrent evaluations queue on
 * the row lock and re-check the condition, so the count stops at exactly `disableAt`.
 * `counted: false` (the rule was already disabled, by another evaluation or by hand) changes
 * nothing; `loopCount` is then the stored count.
 */
export const countLoop = async (q: Queryable, ruleId: string, disableAt: number): Promise<{ loopCount: number; disabled: boolean; counted: boolean }> => {
  const res = await q.query(
    `WITH counted AS (
       UPDATE rules SET loop_count = loop_count + 1,
              enabled = loop_count + 1 < $2,
              disabled_reason = CASE WHEN loop_count + 1 >= $2 THEN 'loop_detected' ELSE disabled_reason END,
              disabled_at = CASE WHEN loop_count + 1 >= $2 THEN now() ELSE disabled_at END
        WHERE id = $1 AND enabled AND loop_count < $2
        RETURNING loop_count, NOT enabled AS just_disabled
     )
     SELECT loop_count, just_disabled, true AS counted FROM counted
     UNION ALL
     SELECT loop_count, false, false FROM rules WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM counted)`,
    [ruleId, disableAt],
  );
  const r = res.rows[0];
  return { loopCount: r?.loop_count ?? 0, disabled: !!r?.just_disabled, counted: !!r?.counted };
};

export const actionById = (rule: Rule, actionId: string): RuleAction | undefined => rule.actions.find((a) => a.id === actionId);

/**
 * Serialises evaluations of one rule for one contact (or event) until the transaction ends, so the
 * rate limit, skip-if-pending and the evaluation log agree across worker processes.
 */
export const lockRuleEvaluation = async (q: Queryable, ruleId: string, key: string): Promise<void> => {
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [ruleId, key]);
};

/** Whether the rule is still enabled and not deleted (read inside the evaluation's lock). */
export const isRuleLive = async (q: Queryable, ruleId: string): Promise<boolean> => {
  const res = await q.query('SELECT enabled, deleted_at FROM rules WHERE id = $1', [ruleId]);
  return !!res.rows[0]?.enabled && !res.rows[0].deleted_at;
};

/** What a rule may name: lines, groups, contact lists, workflows (campaigns), sequences. */
export type RuleReferenceTable = 'lines' | 'groups' | 'contact_lists' | 'workflows' | 'sequences';

/** Ids in `ids` that are not objects of this account in `table` (deleted workflows and sequences count as missing). */
export const missingIds = async (q: Queryable, table: RuleReferenceTable, accountId: string, ids: string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const extra = table === 'workflows' || table === 'sequences' ? ' AND deleted_at IS NULL' : '';
  const res = await q.query(`SELECT id FROM ${table} WHERE account_id = $1 AND id = ANY($2::uuid[])${extra}`, [accountId, ids]);
  const found = new Set(res.rows.map((r) => r.id as string));
  return new Set(ids.filter((id) => !found.has(id)));
};

export const rulesRepo = { insertRule, updateRule, findRule, listRules, deleteRule, countLoop, lockRuleEvaluation, isRuleLive, missingIds };
export type RulesRepo = typeof rulesRepo;
