import type { PoolClient } from 'pg';
import type { ContactChangeHook, ContactState } from '../events/contact-events.js';
import type { DomainEvent } from '../events/event-types.js';
import { isNumericText } from './conditions.js';
import type { DncRepo } from './dnc-repo.js';
import { contactFields, resolveField, type ContactSnapshot } from './fields.js';
import type { ListsRepo } from './lists-repo.js';
import type { RevenueRepo } from './revenue-repo.js';
import type { RuleContextRepo } from './rule-context-repo.js';
import type { RuleAction } from './rule-types.js';

/** The repositories local actions write through (all inside the caller's transaction). */
export type LocalActionRepos = {
  contacts: Pick<RuleContextRepo, 'setContactColumn' | 'setContactCustomField'>;
  lists: Pick<ListsRepo, 'removeFromOtherLists' | 'addMemberIfListExists'>;
  dnc: Pick<DncRepo, 'insertDnc' | 'flagContactDoNotContact'>;
  revenue: Pick<RevenueRepo, 'insertRevenueEntry'>;
};

export type LocalActionContext = {
  tx: PoolClient;
  action: RuleAction;
  ruleId: string;
  pendingId: string;
  chainDepth: number;
  contact: ContactSnapshot;
  event: DomainEvent | null;
  now: Date;
  onContactChanged: ContactChangeHook;
  repos: LocalActionRepos;
};

/** What a local action did, for the log (and the events it raised). */
export type LocalResult = { detail: Record<string, unknown>; eventIds: string[] };

const stateOf = (c: ContactSnapshot): ContactState => ({
  name: c.name, email: c.email, phone: c.phone, pagerNumber: c.pagerNumber, timezone: c.timezone,
  onDuty: c.onDuty, doNotContact: c.doNotContact, status: c.status, customFields: c.customFields,
});

const changed = async (ctx: LocalActionContext, after: ContactState): Promise<string[]> =>
  ctx.onContactChanged(ctx.tx, {
    accountId: ctx.contact.accountId, contactId: ctx.contact.id, before: stateOf(ctx.contact), after,
    cause: { ruleId: ctx.ruleId, chainDepth: ctx.chainDepth },
  });

const updateField = async (ctx: LocalActionContext, a: Extract<RuleAction, { type: 'update_field' }>): Promise<LocalResult> => {
  const [, key, custom] = a.field.split('.');
  const current = resolveField(a.field, { contact: ctx.contact, event: ctx.event });
  let value: unknown;
  switch (a.operation) {
    case 'set': value = a.value; break;
    case 'copy': {
      const v = resolveField(a.from!, { contact: ctx.contact, event: ctx.event });
      value = v instanceof Date ? v.toISOString() : v ?? null;
      break;
    }
    case 'add':
    case 'subtract': {
      const base = isNumericText(current) ? Number(current) : 0;
      // Round to 10 decimals so 0.1 + 0.2 stores as 0.3.
      value = Math.round((base + (a.operation === 'add' ? 1 : -1) * (a.value as number)) * 1e10) / 1e10;
      break;
    }
    case 'stamp_now': value = ctx.now.toISOString(); break;
  }
  if (key === 'custom') {
    await ctx.repos.contacts.setContactCustomField(ctx.tx, ctx.contact.id, custom!, value);
    const after = { ...ctx.contact.customFields, [custom!]: value ?? null };
    return { detail: { field: a.field, from: current ?? null, to: value ?? null }, eventIds: await changed(ctx, { customFields: after }) };
  }
  const f = contactFields[key!]!;
  const typed = f.type === 'boolean' ? value === true || value === 'true' : value === null || value === undefined ? null : String(value);
  if (f.column === 'name' && (typed === null || typed === '')) throw Object.assign(new Error('name may not be empty'), { permanent: true });
  await ctx.repos.contacts.setContactColumn(ctx.tx, ctx.contact.id, f.column, typed);
  return { detail: { field: a.field, from: current ?? null, to: typed }, eventIds: await changed(ctx, { [key!]: typed }) };
};

/**
 * Runs an action that only writes PostgreSQL, inside the caller's transaction (with the
 * contact row locked), raising contact change events marked with the rule (loop protection).
 */
export const runLocalAction = async (ctx: LocalActionContext): Promise<LocalResult> => {
  const { tx, action: a, contact, repos } = ctx;
  switch (a.type) {
    case 'change_status': {
      if (contact.status === a.status) return { detail: { status: a.status, unchanged: true }, eventIds: [] };
      await repos.contacts.setContactColumn(tx, contact.id, 'status', a.status);
      return { detail: { from: contact.status, to: a.status }, eventIds: await changed(ctx, { status: a.status }) };
    }
    case 'update_field':
      return updateField(ctx, a);
    case 'move_to_list': {
      const removedFrom = a.removeFromOthers ? await repos.lists.removeFromOtherLists(tx, contact.id, a.listId) : [];
      const added = await repos.lists.addMemberIfListExists(tx, contact.accountId, a.listId, contact.id);
      return { detail: { listId: a.listId, added, removedFrom }, eventIds: [] };
    }
    case 'add_to_dnc': {
      const numbers = [contact.phone, contact.pagerNumber].filter((n): n is string => !!n && /^\+?[0-9]{5,20}$/.test(n));
      for (const n of numbers) {
        await repos.dnc.insertDnc(tx, { accountId: contact.accountId, phone: n, source: 'rule', ruleId: ctx.ruleId, contactId: contact.id });
      }
      if (contact.doNotContact) return { detail: { numbers, alreadyFlagged: true }, eventIds: [] };
      await repos.dnc.flagContactDoNotContact(tx, contact.id);
      return { detail: { numbers }, eventIds: await changed(ctx, { doNotContact: true }) };
    }
    case 'log_revenue': {
      const raw = a.amount ?? resolveField(a.amountField!, { contact, event: ctx.event });
      if (!isNumericText(raw)) return { detail: { skipped: 'amount_not_numeric', value: raw ?? null }, eventIds: [] };
      await repos.revenue.insertRevenueEntry(tx, {
        accountId: contact.accountId, contactId: contact.id, ruleId: ctx.ruleId, pendingId: ctx.pendingId, amount: Number(raw), currency: a.currency, note: a.note,
      });
      return { detail: { amount: Number(raw), currency: a.currency }, eventIds: [] };
    }
    default:
      throw new Error(`${a.type} is not a local action`);
  }
};
