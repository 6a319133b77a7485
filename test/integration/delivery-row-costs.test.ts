/**
 * What each text costs PostgreSQL (migration 1000000001400): the claim that marks a delivery
 * `sending` is a HOT update (no index entry written), `open_phase` follows the status, and the
 * engine's open / awaiting queries can still use their partial indexes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PoolClient } from 'pg';
import { claimSendable } from '../../src/engine/contact-refusals-repo.js';
import { finish, insertPlanned, type PlannedDelivery } from '../../src/engine/deliveries-repo.js';
import { awaitingCarrierSql, openSql } from '../../src/engine/delivery-status.js';
import { addCrowd, addWorkflow } from '../helpers/engine-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

let t: TestRuntime;
let accountId: string;
let workflowId: string;
let people: Array<{ id: string; phone: string }>;

beforeAll(async () => {
  t = await startTestRuntime({}, { web: false, worker: false });
  accountId = (await createTestAccount(t)).account.id;
  const group = await addCrowd(t, accountId, 60, (i) => `+1416555${String(1000 + i)}`);
  people = (await t.rt.infra.db.query('SELECT c.id, c.phone FROM contacts c JOIN group_members m ON m.contact_id = c.id WHERE m.group_id = $1 ORDER BY c.phone', [group])).rows;
  workflowId = await addWorkflow(t, accountId, { name: 'Costs', actions: [{ id: 'n', type: 'notification', groupIds: [group], message: 'Drill', channels: ['sms'] }] });
});
afterAll(async () => { await t?.close(); });

/** An activation with one pending text per person, written as the planner writes them. */
const plannedTexts = async () => {
  const { activation } = await t.rt.services.activations.activate({ accountId, workflowId, source: 'api', idempotencyKey: randomUUID() });
  const rows: PlannedDelivery[] = people.map((p) => ({
    actionId: 'n', recipientKey: `c:${p.id}`, contactId: p.id, channel: 'sms', address: p.phone,
    status: 'pending', skipReason: null, payload: { body: 'Drill' }, meta: {},
  }));
  const made = await insertPlanned(t.rt.infra.db, accountId, activation.id, rows);
  return { activationId: activation.id, ids: made.map((d) => d.id) };
};

/** This transaction's own row-version counts on `deliveries` (pg_stat_xact_user_tables: no flush lag). */
const updatesIn = async (tx: PoolClient) => {
  const r = await tx.query(`SELECT n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_xact_user_tables WHERE relname = 'deliveries'`);
  return r.rows[0] as { upd: number; hot: number };
};

const inTx = async <T>(fn: (tx: PoolClient) => Promise<T>): Promise<T> => {
  const tx = await t.rt.infra.db.connect();
  try {
    await tx.query('BEGIN');
    const out = await fn(tx);
    await tx.query('COMMIT');
    return out;
  } catch (err) {
    await tx.query('ROLLBACK');
    throw err;
  } finally {
    tx.release();
  }
};

describe('delivery rows', () => {
  it('a claim (pending -> sending) is a HOT update: it writes no index entry', async () => {
    const { ids } = await plannedTexts();
    const counted = await inTx(async (tx) => {
      const claimed = await claimSendable(tx, ids, randomUUID());
      return { claimed: claimed.send.length, ...(await updatesIn(tx)) };
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
});
