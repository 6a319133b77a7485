import type { SecretBox } from '../crypto.js';
import { withTransaction, type Db, type Queryable } from '../db/db.js';
import { fromZod, NotFoundError, ValidationError, type FieldIssue } from '../errors.js';
import { savedSmsIssue } from '../templates/sms-text.js';
import { webhookUrlIssues } from '../webhooks/ssrf-policy.js';
import { checkConditions, type ConditionIssue } from './conditions.js';
import { contactFields, describeField } from './fields.js';
import type { CallbacksRepo } from './callbacks-repo.js';
import type { PendingRepo } from './pending-repo.js';
import type { RuleReferenceTable, RuleRow, RulesRepo } from './rules-repo.js';
import { ruleInputSchema, type Rule, type RuleAction, type RuleActionInput, type RuleInput, type RulePatch } from './rule-types.js';

export type RulesServiceDeps = {
  db: Db;
  rules: Pick<RulesRepo, 'insertRule' | 'updateRule' | 'findRule' | 'listRules' | 'deleteRule' | 'missingIds'>;
  pending: Pick<PendingRepo, 'cancelPendingForRule'>;
  callbacks: Pick<CallbacksRepo, 'callbackLine'>;
  secrets: Pick<SecretBox, 'seal'>;
  /** WEBHOOK_ALLOWED_HOSTS: hosts an http action may name although they are private (default: none). */
  allowedWebhookHosts?: readonly string[];
};

/** A rule as the API shows it: sealed secrets become `authorizationSet`. */
export type RuleView = Omit<Rule, 'actions'> & { actions: Array<Omit<RuleAction, 'authorizationSealed'> & { authorizationSet?: boolean }> };

export const toRuleView = (r: Rule): RuleView => ({
  ...r,
  actions: r.actions.map(({ authorizationSealed, ...a }) => (a.type === 'http' ? { ...a, authorizationSet: !!authorizationSealed } : a)),
});

const scopeTables = { lines: 'lines', groups: 'groups', lists: 'contact_lists', campaigns: 'workflows' } as const satisfies Record<string, RuleReferenceTable>;

const checkActions = (actions: RuleActionInput[]): FieldIssue[] => {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  actions.forEach((a, i) => {
    const at = `actions.${i}`;
    if (a.id) {
      if (seen.has(a.id)) issues.push({ path: `${at}.id`, message: 'action ids repeat' });
      seen.add(a.id);
    }
    if (a.timing.type === 'relative') {
      const f = describeField(a.timing.field, null);
      if (f.kind === 'event' || f.kind === 'unknown' || (f.kind === 'contact' && f.type !== 'date')) {
        issues.push({ path: `${at}.timing.field`, message: 'must be a contact date field (contact.createdAt or contact.custom.<key>)' });
      }
    }
    if (a.type === 'update_field') {
      const f = describeField(a.field, null);
      const builtin = f.kind === 'contact' ? contactFields[f.key] : undefined;
      if (f.kind === 'event' || f.kind === 'unknown' || (builtin && !builtin.writable)) {
        issues.push({ path: `${at}.field`, message: 'must be a writable contact field: contact.name, contact.email, contact.onDuty or contact.custom.<key>' });
        return;
      }
      const type = builtin?.type ?? null;
      if (a.operation === 'set' && a.value === undefined) issues.push({ path: `${at}.value`, message: 'is required to set a field' });
      if (a.operation === 'set' && type && type !== 'boolean' && typeof a.value === 'boolean') issues.push({ path: `${at}.value`, message: `must be text for ${a.field}` });
      if (a.operation === 'set' && type === 'boolean' && a.value !== undefined && typeof a.value !== 'boolean') issues.push({ path: `${at}.value`, message: 'must be true or false' });
      if (a.operation === 'copy' && !a.from) issues.push({ path: `${at}.from`, message: 'is required to copy a field' });
      if ((a.operation === 'add' || a.operation === 'subtract') && (typeof a.value !== 'number' || !Number.isFinite(a.value))) {
        issues.push({ path: `${at}.value`, message: `must be a number to ${a.operation}` });
      }
      if ((a.operation === 'add' || a.operation === 'subtract' || a.operation === 'stamp_now') && type) {
        issues.push({ path: `${at}.operation`, message: `${a.operation} works on custom fields only (${a.field} is ${type})` });
      }
    }
    if ((a.type === 'schedule_callback' || a.type === 'place_call') && a.agentGroupId && a.agentNumber) {
      issues.push({ path: `${at}.agentNumber`, message: 'give agentGroupId or agentNumber, not both' });
    }
    if (a.type === 'update_callback' && a.operation === 'move' && !a.moveBy) issues.push({ path: `${at}.moveBy`, message: 'is required to move a callback' });
    if (a.type === 'sms') {
      // The texter's words (message.received) must keep room, as in workflows.
      const sms = savedSmsIssue(a.message, { inboundFields: ['event.body'] });
      if (sms) issues.push({ path: `${at}.message`, message: sms });
    }
    if (a.type === 'log_revenue' && (a.amount === undefined) === (a.amountField === undefined)) {
      issues.push({ path: `${at}.amount`, message: 'give either amount or amountField' });
    }
  });
  return issues;
};

