/**
 * Action engine fixtures: people, groups and workflows with any actions, written with plain SQL
 * (the workflow API has its own tests), and readers of what the engine stored.
 */
import type { TestRuntime } from './runtime.js';

export type Person = {
  name: string;
  phone?: string | null;
  email?: string | null;
  pagerNumber?: string | null;
  pushToken?: string | null;
  onDuty?: boolean;
  optedOutChannels?: string[];
  doNotContact?: boolean;
  customFields?: Record<string, unknown>;
};

export const addPeople = async (t: TestRuntime, accountId: string, people: Person[]): Promise<string[]> => {
  const ids: string[] = [];
  for (const p of people) {
    const r = await t.rt.infra.db.query(
      `INSERT INTO contacts (account_id, name, phone, email, pager_number, push_token, on_duty, opted_out_channels, do_not_contact, custom_fields)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [accountId, p.name, p.phone ?? null, p.email ?? null, p.pagerNumber ?? null, p.pushToken ?? null, p.onDuty ?? true,
        p.optedOutChannels ?? [], p.doNotContact ?? false, JSON.stringify(p.customFields ?? {})],
    );
    ids.push(r.rows[0].id);
  }
  return ids;
};

/** Many contacts at once (bench-sized), all in one new group; returns the group id. */
export const addCrowd = async (t: TestRuntime, accountId: string, n: number, phone: (i: number) => string): Promise<string> => {
  const db = t.rt.infra.db;
  const g = await db.query(`INSERT INTO groups (account_id, name) VALUES ($1, $2) RETURNING id`, [accountId, `crowd-${n}-${Date.now()}`]);
  const phones = Array.from({ length: n }, (_, i) => phone(i));
  await db.query(
    `WITH c AS (INSERT INTO contacts (account_id, name, phone) SELECT $1, 'Person ' || i, p FROM unnest($2::text[]) WITH ORDINALITY AS u(p, i) RETURNING id)
     INSERT INTO group_members (group_id, contact_id, account_id) SELECT $3, id, $1 FROM c`,
    [accountId, phones, g.rows[0].id],
  );
  return g.rows[0].id;
};

export const addGroupOf = async (t: TestRuntime, accountId: string, name: string, contactIds: string[]): Promise<string> => {
  const db = t.rt.infra.db;
  const g = await db.query('INSERT INTO groups (account_id, name) VALUES ($1, $2) RETURNING id', [accountId, name]);
  for (const c of contactIds) await db.query('INSERT INTO group_members (group_id, contact_id, account_id) VALUES ($1, $2, $3)', [g.rows[0].id, c, accountId]);
  return g.rows[0].id;
};

/** A workflow whose current version has exactly these actions (ids included). */
export const addWorkflow = async (
  t: TestRuntime, accountId: string, opts: { name: string; actions: Array<Record<string, unknown>>; codeLineId?: string | null },
): Promise<string> => {
  const db = t.rt.infra.db;
  const w = await db.query(`INSERT INTO workflows (account_id, name, code_line_id) VALUES ($1, $2, $3) RETURNING id`, [accountId, opts.name, opts.codeLineId ?? null]);
  const definition = { name: opts.name, description: '', codeActivation: null, schedule: null, actions: opts.actions };
  await db.query('INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3)', [w.rows[0].id, accountId, JSON.stringify(definition)]);
  return w.rows[0].id;
};

/** Deliveries of an activation, keyed `<contact name>/<channel>` for readable assertions. */
export const deliveriesOf = async (t: TestRuntime, activationId: string) => {
  const res = await t.rt.infra.db.query(
    `SELECT d.*, c.name FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id WHERE d.activation_id = $1 ORDER BY c.name, d.channel`,
    [activationId],
  );
  return res.rows as Array<Record<string, any>>;
};

export const activationStatus = async (t: TestRuntime, activationId: string): Promise<string> =>
  (await t.rt.infra.db.query('SELECT status FROM activations WHERE id = $1', [activationId])).rows[0]?.status;
