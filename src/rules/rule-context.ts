import type { Queryable } from '../db/db.js';
import type { DomainEvent } from '../events/event-types.js';
import { conditionType, matchCondition, type EvalContext } from './conditions.js';
import { resolveField, type ContactSnapshot } from './fields.js';
import type { AccountInfo, RuleContextRepo } from './rule-context-repo.js';
import type { Condition, Rule, StopIf } from './rule-types.js';

/** Index of the first condition that fails, or -1 when all match (AND). */
export const firstFailing = (conds: Condition[], eventType: string | null, ctx: { contact: ContactSnapshot | null; event: DomainEvent | null }, ec: EvalContext): number =>
  conds.findIndex((c) => !matchCondition(c, conditionType(c, eventType), resolveField(c.field, ctx), ec));

/** Each condition's result, in order, for the rule log: `{ field, operator, matched }` (all are evaluated). */
export const conditionResults = (conds: Condition[], eventType: string | null, ctx: { contact: ContactSnapshot | null; event: DomainEvent | null }, ec: EvalContext) =>
  conds.map((c) => ({ field: c.field, operator: c.operator, matched: matchCondition(c, conditionType(c, eventType), resolveField(c.field, ctx), ec) }));

/** Why the contact's pending actions from a rule must stop, or null. */
export const stopReason = (stopIf: StopIf | null, contact: ContactSnapshot | null, account: AccountInfo, ec: EvalContext): string | null => {
  if (!stopIf || !contact) return null;
  const status = contact.status.trim().toLowerCase();
  if (stopIf.statuses.some((s) => s.trim().toLowerCase() === status)) return `status:${contact.status}`;
  if (stopIf.finalStatus && account.finalStatuses.some((s) => s.trim().toLowerCase() === status)) return `final_status:${contact.status}`;
  if (stopIf.conditions.length > 0 && firstFailing(stopIf.conditions, null, { contact, event: null }, ec) === -1) return 'filter';
  return null;
};

/** Is the event inside the rule's relation (whole account, lines, groups, lists, campaigns)? */
export const inScope = async (
  repo: Pick<RuleContextRepo, 'isMemberOf' | 'activationWorkflowId'>, q: Queryable, rule: Rule, event: DomainEvent,
): Promise<boolean> => {
  const s = rule.scope;
  switch (s.type) {
    case 'account':
      return true;
    case 'lines':
      return typeof event.data.lineId === 'string' && s.ids.includes(event.data.lineId);
    case 'groups':
    case 'lists':
      return !!event.contactId && repo.isMemberOf(q, s.type, event.contactId, s.ids);
    case 'campaigns': {
      let wf = typeof event.data.workflowId === 'string' ? event.data.workflowId : typeof event.data.campaignId === 'string' ? event.data.campaignId : null;
      if (!wf && typeof event.data.activationId === 'string') wf = await repo.activationWorkflowId(q, event.accountId, event.data.activationId);
      return !!wf && s.ids.includes(wf);
    }
  }
};