const throwIssues = (issues: Array<FieldIssue | ConditionIssue>): void => {
  if (issues.length === 0) return;
  const operator = issues.some((i) => (i as ConditionIssue).kind === 'operator');
  const details = issues.map(({ path, message }) => ({ path, message }));
  throw new ValidationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), details, operator ? 'operator_not_allowed' : 'validation_failed');
};

/** CRUD for rules. Every write validates fields, operators and referenced objects first: a bad rule is never stored. */
export const createRulesService = (deps: RulesServiceDeps) => {
  const { rules, pending } = deps;
  const prepare = async (q: Queryable, accountId: string, input: RuleInput, previous: Rule | null): Promise<RuleRow> => {
    const issues: Array<FieldIssue | ConditionIssue> = [
      ...checkConditions(input.conditions, input.eventType, 'conditions'),
      ...(input.stopIf ? checkConditions(input.stopIf.conditions, null, 'stopIf.conditions', { contactOnly: true }) : []),
      ...checkActions(input.actions),
      // A URL the stored rule already has is not judged again: disabling an older rule must still work.
      ...webhookUrlIssues(input.actions.flatMap((a, i) => (a.type === 'http' && !previous?.actions.some((p) => p.type === 'http' && p.url === a.url)
        ? [[`actions.${i}.url`, a.url] as [string, string]] : [])), deps.allowedWebhookHosts),
    ];
    if (input.scope.type !== 'account') {
      const missing = await rules.missingIds(q, scopeTables[input.scope.type], accountId, input.scope.ids);
      input.scope.ids.forEach((id, i) => missing.has(id) && issues.push({ path: `scope.ids.${i}`, message: `no such ${input.scope.type.replace(/s$/, '')}` }));
    }
    const refs: Array<[RuleReferenceTable, string, string]> = [];
    input.actions.forEach((a, i) => {
      if (a.type === 'move_to_list') refs.push(['contact_lists', a.listId, `actions.${i}.listId`]);
      if (a.type === 'enroll_sequence' || a.type === 'unenroll_sequence') refs.push(['sequences', a.sequenceId, `actions.${i}.sequenceId`]);
      if ((a.type === 'sms' || a.type === 'voice') && a.lineId) refs.push(['lines', a.lineId, `actions.${i}.lineId`]);
      if (a.type === 'activate_workflow') refs.push(['workflows', a.workflowId, `actions.${i}.workflowId`]);
      if (a.type === 'schedule_callback' || a.type === 'place_call') {
        refs.push(['lines', a.lineId, `actions.${i}.lineId`]);
        if (a.agentGroupId) refs.push(['groups', a.agentGroupId, `actions.${i}.agentGroupId`]);
      }
    });
    for (const [table, id, path] of refs) {
      if ((await rules.missingIds(q, table, accountId, [id])).size > 0) issues.push({ path, message: 'does not exist in this account' });
    }
    for (const [i, a] of input.actions.entries()) {
      if ((a.type !== 'schedule_callback' && a.type !== 'place_call') || a.agentGroupId || a.agentNumber) continue;
      const line = await deps.callbacks.callbackLine(q, accountId, a.lineId);
      if (line && line.forwardTo.length === 0) {
        issues.push({ path: `actions.${i}.agentGroupId`, message: 'give agentGroupId or agentNumber (or a tracking line with forwardTo numbers)' });
      }
    }
    throwIssues(issues);

    const used = new Set(input.actions.map((a) => a.id).filter(Boolean));
    let n = 0;
    const nextId = () => { do n++; while (used.has(`a${n}`)); return `a${n}`; };
    const actions: RuleAction[] = input.actions.map((a) => {
      const id = a.id ?? nextId();
      if (a.type !== 'http') return { ...a, id } as RuleAction;
      const { authorization, ...rest } = a;
      const before = previous?.actions.find((p) => p.id === id && p.type === 'http');
      const sealed = authorization ? deps.secrets.seal(authorization) : before?.authorizationSealed;
      return { ...rest, id, ...(sealed ? { authorizationSealed: sealed } : {}) } as RuleAction;
    });
    return {
      accountId, name: input.name, eventType: input.eventType, enabled: input.enabled, scope: input.scope,
      conditions: input.conditions, actions, rolloutPercent: input.rolloutPercent, skipIfPending: input.skipIfPending,
      stopIf: input.stopIf ?? null, window: input.window,
    };
  };

  const create = async (accountId: string, input: RuleInput): Promise<RuleView> =>
    toRuleView(await rules.insertRule(deps.db, await prepare(deps.db, accountId, input, null)));

  const get = async (accountId: string, id: string): Promise<RuleView> => {
    const r = await rules.findRule(deps.db, accountId, id);
    if (!r) throw new NotFoundError('rule');
    return toRuleView(r);
  };

  const list = async (accountId: string, f: { eventType?: string; enabled?: boolean } = {}): Promise<RuleView[]> =>
    (await rules.listRules(deps.db, accountId, f)).map(toRuleView);

  /**
   * Applies a partial change over the stored rule (write-only secrets are kept when omitted).
   * Disabling a rule cancels its pending actions; enabling it again resets its loop counter.
   */
  const update = async (accountId: string, id: string, patch: RulePatch): Promise<RuleView> =>
    withTransaction(deps.db, async (tx) => {
      const current = await rules.findRule(tx, accountId, id, { forUpdate: true });
      if (!current) throw new NotFoundError('rule');
      const merged = ruleInputSchema.safeParse({
        name: current.name, eventType: current.eventType, enabled: current.enabled, scope: current.scope, conditions: current.conditions,
        actions: current.actions.map(({ authorizationSealed: _s, ...a }) => a), rolloutPercent: current.rolloutPercent,
        skipIfPending: current.skipIfPending, stopIf: current.stopIf, window: current.window, ...patch,
      });
      if (!merged.success) throw fromZod(merged.error);
      const row = await prepare(tx, accountId, merged.data, current);
      const updated = await rules.updateRule(tx, id, row);
      if (!updated) throw new NotFoundError('rule');
      if (current.enabled && !updated.enabled) await pending.cancelPendingForRule(tx, accountId, id, 'rule_disabled');
      return toRuleView(updated);
    });

  const remove = async (accountId: string, id: string): Promise<RuleView> =>
    withTransaction(deps.db, async (tx) => {
      const r = await rules.deleteRule(tx, accountId, id);
      if (!r) throw new NotFoundError('rule');
      await pending.cancelPendingForRule(tx, accountId, id, 'rule_deleted');
      return toRuleView(r);
    });

  return { create, get, list, update, remove };
};
export type RulesService = ReturnType<typeof createRulesService>;
