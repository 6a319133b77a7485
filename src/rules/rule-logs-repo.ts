import type { Queryable } from '../db/db.js';

/** One line of the rule log: an evaluation of a rule for an event, or one action's outcome. */
export type RuleLog = {
  id: number;
  accountId: string;
  ruleId: string;
  contactId: string | null;
  eventId: string | null;
  kind: 'evaluation' | 'action';
  /**
   * evaluation: matched | not_matched | out_of_scope | rate_limited | loop_cut | not_in_rollout | skipped_pending | stopped.
   * action: scheduled | executed | failed | cancelled | skipped | deferred.
   */
  outcome: string;
  actionId: string | null;
  actionType: string | null;
  pendingId: string | null;
  detail: Record<string, unknown>;
  at: Date;
};

const toLog = (r: Record<string, any>): RuleLog => ({
  id: Number(r.id), accountId: r.account_id, ruleId: r.rule_id, contactId: r.contact_id, eventId: r.event_id, kind: r.kind,
  outcome: r.outcome, actionId: r.action_id, actionType: r.action_type, pendingId: r.pending_id, detail: r.detail ?? {}, at: r.at,
});

export type NewRuleLog = Omit<RuleLog, 'id' | 'actionId' | 'actionType' | 'pendingId' | 'detail'> & Partial<Pick<RuleLog, 'actionId' | 'actionType' | 'pendingId' | 'detail'>>;

/**
 * Appends a log line. An evaluation is unique per (event, rule): the insert returns false when
 * this event was already evaluated for this rule (a redelivered event does nothing twice).
 */
export const insertLog = async (q: Queryable, l: NewRuleLog): Promise<boolean> => {
  const res = await q.query(
    `INSERT INTO rule_logs (account_id, rule_id, contact_id, event_id, kind, outcome, action_id, action_type, pending_id, detail, at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
     ON CONFLICT (event_id, rule_id) WHERE kind = 'evaluation' DO NOTHING RETURNING id`,
    [l.accountId, l.ruleId, l.contactId, l.eventId, l.kind, l.outcome, l.actionId ?? null, l.actionType ?? null, l.pendingId ?? null,
      JSON.stringify(l.detail ?? {}), l.at],
  );
  return (res.rowCount ?? 0) > 0;
};

export type LogQuery = {
  from?: Date; to?: Date; contactId?: string; listId?: string; ruleId?: string; actionType?: string;
  kind?: 'evaluation' | 'action'; outcome?: string; beforeId?: number; limit: number;
};

/** Newest first, filtered; `listId` keeps lines about contacts currently on that list. */
export const queryLogs = async (q: Queryable, accountId: string, f: LogQuery): Promise<RuleLog[]> => {
  const where = ['l.account_id = $1'];
  const args: unknown[] = [accountId];
  const add = (sql: string, v: unknown) => { args.push(v); where.push(sql.replaceAll('?', `$${args.length}`)); };
  if (f.from) add('l.at >= ?', f.from);
  if (f.to) add('l.at < ?', f.to);
  if (f.contactId) add('l.contact_id = ?', f.contactId);
  if (f.ruleId) add('l.rule_id = ?', f.ruleId);
  if (f.actionType) add('l.action_type = ?', f.actionType);
  if (f.kind) add('l.kind = ?', f.kind);
  if (f.outcome) add('l.outcome = ?', f.outcome);
  if (f.listId) add('EXISTS (SELECT 1 FROM contact_list_members m WHERE m.list_id = ? AND m.contact_id = l.contact_id)', f.listId);
  if (f.beforeId) add('l.id < ?', f.beforeId);
  args.push(f.limit);
  const res = await q.query(`SELECT l.* FROM rule_logs l WHERE ${where.join(' AND ')} ORDER BY l.id DESC LIMIT $${args.length}`, args);
  return res.rows.map(toLog);
};

/** Matches of one rule for one contact since `since` (the rate limit's rolling window). */
export const countMatchesSince = async (q: Queryable, ruleId: string, contactId: string | null, since: Date): Promise<number> => {
  const res = await q.query(
    `SELECT count(*)::int AS n FROM rule_logs
      WHERE rule_id = $1 AND contact_id IS NOT DISTINCT FROM $2 AND kind = 'evaluation' AND outcome = 'matched' AND at > $3`,
    [ruleId, contactId, since],
  );
  return res.rows[0].n;
};

/** Whether the rule's evaluation of the event is already logged (evaluations are idempotent on the event). */
export const hasEvaluation = async (q: Queryable, eventId: string, ruleId: string): Promise<boolean> => {
  const res = await q.query(`SELECT 1 FROM rule_logs WHERE event_id = $1 AND rule_id = $2 AND kind = 'evaluation'`, [eventId, ruleId]);
  return (res.rowCount ?? 0) > 0;
};

export const ruleLogsRepo = { insertLog, queryLogs, countMatchesSince, hasEvaluation };
export type RuleLogsRepo = typeof ruleLogsRepo;
