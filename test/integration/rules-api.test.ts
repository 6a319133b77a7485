import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

describe('rules and events API', () => {
  let t: TestRuntime;
  let a: Acct;
  let b: Acct;
  let contact: string;
  let list: string;
  let n = 0;
  const rule = (over: Record<string, unknown> = {}) => ({
    name: `rule ${++n}`,
    eventType: 'call.ended',
    conditions: [{ field: 'event.disposition', operator: 'equals', value: 'missed' }],
    actions: [{ type: 'change_status', status: 'callback' }],
    ...over,
  });

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
    b = await createTestAccount(t);
    contact = (await a.api.post('/v1/contacts').send({ name: 'Ada', phone: '+14155550111', email: 'ada@example.test' }).expect(201)).body.id;
    list = (await a.api.post('/v1/lists').send({ name: 'Hot leads' }).expect(201)).body.id;
  });
  afterAll(async () => t?.close());

  it('creates, reads, patches and deletes a rule; action ids are assigned; secrets are write-only', async () => {
    const created = await a.api.post('/v1/rules').send(rule({
      actions: [
        { type: 'http', url: 'https://crm.example.test/hook', authorization: 'Bearer s3cret', body: '{"name":"{{contact.name}}"}' },
        { type: 'move_to_list', listId: list, timing: { type: 'delay', hours: 2 } },
      ],
      rolloutPercent: 50, skipIfPending: true, window: '9-5',
      stopIf: { statuses: ['won'], finalStatus: true },
    })).expect(201);
    expect(created.body).toMatchObject({
      eventType: 'call.ended', enabled: true, rolloutPercent: 50, skipIfPending: true, window: '9-5', loopCount: 0,
      actions: [
        { id: 'a1', type: 'http', method: 'POST', authorizationSet: true, active: true, timing: { type: 'immediate' } },
        { id: 'a2', type: 'move_to_list', listId: list, timing: { type: 'delay', days: 0, hours: 2, minutes: 0 } },
      ],
    });
    expect(JSON.stringify(created.body)).not.toContain('s3cret');
    const id = created.body.id;

    // PATCH keeps the sealed authorization when the action keeps its id and omits it.
    const patched = await a.api.patch(`/v1/rules/${id}`).send({
      actions: [{ id: 'a1', type: 'http', url: 'https://crm.example.test/v2' }],
    }).expect(200);
    expect(patched.body.actions).toEqual([expect.objectContaining({ id: 'a1', url: 'https://crm.example.test/v2', authorizationSet: true })]);

    await b.api.get(`/v1/rules/${id}`).expect(404);
    const listed = await a.api.get('/v1/rules?eventType=call.ended').expect(200);
    expect(listed.body.data.map((r: { id: string }) => r.id)).toContain(id);
    await a.api.delete(`/v1/rules/${id}`).expect(200);
    await a.api.get(`/v1/rules/${id}`).expect(404);
  });

  it.each([
    [{ field: 'event.callCount', operator: 'contains', value: '3' }, 'conditions.0.operator'],
    [{ field: 'event.disposition', operator: 'greater_than', value: 3 }, 'conditions.0.operator'],
    [{ field: 'contact.createdAt', operator: 'starts_with', value: '2025' }, 'conditions.0.operator'],
    [{ field: 'contact.onDuty', operator: 'between', value: [1, 2] }, 'conditions.0.operator'],
    [{ field: 'contact.custom.score', type: 'number', operator: 'is_numeric' }, 'conditions.0.operator'],
  ])('refuses operator %j that does not fit its field (400 operator_not_allowed)', async (cond, path) => {
    const res = await a.api.post('/v1/rules').send(rule({ conditions: [cond] })).expect(400);
    expect(res.body.error).toBe('operator_not_allowed');
    expect(res.body.details).toEqual([{ path, message: expect.stringContaining('does not fit') }]);
  });

  it.each([
    [{ field: 'event.callCount', operator: 'between', value: [5, 2] }, 'conditions.0.value'],
    [{ field: 'event.callCount', operator: 'between', value: [1] }, 'conditions.0.value'],
    [{ field: 'event.callCount', operator: 'equals', value: 'three' }, 'conditions.0.value'],
    [{ field: 'contact.createdAt', operator: 'within', value: { amount: 0, unit: 'days' } }, 'conditions.0.value'],
    [{ field: 'contact.createdAt', operator: 'greater_than', value: 'yesterday' }, 'conditions.0.value'],
    [{ field: 'contact.name', operator: 'is_blank', value: 'x' }, 'conditions.0.value'],
    [{ field: 'event.nope', operator: 'equals', value: 'x' }, 'conditions.0.field'],
    [{ field: 'contact.shoeSize', operator: 'equals', value: 'x' }, 'conditions.0.field'],
    [{ field: 'contact.name', operator: 'equals', value: 'x', type: 'number' }, 'conditions.0.type'],
  ])('refuses %j naming %s', async (cond, path) => {
    const res = await a.api.post('/v1/rules').send(rule({ conditions: [cond] })).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });

  it('checks scope ids, action references and action shapes, and stores nothing on error', async () => {
    const ghost = '00000000-0000-4000-8000-000000000000';
    const before = (await a.api.get('/v1/rules').expect(200)).body.data.length;
    const res = await a.api.post('/v1/rules').send(rule({
      scope: { type: 'lists', ids: [list, ghost] },
      actions: [
        { type: 'move_to_list', listId: ghost },
        { type: 'update_field', field: 'contact.phone', operation: 'set', value: '+1' },
        { type: 'update_field', field: 'contact.custom.score', operation: 'add', value: 'x' },
        { type: 'log_revenue' },
        { type: 'email', subject: 'Hi', message: 'x', timing: { type: 'relative', field: 'event.when', days: 1 } },
      ],
    })).expect(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'actions.0.listId', 'actions.1.field', 'actions.2.value', 'actions.3.amount', 'actions.4.timing.field', 'scope.ids.1',
    ]);
    const bad = await a.api.post('/v1/rules').send(rule({ actions: [{ type: 'http', url: 'http://insecure.test/' }] })).expect(400);
    expect(bad.body.details[0].path).toBe('actions.0.url');
    // Another account's list is not usable either.
    const otherList = (await b.api.post('/v1/lists').send({ name: 'B list' }).expect(201)).body.id;
    const cross = await a.api.post('/v1/rules').send(rule({ scope: { type: 'lists', ids: [otherList] } })).expect(400);
    expect(cross.body.details).toEqual([{ path: 'scope.ids.0', message: 'no such list' }]);
    expect((await a.api.get('/v1/rules').expect(200)).body.data.length).toBe(before);
  });

  it('accepts an event by contact phone with 202, replays the same key with 200, refuses a changed body with 422', async () => {
    const body = { type: 'invoice.paid', contact: { phone: '+1 415 555 0111' }, data: { amount: 42 } };
    const first = await a.api.post('/v1/events').set('Idempotency-Key', 'inv-1').send(body).expect(202);
    expect(first.body).toMatchObject({ type: 'invoice.paid', contactId: contact, data: { amount: 42 }, source: 'api', idempotencyKey: 'inv-1', chainDepth: 0 });
    const again = await a.api.post('/v1/events').set('Idempotency-Key', 'inv-1').send(body).expect(200);
    expect(again.body.id).toBe(first.body.id);
    const changed = await a.api.post('/v1/events').set('Idempotency-Key', 'inv-1').send({ ...body, data: { amount: 43 } }).expect(422);
    expect(changed.body.error).toBe('idempotency_key_reused');
    // The event and its outbox row were stored once.
    const rows = await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'event' AND ref_id = $1`, [first.body.id]);
    expect(rows.rows[0].n).toBe(1);
    // Same key in another account is another event.
    await b.api.post('/v1/events').set('Idempotency-Key', 'inv-1').send({ type: 'invoice.paid' }).expect(202);
    await a.api.get(`/v1/events/${first.body.id}`).expect(200);
    await b.api.get(`/v1/events/${first.body.id}`).expect(404);
  });

  it('names the bad field of an event', async () => {
    const unknown = await a.api.post('/v1/events').send({ type: 'x.y', contact: { email: 'nobody@example.test' } }).expect(400);
    expect(unknown.body).toMatchObject({ error: 'contact_not_found', details: [{ path: 'contact.email' }] });
    const badType = await a.api.post('/v1/events').send({ type: 'Not A Type' }).expect(400);
    expect(badType.body.details[0].path).toBe('type');
    const two = await a.api.post('/v1/events').send({ type: 'x.y', contact: { id: contact, email: 'ada@example.test' } }).expect(400);
    expect(two.body.details[0].path).toBe('contact');
    const mismatch = await a.api.post('/v1/events').set('Idempotency-Key', 'k1').send({ type: 'x.y', idempotencyKey: 'k2' }).expect(400);
    expect(mismatch.body.details[0].path).toBe('idempotencyKey');
  });

  it('keeps a do-not-contact list that flags the contact with the number', async () => {
    const added = await a.api.post('/v1/dnc').send({ phone: '+1 (415) 555-0111' }).expect(201);
    expect(added.body).toMatchObject({ phone: '+14155550111', source: 'api', contactId: contact });
    await a.api.post('/v1/dnc').send({ phone: '+14155550111' }).expect(200);
    expect((await a.api.get(`/v1/contacts/${contact}`).expect(200)).body.doNotContact).toBe(true);
    const listed = await a.api.get('/v1/dnc').expect(200);
    expect(listed.body.data.map((d: { phone: string }) => d.phone)).toEqual(['+14155550111']);
    expect((await b.api.get('/v1/dnc').expect(200)).body.data).toEqual([]);
    await a.api.delete('/v1/dnc/+14155550111').expect(200);
    expect((await a.api.get(`/v1/contacts/${contact}`).expect(200)).body.doNotContact).toBe(false);
    await a.api.delete('/v1/dnc/+14155550111').expect(404);
    const bad = await a.api.post('/v1/dnc').send({ phone: '12' }).expect(400);
    expect(bad.body.details[0].path).toBe('phone');
    // The change raised contact.field_changed events.
    const ev = await a.api.get(`/v1/events?type=contact.field_changed&contactId=${contact}`).expect(200);
    expect(ev.body.data.map((e: { data: { to: boolean } }) => e.data.to)).toEqual([false, true]);
  });

  it('manages contact lists and their members', async () => {
    await a.api.post('/v1/lists').send({ name: 'hot LEADS' }).expect(409);
    await a.api.post(`/v1/lists/${list}/members`).send({ contactIds: [contact] }).expect(200, { added: 1 });
    await a.api.post(`/v1/lists/${list}/members`).send({ contactIds: [contact] }).expect(200, { added: 0 });
    const bad = await a.api.post(`/v1/lists/${list}/members`).send({ contactIds: ['00000000-0000-4000-8000-000000000000'] }).expect(400);
    expect(bad.body.details[0].path).toBe('contactIds.0');
    expect((await a.api.get(`/v1/lists/${list}`).expect(200)).body.memberCount).toBe(1);
    await b.api.get(`/v1/lists/${list}`).expect(404);
  });

  it('lists logs, pending actions and rule history with 404 for unknown objects', async () => {
    await a.api.get('/v1/rule-logs?actionType=sms&kind=action').expect(200, { data: [], nextCursor: null });
    const hist = await a.api.get(`/v1/contacts/${contact}/rule-history`).expect(200);
    expect(hist.body).toEqual({ data: [], pending: [], nextCursor: null });
    await b.api.get(`/v1/contacts/${contact}/rule-history`).expect(404);
    await a.api.delete('/v1/rule-pending-actions/00000000-0000-4000-8000-000000000000').expect(404);
    await a.api.post('/v1/rules/00000000-0000-4000-8000-000000000000/flush').send({}).expect(404);
    await a.api.get('/v1/rule-logs?from=notadate').expect(400);
  });
});
