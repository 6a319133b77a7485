import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/db.js';
import { createDirectSends, pendingOf, ruleSends, trackingSends, type DirectSend } from '../../src/engine/direct-sends.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** The shared writer behind rule, sequence and call-tracking sends (src/delivery/direct-sends.ts). */
describe('direct sends: one hidden activation per send, written in the caller transaction', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  const q = (sql: string, params: unknown[]) => t.rt.infra.db.query(sql, params).then((r) => r.rows);

  const batch = (accountId: string, contactId: string, key: string): DirectSend => ({
    accountId, key, context: { origin: 'test' },
    deliveries: [
      { actionId: 'a1', channel: 'sms', recipientKey: contactId, contactId, address: '+14155552671', payload: { body: 'Hello Ann', lineId: null, from: '+15550009999' }, meta: { m: 1 }, history: true },
      { actionId: 'a2', channel: 'email', recipientKey: 'owner:boss@example.test', contactId: null, address: 'boss@example.test', payload: { subject: 'Missed', text: 'Call back' }, meta: {} },
      { actionId: 'a3', channel: 'webhook', recipientKey: 'webhook', contactId: null, address: null, payload: { method: 'POST', url: 'https://hooks.example.test/x', body: null, authorizationSealed: null }, meta: {}, history: true },
      { actionId: 'a4', channel: 'voice', recipientKey: contactId, contactId, address: '+14155552671', payload: { text: 'Hi' }, meta: {}, skipReason: 'opted_out', history: true },
    ],
  });

  it('stores the activation, its deliveries and the conversation rows; a repeated key returns the first rows', async () => {
    const a = await createTestAccount(t);
    const contact = await a.api.post('/v1/contacts').send({ name: 'Ann', phone: '+14155552671' }).expect(201);
    const sends = createDirectSends(trackingSends);

    const first = await withTransaction(t.rt.infra.db, (tx) => sends.send(tx, batch(a.account.id, contact.body.id, 'test:1')));
    expect(first.created).toBe(true);
    expect(first.deliveries.map((d) => [d.actionId, d.status, d.skipReason])).toEqual([
      ['a1', 'pending', null], ['a2', 'pending', null], ['a3', 'pending', null], ['a4', 'skipped', 'opted_out'],
    ]);
    expect(pendingOf(first)).toHaveLength(3);

    const [act] = await q('SELECT source, status, recipient_count, context, workflow_id FROM activations WHERE id = $1', [first.activationId]);
    expect(act).toMatchObject({ source: 'call_tracking', status: 'running', recipient_count: 4, context: { origin: 'test' } });
    const [wf] = await q('SELECT name, deleted_at FROM workflows WHERE id = $1', [act.workflow_id]);
    expect(wf.name).toBe('Call tracking sends');
    expect(wf.deleted_at).not.toBeNull(); // hidden: never listed, never takes a code
    const listed = await a.api.get('/v1/workflows').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain('Call tracking sends');

    // Conversation history: only the text asked for it (the webhook and the skipped call never get a row).
    const msgs = await q('SELECT channel, to_address, body, status, delivery_id, meta FROM messages WHERE activation_id = $1', [first.activationId]);
    expect(msgs).toEqual([{ channel: 'sms', to_address: '+14155552671', body: 'Hello Ann', status: 'queued', delivery_id: first.deliveries[0]!.id, meta: { m: 1 } }]);
    const [skipped] = await q('SELECT final_at FROM deliveries WHERE id = $1', [first.deliveries[3]!.id]);
    expect(skipped.final_at).not.toBeNull();

    const again = await withTransaction(t.rt.infra.db, (tx) => sends.send(tx, batch(a.account.id, contact.body.id, 'test:1')));
    expect(again).toEqual({ ...first, created: false });
    const [{ n }] = await q('SELECT count(*)::int AS n FROM deliveries WHERE account_id = $1', [a.account.id]);
    expect(n).toBe(4);
  });

  it('completes an activation whose every delivery is skipped, and survives a rolled-back first send', async () => {
    const a = await createTestAccount(t);
    const sends = createDirectSends(ruleSends);
    const one = (key: string, skipReason: string | null): DirectSend => ({
      accountId: a.account.id, key, context: {},
      deliveries: [{ actionId: 'x', channel: 'email', recipientKey: 'owner:o@example.test', contactId: null, address: 'o@example.test', payload: { subject: 's', text: 't' }, meta: {}, skipReason }],
    });
    // The system workflow created in a transaction that rolls back must not be remembered.
    await expect(withTransaction(t.rt.infra.db, async (tx) => {
      await sends.send(tx, one('r:1', null));
      throw new Error('caller failed');
    })).rejects.toThrow('caller failed');
    expect(await q('SELECT 1 FROM activations WHERE account_id = $1', [a.account.id])).toHaveLength(0);

    const done = await withTransaction(t.rt.infra.db, (tx) => sends.send(tx, one('r:2', 'do_not_contact')));
    const [act] = await q('SELECT source, status, completed_at FROM activations WHERE id = $1', [done.activationId]);
    expect(act.source).toBe('rule');
    expect(act.status).toBe('completed');
    expect(act.completed_at).not.toBeNull();
    expect(pendingOf(done)).toEqual([]);
    const wfs = await q(`SELECT name FROM workflows WHERE account_id = $1`, [a.account.id]);
    expect(wfs).toEqual([{ name: 'Rule sends' }]);
  });
});
