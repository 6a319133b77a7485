/**
 * What each text costs PostgreSQL: the claim that marks a delivery `sending` is a HOT update (no
 * index entry written), `open_phase` follows the status, and the engine's open / awaiting queries
 * can still use their partial indexes (migration 1000000001400); writing a text's rows looks up
 * no parent row, and deleting a parent still does what the dropped foreign keys did
 * (1000000001410).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolClient } from 'pg';
import { withTransaction } from '../../src/db/db.js';
import { claimSendable } from '../../src/engine/contact-refusals-repo.js';
import { finish, insertPlanned, type PlannedDelivery } from '../../src/engine/deliveries-repo.js';
import { awaitingCarrierSql, openSql } from '../../src/engine/delivery-status.js';
import { addTwilioLine } from '../helpers/carrier-fixtures.js';
import { addCrowd, addWorkflow } from '../helpers/engine-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let t: TestRuntime;
let accountId: string;
let workflowId: string;
let people: Array<{ id: string; phone: string }>;
let lineId: string;

beforeAll(async () => {
  t = await startTestRuntime({}, { web: false, worker: false });
  accountId = (await createTestAccount(t)).account.id;
  const group = await addCrowd(t, accountId, 60, (i) => `+1416555${String(1000 + i)}`);
  people = (await t.rt.infra.db.query('SELECT c.id, c.phone FROM contacts c JOIN group_members m ON m.contact_id = c.id WHERE m.group_id = $1 ORDER BY c.phone', [group])).rows;
  lineId = (await addTwilioLine(t, accountId)).id;
  workflowId = await addWorkflow(t, accountId, { name: 'Costs', actions: [{ id: 'n', type: 'notification', groupIds: [group], message: 'Drill', channels: ['sms'] }] });
});
afterAll(async () => { await t?.close(); });

/** One pending text per person, as the planner writes them. */
const textRows = (who = people): PlannedDelivery[] => who.map((p) => ({
  actionId: 'n', recipientKey: `c:${p.id}`, contactId: p.id, channel: 'sms', address: p.phone,
  status: 'pending', skipReason: null, payload: { body: 'Drill', lineId }, meta: {},
}));

/** An activation with one pending text per person, written as the planner writes them. */
const plannedTexts = async (account = accountId, workflow = workflowId, who = people) => {
  const { activation } = await t.rt.services.activations.activate({ accountId: account, workflowId: workflow, source: 'api', idempotencyKey: randomUUID() });
  const made = await insertPlanned(t.rt.infra.db, account, activation.id, textRows(who));
  return { activationId: activation.id, ids: made.map((d) => d.id) };
};

const count = async (sql: string, params: unknown[]) => (await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n as number;

/**
 * This backend's row-version counts on `deliveries` not yet reported (pg_stat_xact_user_tables:
 * no flush lag, but it also holds what earlier transactions of this connection did: compare two
 * readings).
 */
const updatesIn = async (tx: PoolClient) => {
  const r = await tx.query(`SELECT n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_xact_user_tables WHERE relname = 'deliveries'`);
  return (r.rows[0] ?? { upd: 0, hot: 0 }) as { upd: number; hot: number };
};

/** Reads of the parent tables by this backend not yet reported (see `updatesIn`). */
const parentScans = async (tx: PoolClient): Promise<Record<string, number>> => {
  const r = await tx.query(
    `SELECT t.relname, COALESCE((SELECT COALESCE(x.idx_scan, 0) + COALESCE(x.seq_scan, 0) FROM pg_stat_xact_user_tables x WHERE x.relname = t.relname), 0)::int AS scans
       FROM unnest(ARRAY['accounts', 'activations', 'contacts', 'lines']) AS t(relname)`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.relname, x.scans]));
};

const inTx = <T>(fn: (tx: PoolClient) => Promise<T>): Promise<T> => withTransaction(t.rt.infra.db, fn);

