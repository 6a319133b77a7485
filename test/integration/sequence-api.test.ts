import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContact, addSimLine, newAccount, startSequenceEnv, type SequenceEnv } from './sequence-harness.js';

describe('sequences API: CRUD, versions, steps, templates, enrollments, history', () => {
  let env: SequenceEnv;
  beforeAll(async () => { env = await startSequenceEnv(); });
  afterAll(async () => env?.close());

  const simple = (name = 'Simple') => ({
    name,
    steps: [
      { id: 'hi', type: 'send', send: { channel: 'sms', message: 'Hello' } },
      { type: 'delay', delay: { amount: 1, unit: 'days' } },
      { id: 'bye', type: 'send', send: { channel: 'sms', message: 'Bye' } },
    ],
  });

  it('rejects bad definitions with a 400 naming the field, and writes nothing', async () => {
    const a = await newAccount(env);
    const bad = await a.api.post('/v1/sequences').send({
      name: 'Bad', steps: [{ type: 'send', send: { channel: 'sms', message: 'x' } }, { type: 'delay', delay: { amount: 1, unit: 'days' } },
        { type: 'delay', delay: { amount: 'soon', unit: 'days' } }],
    }).expect(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'steps.2.delay.amount' }] });

    const unit = await a.api.post('/v1/sequences').send({ name: 'Bad', steps: [{ type: 'delay', delay: { amount: 1, unit: 'fortnights' } }] }).expect(400);
    expect(unit.body.details[0].path).toBe('steps.0.delay.unit');

    const ref = await a.api.post('/v1/sequences').send({
      name: 'Bad', steps: [{ type: 'branch', branch: { condition: { type: 'replied' }, then: 'ghost' } }, { type: 'send', send: { channel: 'sms', message: 'x' } }],
    }).expect(400);
    expect(ref.body.details).toEqual([{ path: 'steps.0.branch.then', message: 'no step has the id ghost' }]);

    const exit = await a.api.post('/v1/sequences').send({ ...simple('Bad'), exits: [{ type: 'event', eventType: 'not a type!' }] }).expect(400);
    expect(exit.body.details[0].path).toBe('exits.0.eventType');

    const line = await a.api.post('/v1/sequences').send({ ...simple('Bad'), lineId: '00000000-0000-4000-8000-000000000000' }).expect(400);
    expect(line.body.details).toEqual([{ path: 'lineId', message: 'no such line in this account' }]);
    expect((await a.api.get('/v1/sequences').expect(200)).body.data).toEqual([]);
  });

  it('creates, reads, lists, renames; edits make new versions; another account gets 404s', async () => {
    const a = await newAccount(env);
    const b = await newAccount(env);
    const s = (await a.api.post('/v1/sequences').send(simple()).expect(201)).body;
    expect(s).toMatchObject({ name: 'Simple', status: 'active', currentVersion: 1, allowReenrollment: false, exits: [] });
    expect(s.steps.map((x: { id: string }) => x.id)).toEqual(['hi', 's1', 'bye']);
    await a.api.post('/v1/sequences').send(simple('simple')).expect(409);

    const renamed = (await a.api.patch(`/v1/sequences/${s.id}`).send({ name: 'Renamed', allowReenrollment: true }).expect(200)).body;
    expect(renamed).toMatchObject({ name: 'Renamed', currentVersion: 1, allowReenrollment: true });

    const added = (await a.api.post(`/v1/sequences/${s.id}/steps?position=1`).send({ id: 'mid', type: 'send', send: { channel: 'email', subject: 'S', message: 'M' } }).expect(201)).body;
    expect(added.currentVersion).toBe(2);
    expect(added.steps.map((x: { id: string }) => x.id)).toEqual(['hi', 'mid', 's1', 'bye']);
    const changed = (await a.api.put(`/v1/sequences/${s.id}/steps/s1`).send({ type: 'delay', delay: { amount: 3, unit: 'hours' } }).expect(200)).body;
    expect(changed.currentVersion).toBe(3);
    expect(changed.steps[2]).toEqual({ id: 's1', type: 'delay', delay: { amount: 3, unit: 'hours' } });
    const badStep = await a.api.put(`/v1/sequences/${s.id}/steps/s1`).send({ type: 'delay', delay: { amount: 3, unit: 'eons' } }).expect(400);
    expect(badStep.body.details[0].path).toBe('body.delay.unit');
    const removed = (await a.api.delete(`/v1/sequences/${s.id}/steps/mid`).expect(200)).body;
    expect(removed.currentVersion).toBe(4);
    expect((await a.api.get(`/v1/sequences/${s.id}/steps`).expect(200)).body).toMatchObject({ version: 4, data: [{ id: 'hi' }, { id: 's1' }, { id: 'bye' }] });
    await a.api.delete(`/v1/sequences/${s.id}/steps/nope`).expect(404);

    for (const [method, url] of [
      ['get', `/v1/sequences/${s.id}`], ['patch', `/v1/sequences/${s.id}`], ['delete', `/v1/sequences/${s.id}`],
      ['post', `/v1/sequences/${s.id}/pause`], ['get', `/v1/sequences/${s.id}/versions`], ['get', `/v1/sequences/${s.id}/stats`],
      ['get', `/v1/sequences/${s.id}/history`], ['get', `/v1/sequences/${s.id}/enrollments`],
    ] as const) {
      const res = await (b.api[method](url) as ReturnType<typeof b.api.get>).send(method === 'patch' ? { name: 'x' } : undefined);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    expect((await b.api.get('/v1/sequences').expect(200)).body.data).toEqual([]);
  });

  it('keeps a webhook step\'s Authorization sealed and write-only across edits', async () => {
    const a = await newAccount(env);
    const s = (await a.api.post('/v1/sequences').send({
      name: 'Hook', steps: [{ id: 'crm', type: 'send', send: { channel: 'webhook', url: 'https://crm.example/hook', authorization: 'Bearer s3cret', body: '{"name":"{{name}}"}' } }],
    }).expect(201)).body;
    expect(s.steps[0].send).toEqual({ channel: 'webhook', method: 'POST', url: 'https://crm.example/hook', body: '{"name":"{{name}}"}', authorizationSet: true });
    expect(JSON.stringify(s)).not.toContain('s3cret');
    const stored = await env.rt.infra.db.query('SELECT definition FROM sequence_versions WHERE sequence_id = $1', [s.id]);
    expect(JSON.stringify(stored.rows[0].definition)).not.toContain('s3cret');
    const edited = (await a.api.put(`/v1/sequences/${s.id}/steps/crm`).send({ type: 'send', send: { channel: 'webhook', url: 'https://crm.example/v2' } }).expect(200)).body;
    expect(edited.steps[0].send.authorizationSet).toBe(true);
    const cleared = (await a.api.put(`/v1/sequences/${s.id}/steps/crm`).send({ type: 'send', send: { channel: 'webhook', url: 'https://crm.example/v2', authorization: null } }).expect(200)).body;
    expect(cleared.steps[0].send.authorizationSet).toBe(false);
  });

  it('lists templates and copies one into an editable sequence', async () => {
    const a = await newAccount(env);
    const line = await addSimLine(env, a.id);
    const list = (await a.api.get('/v1/sequence-templates').expect(200)).body.data;
    expect(list.map((t: { key: string }) => t.key)).toEqual(['new-lead-follow-up', 'post-job-review-request', 'recurring-service-reminder', 'payment-overdue-escalation']);
    const copy = (await a.api.post('/v1/sequence-templates/new-lead-follow-up/copy').send({ name: 'Leads', lineId: line.id }).expect(201)).body;
    expect(copy).toMatchObject({ name: 'Leads', templateKey: 'new-lead-follow-up', lineId: line.id, currentVersion: 1 });
    expect(copy.steps.map((s: { type: string }) => s.type)).toEqual(['send', 'delay', 'send', 'delay', 'send', 'branch', 'send']);
    await a.api.post('/v1/sequence-templates/no-such-template/copy').send({}).expect(404);
    const again = await a.api.post('/v1/sequence-templates/new-lead-follow-up/copy').send({ name: 'Leads' }).expect(409);
    expect(again.body.error).toBe('conflict');
  });

  it('enrolls (bad input writes nothing), reports skips, triggers idempotently, unenrolls, reads and purges history', async () => {
    const a = await newAccount(env);
    const other = await newAccount(env);
    await addSimLine(env, a.id);
    const s = (await a.api.post('/v1/sequences').send({ ...simple('Enroll'), steps: [{ type: 'send', send: { channel: 'sms', message: 'Hi [[name]]' } }, { type: 'delay', delay: { amount: 1, unit: 'days' } }] }).expect(201)).body;
    const c1 = await addContact(env, a.id, { name: 'One', phone: '+14155550101', email: 'one@example.test' });
    const c2 = await addContact(env, a.id, { name: 'Two' });
    const foreign = await addContact(env, other.id, { name: 'Foreign' });

    const missing = await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactIds: [c1] }).expect(400);
    expect(missing.body).toMatchObject({ error: 'missing_placeholders', details: [{ path: 'placeholders.name' }] });
    const notMine = await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactIds: [c1, foreign], placeholders: { name: 'x' } }).expect(400);
    expect(notMine.body.details).toEqual([{ path: 'contactIds.1', message: 'no such contact in this account' }]);
    const notUuid = await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactIds: ['nope'], placeholders: { name: 'x' } }).expect(400);
    expect(notUuid.body.details[0].path).toBe('contactIds.0');
    expect((await a.api.get(`/v1/sequences/${s.id}/enrollments`).expect(200)).body.data).toEqual([]);

    const first = (await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactIds: [c1], placeholders: { name: 'x' } }).expect(201)).body;
    expect(first.data[0]).toMatchObject({ contactId: c1, status: 'active', version: 1, source: 'api', stepId: null });
    const both = (await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactIds: [c1, c2], placeholders: { name: 'x' } }).expect(201)).body;
    expect(both.data.map((e: { contactId: string }) => e.contactId)).toEqual([c2]);
    expect(both.skipped).toEqual([{ contactId: c1, reason: 'already_enrolled' }]);
    const dup = await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactId: c1, placeholders: { name: 'x' } }).expect(409);
    expect(dup.body.error).toBe('already_enrolled');

    // API trigger by phone with an Idempotency-Key: the repeat returns the same enrollment.
    const t = await a.api.post(`/v1/sequences/${s.id}/trigger`).send({ email: 'nobody@example.test', placeholders: { name: 'x' } }).expect(404);
    expect(t.body.message).toBe('contact not found');
    await a.api.delete(`/v1/sequences/${s.id}/enrollments/${first.data[0].id}`).expect(200);
    await a.api.patch(`/v1/sequences/${s.id}`).send({ allowReenrollment: true }).expect(200);
    const trig = await a.api.post(`/v1/sequences/${s.id}/trigger`).set('idempotency-key', 'job-42').send({ phone: '+14155550101', placeholders: { name: 'x' } }).expect(201);
    const trig2 = await a.api.post(`/v1/sequences/${s.id}/trigger`).set('idempotency-key', 'job-42').send({ phone: '+14155550101', placeholders: { name: 'x' } }).expect(200);
    expect(trig2.body.data[0].id).toBe(trig.body.data[0].id);
    expect(trig.body.data[0]).toMatchObject({ source: 'trigger', contactId: c1 });

    // The rule engine's entry point: idempotent per (rule, event), a busy contact is reported.
    const byRule = await env.rt.services.sequences.enrollments.enrollByRule({ accountId: a.id, sequenceId: s.id, contactId: c2, ruleId: 'r1', eventId: 'e1', placeholders: { name: 'x' } });
    expect(byRule).toEqual({ enrolled: false, reason: 'already_enrolled' });

    await env.tick();
    const status = (await a.api.get(`/v1/contacts/${c1}/sequences`).expect(200)).body.data;
    expect(status.map((e: { status: string; sequenceName: string }) => [e.sequenceName, e.status])).toEqual([['Enroll', 'active'], ['Enroll', 'unenrolled']]);
    expect(status[0]).toMatchObject({ stepId: 's2', waiting: 'delay', nextRunAt: '2026-01-06T15:00:00.000Z' });
    await other.api.get(`/v1/contacts/${c1}/sequences`).expect(404);

    const stats = (await a.api.get(`/v1/sequences/${s.id}/stats`).expect(200)).body;
    expect(stats).toEqual({ total: 3, byStatus: { active: 2, completed: 0, exited: 0, unenrolled: 1, failed: 0 }, activeBySteps: [{ version: 1, stepId: 's2', waiting: 'delay', count: 2 }] });

    const hist = (await a.api.get(`/v1/sequences/${s.id}/history?contactId=${c1}`).expect(200)).body;
    expect(hist.data.map((h: { kind: string }) => h.kind)).toEqual(['enrolled', 'unenrolled', 'enrolled', 'sent', 'waiting']);
    const page = (await a.api.get(`/v1/sequences/${s.id}/history?limit=2`).expect(200)).body;
    expect(page.data).toHaveLength(2);
    expect((await a.api.get(`/v1/sequences/${s.id}/history?limit=100&afterId=${page.nextAfterId}`).expect(200)).body.data[0].id).toBeGreaterThan(page.nextAfterId);
    await a.api.delete(`/v1/sequences/${s.id}/history?before=yesterday`).expect(400);
    expect((await other.api.delete(`/v1/sequences/${s.id}/history`).expect(404)).body.error).toBe('not_found');
    const purged = (await a.api.delete(`/v1/sequences/${s.id}/history`).expect(200)).body;
    expect(purged.deleted).toBe(hist.data.length + 3); // c2: enrolled, sent, waiting
    expect((await a.api.get(`/v1/sequences/${s.id}/history`).expect(200)).body.data).toEqual([]);

    // A sequence with contacts in it cannot be deleted.
    expect((await a.api.delete(`/v1/sequences/${s.id}`).expect(409)).body.error).toBe('sequence_in_use');
  });
});
