/**
 * The API additions the sequences dashboard needs (issue 15): quiet hours validated on the
 * account, custom templates per account (built-in ones read-only), enrolling a group, a contact
 * list or a CSV of ids/phones (all or nothing), and history filtered by kind and step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContact, addSimLine, newAccount, startSequenceEnv, type SequenceEnv } from './sequence-harness.js';

describe('sequences API for the dashboard: quiet hours, custom templates, group/list/CSV enrollment, history filters', () => {
  let env: SequenceEnv;
  beforeAll(async () => { env = await startSequenceEnv(); });
  afterAll(async () => env?.close());

  const simple = (name = 'Simple') => ({
    name,
    steps: [
      { id: 'hi', type: 'send', send: { channel: 'sms', message: 'Hello [[company]]' } },
      { type: 'delay', delay: { amount: 1, unit: 'days' } },
      { id: 'bye', type: 'send', send: { channel: 'sms', message: 'Bye' } },
    ],
  });
  const enrollmentCount = async (sequenceId: string) =>
    (await env.rt.infra.db.query('SELECT count(*)::int AS n FROM sequence_enrollments WHERE sequence_id = $1', [sequenceId])).rows[0].n as number;

  it('refuses a malformed quietHours account setting with a 400 naming the field, and stores nothing', async () => {
    const a = await newAccount(env, { settings: { finalStatuses: ['won'] } });
    const bad = await a.api.patch('/v1/account').send({ settings: { quietHours: { start: '9pm', end: '08:00' } } }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'settings.quietHours.start', message: 'must be HH:MM' })]);
    const same = await a.api.patch('/v1/account').send({ settings: { quietHours: { start: '08:00', end: '08:00' } } }).expect(400);
    expect(same.body.details).toEqual([expect.objectContaining({ path: 'settings.quietHours.end', message: 'must differ from start' })]);
    const shape = await a.api.patch('/v1/account').send({ settings: { quietHours: '21:00-08:00' } }).expect(400);
    expect(shape.body.details[0].path).toBe('settings.quietHours');
    expect((await a.api.get('/v1/account').expect(200)).body.settings).toEqual({ finalStatuses: ['won'] });

    const ok = await a.api.patch('/v1/account').send({ settings: { finalStatuses: ['won'], quietHours: { start: '21:00', end: '08:00' } } }).expect(200);
    expect(ok.body.settings).toEqual({ finalStatuses: ['won'], quietHours: { start: '21:00', end: '08:00' } });
  });

  it('keeps custom templates per account next to the read-only built-in ones; copies one into a sequence', async () => {
    const a = await newAccount(env);
    const b = await newAccount(env);
    const created = (await a.api.post('/v1/sequence-templates').send({ ...simple('Quote chaser'), description: 'ours' }).expect(201)).body;
    expect(created).toMatchObject({ builtIn: false, name: 'Quote chaser', description: 'ours', placeholders: ['company'] });
    expect(created.definition.steps.map((s: { id: string }) => s.id)).toEqual(['hi', 's1', 'bye']);

    const list = (await a.api.get('/v1/sequence-templates').expect(200)).body.data;
    expect(list.map((t: { name: string; builtIn: boolean }) => `${t.name}:${t.builtIn}`)).toEqual([
      'New Lead Follow-Up:true', 'Post-Job Review Request:true', 'Recurring Service Reminder:true', 'Payment Overdue Escalation:true', 'Quote chaser:false',
    ]);
    expect((await b.api.get('/v1/sequence-templates').expect(200)).body.data).toHaveLength(4);
    await b.api.get(`/v1/sequence-templates/${created.key}`).expect(404);
    await b.api.delete(`/v1/sequence-templates/${created.key}`).expect(404);

    const edited = (await a.api.put(`/v1/sequence-templates/${created.key}`).send({ ...simple('Quote chaser 2'), steps: simple().steps.slice(0, 1) }).expect(200)).body;
    expect(edited).toMatchObject({ key: created.key, name: 'Quote chaser 2' });
    expect(edited.definition.steps).toHaveLength(1);
    const bad = await a.api.put(`/v1/sequence-templates/${created.key}`).send({ name: 'x', steps: [{ type: 'delay', delay: { amount: -1, unit: 'days' } }] }).expect(400);
    expect(bad.body.details[0].path).toBe('steps.0.delay.amount');
    const secret = await a.api.post('/v1/sequence-templates').send({
      name: 'Hook', steps: [{ type: 'send', send: { channel: 'webhook', url: 'https://example.com/h', authorization: 'Bearer s3cret' } }],
    }).expect(400);
    expect(secret.body.details[0].path).toBe('steps.0.send.authorization');
    await a.api.post('/v1/sequence-templates').send(simple('Quote chaser 2')).expect(409);

    const ro = await a.api.put('/v1/sequence-templates/new-lead-follow-up').send(simple('Mine')).expect(409);
    expect(ro.body.error).toBe('template_read_only');
    await a.api.delete('/v1/sequence-templates/post-job-review-request').expect(409);

    const seq = (await a.api.post(`/v1/sequence-templates/${created.key}/copy`).send({ name: 'From my template' }).expect(201)).body;
    expect(seq).toMatchObject({ name: 'From my template', templateKey: created.key, currentVersion: 1 });
    expect(seq.steps).toEqual([{ id: 'hi', type: 'send', send: { channel: 'sms', message: 'Hello [[company]]' } }]);

    await a.api.delete(`/v1/sequence-templates/${created.key}`).expect(204);
    expect((await a.api.get('/v1/sequence-templates').expect(200)).body.data).toHaveLength(4);
  });

  it('enrolls every member of a group or contact list, and the contacts a CSV names (all or nothing)', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const ph = { company: 'Acme' };
    const people = await Promise.all(['Ann', 'Bob', 'Cy', 'Di'].map((name, i) => addContact(env, a.id, { name, phone: `+1415555${7100 + i}` })));
    const group = (await a.api.post('/v1/groups').send({ name: 'Crew' }).expect(201)).body;
    await a.api.post(`/v1/groups/${group.id}/members`).send({ contactIds: people.slice(0, 2) }).expect(200);
    const list = (await a.api.post('/v1/lists').send({ name: 'Leads' }).expect(201)).body;
    await a.api.post(`/v1/lists/${list.id}/members`).send({ contactIds: [people[2]] }).expect((r) => expect(r.status).toBeLessThan(300));

    const s1 = (await a.api.post('/v1/sequences').send(simple('By group')).expect(201)).body;
    const byGroup = (await a.api.post(`/v1/sequences/${s1.id}/enrollments`).send({ groupId: group.id, placeholders: ph }).expect(201)).body;
    expect(byGroup.data.map((e: { contactId: string }) => e.contactId).sort()).toEqual(people.slice(0, 2).sort());
    const both = await a.api.post(`/v1/sequences/${s1.id}/enrollments`).send({ groupId: group.id, contactId: people[3], placeholders: ph }).expect(400);
    expect(both.body.details[0].path).toBe('contactIds');

    const s2 = (await a.api.post('/v1/sequences').send(simple('By list')).expect(201)).body;
    const byList = (await a.api.post(`/v1/sequences/${s2.id}/enrollments`).send({ listId: list.id, placeholders: ph }).expect(201)).body;
    expect(byList.data.map((e: { contactId: string }) => e.contactId)).toEqual([people[2]]);

    const s3 = (await a.api.post('/v1/sequences').send(simple('By CSV')).expect(201)).body;
    const badCsv = await a.api.post(`/v1/sequences/${s3.id}/enrollments/csv`)
      .send({ csv: 'phone\n+1 415 555 7100\nnot-a-number\n+14155559999\n', placeholders: ph }).expect(400);
    expect(badCsv.body.details.map((d: { path: string }) => d.path)).toEqual(['csv.3', 'csv.4']);
    expect(badCsv.body.details[1].message).toBe('line 4: no contact in this account has the phone +14155559999');
    expect(await enrollmentCount(s3.id)).toBe(0);

    const csv = (await a.api.post(`/v1/sequences/${s3.id}/enrollments/csv`)
      .send({ csv: `contact_id,name\n${people[3]},Di\n+1 (415) 555-7100\n\n`, placeholders: ph }).expect(201)).body;
    expect(csv.data.map((e: { contactId: string }) => e.contactId).sort()).toEqual([people[0], people[3]].sort());
    const again = (await a.api.post(`/v1/sequences/${s3.id}/enrollments/csv`).set('content-type', 'text/csv').send('+14155557100\n').expect(400)).body;
    expect(again.details[0].path).toBe('placeholders.company');
    const s4 = (await a.api.post('/v1/sequences').send({ name: 'Plain', steps: [{ type: 'send', send: { channel: 'sms', message: 'Hi' } }] }).expect(201)).body;
    const raw = (await a.api.post(`/v1/sequences/${s4.id}/enrollments/csv`).set('content-type', 'text/csv').send('+14155557101\n').expect(201)).body;
    expect(raw.data.map((e: { contactId: string }) => e.contactId)).toEqual([people[1]]);
  });

  it('filters execution history by kind and step', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const c = await addContact(env, a.id, { name: 'Eve' });
    const s = (await a.api.post('/v1/sequences').send(simple('History')).expect(201)).body;
    await a.api.post(`/v1/sequences/${s.id}/enrollments`).send({ contactId: c, placeholders: { company: 'Acme' } }).expect(201);
    await env.tick();
    const all = (await a.api.get(`/v1/sequences/${s.id}/history`).expect(200)).body.data;
    expect(all.map((h: { kind: string }) => h.kind)).toEqual(['enrolled', 'sent', 'waiting']);
    const sent = (await a.api.get(`/v1/sequences/${s.id}/history?kind=sent`).expect(200)).body.data;
    expect(sent.map((h: { kind: string; stepId: string }) => `${h.kind}@${h.stepId}`)).toEqual(['sent@hi']);
    const atDelay = (await a.api.get(`/v1/sequences/${s.id}/history?stepId=s1`).expect(200)).body.data;
    expect(atDelay.map((h: { kind: string }) => h.kind)).toEqual(['waiting']);
    const bad = await a.api.get(`/v1/sequences/${s.id}/history?kind=Not%20a%20kind`).expect(400);
    expect(bad.body.details[0].path).toMatch(/kind/);
  });
});
