import type { Queryable } from '../db/db.js';
import type { DomainEvent } from '../events/event-types.js';
import { conditionType, matchCondition, type EvalContext } from './conditions.js';
import { resolveField, toContactSnapshot, type ContactSnapshot } from './fields.js';
import type { Condition, Rule, StopIf } from './rule-types.js';

/** Statuses that end a contact's journey unless the account sets `settings.finalStatuses`. */
export const DEFAULT_FINAL_STATUSES = ['closed', 'converted', 'won', 'lost', 'do_not_contact'];

export type AccountInfo = { id: string; timezone: string; ownerEmails: string[]; finalStatuses: string[] };

export const loadAccount = async (q: Queryable, accountId: string): Promise<AccountInfo | null> => {
  const res = await q.query('SELECT id, timezone, owner_emails, settings FROM accounts WHERE id = $1', [accountId]);
  const r = res.rows[0];
  if (!r) return null;
  const fs = Array.isArray(r.settings?.finalStatuses) ? (r.settings.finalStatuses as unknown[]).map(String) : DEFAULT_FINAL_STATUSES;
  return { id: r.id, timezone: r.timezone, ownerEmails: r.owner_emails ?? [], finalStatuses: fs };
};

export const loadContact = async (q: Queryable, accountId: string, contactId: string, forUpdate = false): Promise<ContactSnapshot | null> => {
  const res = await q.query(`SELECT * FROM contacts WHERE account_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [accountId, contactId]);
  return res.rows[0] ? toContactSnapshot(res.rows[0]) : null;
};

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
export const inScope = async (q: Queryable, rule: Rule, event: DomainEvent): Promise<boolean> => {
  const s = rule.scope;
  switch (s.type) {
    case 'account':
      return true;
    case 'lines':
      return typeof event.data.lineId === 'string' && s.ids.includes(event.data.lineId);
    case 'groups':
    case 'lists': {
      if (!event.contactId) return false;
      const table = s.type === 'groups' ? 'group_members' : 'contact_list_members';
      const col = s.type === 'groups' ? 'group_id' : 'list_id';
      const res = await q.query(`SELECT 1 FROM ${table} WHERE contact_id = $1 AND ${col} = ANY($2::uuid[]) LIMIT 1`, [event.contactId, s.ids]);
      return (res.rowCount ?? 0) > 0;
    }
    case 'campaigns': {
      let wf = typeof event.data.workflowId === 'string' ? event.data.workflowId : typeof event.data.campaignId === 'string' ? event.data.campaignId : null;
      if (!wf && typeof event.data.activationId === 'string') {
        const res = await q.query('SELECT workflow_id FROM activations WHERE id = $1 AND account_id = $2', [event.data.activationId, event.accountId])
          .catch(() => ({ rows: [] as Array<Record<string, string>> }));
        wf = res.rows[0]?.workflow_id ?? null;
      }
      return !!wf && s.ids.includes(wf);
    }
  }
};

/** A call in progress with the contact (by id or by number); stale rows older than 6 hours are ignored. */
export const hasLiveCall = async (q: Queryable, contact: ContactSnapshot, now: Date): Promise<boolean> => {
  const res = await q.query(
    `SELECT 1 FROM calls
      WHERE account_id = $1 AND ended_at IS NULL AND status IN ('queued', 'initiated', 'ringing', 'in-progress', 'answered')
        AND started_at > $4::timestamptz - interval '6 hours'
        AND (contact_id = $2 OR ($3::text IS NOT NULL AND (from_number = $3 OR to_number = $3)))
      LIMIT 1`,
    [contact.accountId, contact.id, contact.phone, now],
  );
  return (res.rowCount ?? 0) > 0;
};