describe('delivery rows', () => {
  it('a claim (pending -> sending) is a HOT update: it writes no index entry', async () => {
    const { ids } = await plannedTexts();
    const counted = await inTx(async (tx) => {
      const before = await updatesIn(tx);
      const claimed = await claimSendable(tx, ids, randomUUID());
      const after = await updatesIn(tx);
      return { claimed: claimed.send.length, upd: after.upd - before.upd, hot: after.hot - before.hot };
    });
    expect(counted.claimed).toBe(people.length);
    expect(counted.upd).toBe(people.length);
    expect(counted.hot).toBe(people.length);
  });

  it('open_phase follows the status: 0 until handed over, 1 while the carrier may still report, none once final', async () => {
    const { activationId, ids } = await plannedTexts();
    const phases = async () => (await t.rt.infra.db.query(
      'SELECT status, channel, open_phase FROM deliveries WHERE id = ANY($1::uuid[]) ORDER BY id', [ids.slice(0, 3)],
    )).rows.map((r) => `${r.status}:${r.open_phase}`);
    expect(await phases()).toEqual(['pending:0', 'pending:0', 'pending:0']);
    const token = randomUUID();
    await claimSendable(t.rt.infra.db, ids.slice(0, 3), token);
    expect(await phases()).toEqual(['sending:0', 'sending:0', 'sending:0']);
    const [a, b, c] = [...ids.slice(0, 3)].sort();
    await finish(t.rt.infra.db, token, [
      { id: a!, status: 'queued', provider: 'twilio', providerId: `SM${randomUUID().replace(/-/g, '')}` },
      { id: b!, status: 'sent', provider: 'twilio', providerId: `SM${randomUUID().replace(/-/g, '')}` },
      { id: c!, status: 'failed', errorCode: '21211', errorMessage: 'invalid number' },
    ]);
    expect(await phases()).toEqual(['queued:1', 'sent:1', 'failed:null']);
    // What the engine asks of an activation, through the same predicates it uses.
    const open = await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM deliveries d WHERE d.activation_id = $1 AND ${openSql}`, [activationId]);
    const awaiting = await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM deliveries d WHERE d.activation_id = $1 AND (${awaitingCarrierSql})`, [activationId]);
    expect(open.rows[0].n).toBe(people.length - 3);
    expect(awaiting.rows[0].n).toBe(2);
  });

  it("the engine's open and awaiting queries can use their partial indexes", async () => {
    const plan = async (sql: string) => inTx(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      await tx.query('SET LOCAL enable_bitmapscan = off');
      return (await tx.query(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
    });
    const someId = "'00000000-0000-0000-0000-000000000000'::uuid";
    expect(await plan(`SELECT 1 FROM deliveries d WHERE d.activation_id = ${someId} AND ${openSql}`)).toContain('deliveries_open_activation_idx');
    expect(await plan(`SELECT 1 FROM deliveries d WHERE d.activation_id = ${someId} AND (${awaitingCarrierSql})`)).toContain('deliveries_awaiting_activation_idx');
    expect(await plan(`SELECT d.id FROM deliveries d WHERE (${awaitingCarrierSql}) AND d.provider = 'twilio' ORDER BY d.sent_at LIMIT 10`)).toContain('deliveries_carrier_check_idx');
  });

  it('writing a plan\'s rows looks up no parent row (no per-row foreign-key check)', async () => {
    const { activation } = await t.rt.services.activations.activate({ accountId, workflowId, source: 'api', idempotencyKey: randomUUID() });
    const scans = await inTx(async (tx) => {
      const before = await parentScans(tx);
      const made = await insertPlanned(tx, accountId, activation.id, textRows());
      const after = await parentScans(tx);
      return { made: made.length, scans: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) };
    });
    expect(scans.made).toBe(people.length);
    // With the foreign keys: two look-ups of the contact, activation and account per text, one of the line.
    expect(scans.scans).toEqual({ accounts: 0, activations: 0, contacts: 0, lines: 0 });
    expect(await count('messages WHERE activation_id = $1 AND line_id = $2', [activation.id, lineId])).toBe(people.length);
  });

  it('deleting a contact or a line unlinks their rows; deleting an activation or an account removes its rows', async () => {
    const db = t.rt.infra.db;
    const other = (await createTestAccount(t)).account.id;
    const group = await addCrowd(t, other, 4, (i) => `+1416777${String(1000 + i)}`);
    const four = (await db.query('SELECT c.id, c.phone FROM contacts c JOIN group_members m ON m.contact_id = c.id WHERE m.group_id = $1 ORDER BY c.phone', [group])).rows;
    const line = await addTwilioLine(t, other);
    lineId = line.id;
    const wf = await addWorkflow(t, other, { name: 'Gone', actions: [{ id: 'n', type: 'notification', groupIds: [group], message: 'Drill', channels: ['sms'] }] });
    const first = await plannedTexts(other, wf, four);
    const second = await plannedTexts(other, wf, four);
    const token = randomUUID();
    await claimSendable(db, first.ids, token);
    await finish(db, token, first.ids.map((id) => ({ id, status: 'queued' as const, provider: 'twilio', providerId: `SM${randomUUID().replace(/-/g, '')}` })));
    expect(await count('delivery_events WHERE delivery_id = ANY($1::uuid[])', [first.ids])).toBe(4);

    await db.query('DELETE FROM contacts WHERE id = $1', [four[0].id]);
    expect(await count('deliveries WHERE account_id = $1 AND contact_id IS NULL', [other])).toBe(2);
    expect(await count('messages WHERE account_id = $1 AND contact_id IS NULL', [other])).toBe(2);

    await db.query('DELETE FROM lines WHERE id = $1', [line.id]);
    expect(await count('messages WHERE account_id = $1 AND line_id IS NOT NULL', [other])).toBe(0);

    await db.query('DELETE FROM activations WHERE id = $1', [first.activationId]);
    expect(await count('deliveries WHERE activation_id = $1', [first.activationId])).toBe(0);
    expect(await count('delivery_events WHERE delivery_id = ANY($1::uuid[])', [first.ids])).toBe(0);
    // The conversation history keeps what was sent, unlinked from the activation and its deliveries.
    expect(await count('messages WHERE account_id = $1 AND activation_id IS NULL AND delivery_id IS NULL', [other])).toBe(4);
    expect(await count('deliveries WHERE activation_id = $1', [second.activationId])).toBe(4);

    await db.query('DELETE FROM accounts WHERE id = $1', [other]);
    expect(await count('deliveries WHERE account_id = $1', [other])).toBe(0);
    expect(await count('messages WHERE account_id = $1', [other])).toBe(0);
    expect(await count('delivery_events WHERE account_id = $1', [other])).toBe(0);
  });
});
