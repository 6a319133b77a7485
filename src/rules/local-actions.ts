import type { PoolClient } from 'pg';
import type { ContactChangeHook, ContactState } from '../events/contact-events.js';
import type { DomainEvent } from '../events/event-types.js';
import { isNumericText } from './conditions.js';
import { contactFields, resolveField, type ContactSnapshot } from './fields.js';
import type { RuleAction } from './rule-types.js';

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
    await ctx.tx.query(
      `UPDATE contacts SET custom_fields = jsonb_set(custom_fields, ARRAY[$2::text], $3::jsonb, true), updated_at = now() WHERE id = $1`,
      [ctx.contact.id, custom, JSON.stringify(value ?? null)],
    );
    const after = { ...ctx.contact.customFields, [custom!]: value ?? null };
    return { detail: { field: a.field, from: current ?? null, to: value ?? null }, eventIds: await changed(ctx, { customFields: after }) };
  }
  const f = contactFields[key!]!;
  const typed = f.type === 'boolean' ? value === true || value === 'true' : value === null || value === undefined ? null : String(value);
  if (f.column === 'name' && (typed === null || typed === '')) throw Object.assign(new Error('name may not be empty'), { permanent: true });
  await ctx.tx.query(`UPDATE contacts SET ${f.column} = $2, updated_at = now() WHERE id = $1`, [ctx.contact.id, typed]);
  return { detail: { field: a.field, from: current ?? null, to: typed }, eventIds: await changed(ctx, { [key!]: typed }) };
};

/**
 * Runs an action that only writes PostgreSQL, inside the caller's transaction (with the
 * contact row locked), raising contact change events marked with the rule (loop protection).
 */
export const runLocalAction = async (ctx: LocalActionContext): Promise<LocalResult> => {
  const { tx, action: a, contact } = ctx;
  switch (a.type) {
    case 'change_status': {
      if (contact.status === a.status) return { detail: { status: a.status, unchanged: true }, eventIds: [] };
      await tx.query('UPDATE contacts SET status = $2, updated_at = now() WHERE id = $1', [contact.id, a.status]);
      return { detail: { from: contact.status, to: a.status }, eventIds: await changed(ctx, { status: a.status }) };
    }
    case 'update_field':
      return updateField(ctx, a);
    case 'move_to_list': {
      const removed = a.removeFromOthers
        ? await tx.query('DELETE FROM contact_list_members WHERE contact_id = $1 AND list_id <> $2 RETURNING list_id', [contact.id, a.listId])
        : { rows: [] };
      const added = await tx.query(
        `INSERT INTO contact_list_members (list_id, contact_id, account_id) SELECT $1, $2, $3
          WHERE EXISTS (SELECT 1 FROM contact_lists WHERE id = $1 AND account_id = $3) ON CONFLICT DO NOTHING RETURNING list_id`,
        [a.listId, contact.id, contact.accountId],
      );
      return { detail: { listId: a.listId, added: (added.rowCount ?? 0) > 0, removedFrom: removed.rows.map((r) => r.list_id) }, eventIds: [] };
    }
    case 'add_to_dnc': {
      const numbers = [contact.phone, contact.pagerNumber].filter((n): n is string => !!n && /^\+?[0-9]{5,20}$/.test(n));
      for (const n of numbers) {
        await tx.query(
          `INSERT INTO dnc_numbers (account_id, phone, source, rule_id, contact_id) VALUES ($1, $2, 'rule', $3, $4) ON CONFLICT DO NOTHING`,
          [contact.accountId, n, ctx.ruleId, contact.id],
        );
      }
      if (contact.doNotContact) return { detail: { numbers, alreadyFlagged: true }, eventIds: [] };
      await tx.query('UPDATE contacts SET do_not_contact = true, updated_at = now() WHERE id = $1', [contact.id]);
      return { detail: { numbers }, eventIds: await changed(ctx, { doNotContact: true }) };
    }
    case 'log_revenue': {
      const raw = a.amount ?? resolveField(a.amountField!, { contact, event: ctx.event });
      if (!isNumericText(raw)) return { detail: { skipped: 'amount_not_numeric', value: raw ?? null }, eventIds: [] };
      await tx.query(
        `INSERT INTO revenue_entries (account_id, contact_id, rule_id, pending_id, amount, currency, note) VALUES ($1,$2,$3,$4,$5,$6,$7)
         ON CONFLICT (pending_id) DO NOTHING`,
        [contact.accountId, contact.id, ctx.ruleId, ctx.pendingId, Number(raw), a.currency, a.note],
      );
      return { detail: { amount: Number(raw), currency: a.currency }, eventIds: [] };
    }
    default:
      throw new Error(`${a.type} is not a local action`);
  }
};
