import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { createPlanner } from '../../src/engine/planner.js';
import { createReadyPlans, type ReadyPlan, type ReadyResult } from '../../src/engine/ready-plans.js';
import { readyPlansRepo } from '../../src/engine/ready-plans-repo.js';
import { deliveriesRepo } from '../../src/engine/deliveries-repo.js';
import { engineRepo } from '../../src/engine/engine-repo.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const pendingOf = (r: ReadyResult) => r.deliveries.filter((d) => d.status === 'pending').map((d) => d.id);

/**
 * The one send path's door for rule, sequence, call-tracking and sender-report sends
 * (src/engine/ready-plans.ts): the activation and its outbox row in the caller's transaction,
 * then the planner (run here by hand: no workers) writes the deliveries and conversation rows.
 */
describe('ready plans: one hidden activation per send, written in the caller transaction, planned like any activation', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  const q = (sql: string, params: unknown[]) => t.rt.infra.db.query(sql, params).then((r) => r.rows);
  const planner = () => createPlanner({
    db: t.rt.infra.db, engine: engineRepo, deliveries: deliveriesRepo, queues: t.rt.services.engine.queues, feed: t.rt.services.engine.feed, extras: {}, logger: createLogger('silent'),
    settings: { batchSize: 100, conferenceRetryMs: 60_000 },
  });

  const batch = (accountId: string, contactId: string, key: string): ReadyPlan => ({
    accountId, source: 'call_tracking', key, context: { origin: 'test' },
    deliveries: [
      { actionId: 'a1', channel: 'sms', recipientKey: contactId, contactId, address: '+14155552671', payload: { body: 'Hello Ann', lineId: null, from: '+15550009999' }, meta: { m: 1 }, history: true },
      { actionId: 'a2', channel: 'email', recipientKey: 'owner:boss@example.test', contactId: null, address: 'boss@example.test', payload: { subject: 'Missed', text: 'Call back' }, meta: {} },
      { actionId: 'a3', channel: 'webhook', recipientKey: 'webhook', contactId: null, address: null, payload: { method: 'POST', url: 'https://hooks.example.test/x', body: null, authorizationSealed: null }, meta: {}, history: true },
      { actionId: 'a4', channel: 'voice', recipientKey: contactId, contactId, address: '+14155552671', payload: { text: 'Hi' }, meta: {}, skipReason: 'opted_out', history: true },
    ],
  });

  it('stores the activation and its outbox row; the planner writes the deliveries and conversation rows; a repeated key returns the first ids', async () => {
    const a = await createTestAccount(t);
    const contact = await a.api.post('/v1/contacts').send({ name: 'Ann', phone: '+14155552671' }).expect(201);
    const sends = createReadyPlans({ repo: readyPlansRepo });

    const first = await withTransaction(t.rt.infra.db, (tx) => sends.activateReady(tx, batch(a.account.id, contact.body.id, 'test:1')));
    expect(first.created).toBe(true);
    expect(first.deliveries.map((d) => [d.actionId, d.status, d.skipReason])).toEqual([
      ['a1', 'pending', null], ['a2', 'pending', null], ['a3', 'pending', null], ['a4', 'skipped', 'opted_out'],
    ]);
    expect(pendingOf(first)).toHaveLength(3);

    // Committed: the activation, queued, and its outbox row; nothing is sent or listed before the planner runs.
    const [queued] = await q('SELECT status FROM activations WHERE id = $1', [first.activationId]);
    expect(queued.status).toBe('queued');
    expect(await q(`SELECT completed_at FROM outbox WHERE topic = 'activation' AND ref_id = $1`, [first.activationId])).toEqual([{ completed_at: null }]);
    expect(await q('SELECT id FROM deliveries WHERE activation_id = $1', [first.activationId])).toEqual([]);

    await planner().plan(first.activationId);
    const [act] = await q('SELECT source, status, recipient_count, context, workflow_id FROM activations WHERE id = $1', [first.activationId]);
    // recipient_count as for every activation: people with a delivery that is not skipped (Ann, the owner, the webhook).
    expect(act).toMatchObject({ source: 'call_tracking', status: 'running', recipient_count: 3, context: { origin: 'test' } });
    const [wf] = await q('SELECT name, deleted_at FROM workflows WHERE id = $1', [act.workflow_id]);
    expect(wf.name).toBe('Call tracking sends');
    expect(wf.deleted_at).not.toBeNull(); // hidden: never listed, never takes a code
    const listed = await a.api.get('/v1/workflows').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain('Call tracking sends');
    expect(await q(`SELECT completed_at IS NOT NULL AS done FROM outbox WHERE topic = 'activation' AND ref_id = $1`, [first.activationId])).toEqual([{ done: true }]);

    // The delivery rows carry the ids the caller got at commit.
    const rows = await q('SELECT id, action_id, status, skip_reason FROM deliveries WHERE activation_id = $1 ORDER BY action_id', [first.activationId]);
    expect(rows).toEqual(first.deliveries.map((d) => ({ id: d.id, action_id: d.actionId, status: d.status, skip_reason: d.skipReason })));

    // Conversation history: only the text asked for it (the webhook and the skipped call never get a row).
    const msgs = await q('SELECT channel, to_address, body, status, delivery_id, meta FROM messages WHERE activation_id = $1', [first.activationId]);
    expect(msgs).toEqual([{ channel: 'sms', to_address: '+14155552671', body: 'Hello Ann', status: 'queued', delivery_id: first.deliveries[0]!.id, meta: { m: 1 } }]);
    const [skipped] = await q('SELECT final_at FROM deliveries WHERE id = $1', [first.deliveries[3]!.id]);
    expect(skipped.final_at).not.toBeNull();

    const again = await withTransaction(t.rt.infra.db, (tx) => sends.activateReady(tx, batch(a.account.id, contact.body.id, 'test:1')));
    expect(again).toEqual({ ...first, created: false });
    // Planning again, twice at once (a crash, the sweeper, a stalled job), adds nothing.
    await Promise.all([planner().plan(first.activationId), planner().plan(first.activationId)]);
    const [{ n }] = await q('SELECT count(*)::int AS n FROM deliveries WHERE account_id = $1', [a.account.id]);
    expect(n).toBe(4);
    const [{ m }] = await q('SELECT count(*)::int AS m FROM messages WHERE account_id = $1', [a.account.id]);
    expect(m).toBe(1);
  });

  it('completes an activation whose every delivery is skipped, and survives a rolled-back first send', async () => {
    const a = await createTestAccount(t);
    const sends = createReadyPlans({ repo: readyPlansRepo });
    const one = (key: string, skipReason: string | null): ReadyPlan => ({
      accountId: a.account.id, source: 'rule', key, context: {},
      deliveries: [{ actionId: 'x', channel: 'email', recipientKey: 'owner:o@example.test', contactId: null, address: 'o@example.test', payload: { subject: 's', text: 't' }, meta: {}, skipReason }],
    });
    // The system workflow created in a transaction that rolls back must not be remembered.
    await expect(withTransaction(t.rt.infra.db, async (tx) => {
      await sends.activateReady(tx, one('r:1', null));
      throw new Error('caller failed');
    })).rejects.toThrow('caller failed');
    expect(await q('SELECT 1 FROM activations WHERE account_id = $1', [a.account.id])).toHaveLength(0);
    expect(await q('SELECT 1 FROM outbox o JOIN activations a ON a.id::text = o.ref_id WHERE a.account_id = $1', [a.account.id])).toHaveLength(0);

    const done = await withTransaction(t.rt.infra.db, (tx) => sends.activateReady(tx, one('r:2', 'do_not_contact')));
    await planner().plan(done.activationId);
    const [act] = await q('SELECT source, status, completed_at FROM activations WHERE id = $1', [done.activationId]);
    expect(act.source).toBe('rule');
    expect(act.status).toBe('completed');
    expect(act.completed_at).not.toBeNull();
    expect(pendingOf(done)).toEqual([]);
    const wfs = await q(`SELECT name FROM workflows WHERE account_id = $1`, [a.account.id]);
    expect(wfs).toEqual([{ name: 'Rule sends' }]);
  });
});
