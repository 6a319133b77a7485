import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('contacts and groups', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('creates a contact with normalised fields and defaults', async () => {
    const a = await createTestAccount(t);
    const res = await a.api.post('/v1/contacts').send({
      name: ' Ada Lovelace ', phone: '+44 20 7183 8750', email: 'ada@example.com', pagerNumber: '555-0101 #', timezone: 'Europe/London',
      customFields: { employee_id: 42, team: 'north' },
    });
    // '#' is not a digit: the pager number is refused, naming the field.
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ path: 'pagerNumber', message: expect.stringContaining('digits') }]);
    const ok = await a.api.post('/v1/contacts').send({
      name: ' Ada Lovelace ', phone: '+44 20 7183 8750', email: 'ada@example.com', pagerNumber: '(555) 0101', timezone: 'Europe/London',
      customFields: { employee_id: 42, team: 'north' },
    }).expect(201);
    expect(ok.body).toMatchObject({
      name: 'Ada Lovelace', phone: '+442071838750', email: 'ada@example.com', pagerNumber: '5550101', timezone: 'Europe/London',
      onDuty: true, optedOutChannels: [], doNotContact: false, status: 'active', customFields: { employee_id: 42, team: 'north' }, groupIds: [],
    });
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'x', phone: '0207 183 8750' }, 'phone'],
    [{ name: 'x', phone: '+1 555 0100' }, 'phone'],
    [{ name: 'x', email: 'not-an-email' }, 'email'],
    [{ name: 'x', timezone: 'Mars/Base' }, 'timezone'],
    [{ name: 'x', onDuty: 'yes' }, 'onDuty'],
    [{ name: 'x', optedOutChannels: ['sms', 'fax'] }, 'optedOutChannels.1'],
    [{ name: 'x', optedOutChannels: ['sms', 'sms'] }, 'optedOutChannels'],
    [{ name: 'x', doNotContact: 1 }, 'doNotContact'],
    [{ name: 'x', status: 'Not Active!' }, 'status'],
    [{ name: 'x', customFields: ['a'] }, 'customFields'],
    [{ name: 'x', customFields: { 'bad key': 1 } }, 'customFields.bad key'],
    [{ name: 'x', nickname: 'y' }, ''],
  ])('refuses a bad contact with a 400 naming the field (%#)', async (body, path) => {
    const a = await createTestAccount(t);
    const res = await a.api.post('/v1/contacts').send(body).expect(400);
    expect(res.body.error).toBe('validation_failed');
    if (path) expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await a.api.get('/v1/contacts').expect(200)).body.data).toEqual([]);
  });

  it('keeps phones unique per account, updates, clears and deletes', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const c = await a.api.post('/v1/contacts').send({ name: 'A', phone: '+14155550130', email: 'a@example.com' }).expect(201);
    const dup = await a.api.post('/v1/contacts').send({ name: 'B', phone: '+1 415 555 0130' }).expect(409);
    expect(dup.body.details).toEqual([{ path: 'phone', message: expect.any(String) }]);
    await b.api.post('/v1/contacts').send({ name: 'B', phone: '+14155550130' }).expect(201); // other account: fine

    const upd = await a.api.patch(`/v1/contacts/${c.body.id}`).send({ email: null, onDuty: false, optedOutChannels: ['sms'], doNotContact: true, status: 'inactive' }).expect(200);
    expect(upd.body).toMatchObject({ email: null, onDuty: false, optedOutChannels: ['sms'], doNotContact: true, status: 'inactive', phone: '+14155550130' });
    const badPatch = await a.api.patch(`/v1/contacts/${c.body.id}`).send({ phone: 'nope' }).expect(400);
    expect(badPatch.body.details[0].path).toBe('phone');

    const found = await a.api.get('/v1/contacts?q=0130').expect(200);
    expect(found.body.data.map((x: { id: string }) => x.id)).toEqual([c.body.id]);
    await a.api.delete(`/v1/contacts/${c.body.id}`).expect(204);
    await a.api.get(`/v1/contacts/${c.body.id}`).expect(404);
  });

  it('manages groups and members; members must belong to the account', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const g = await a.api.post('/v1/groups').send({ name: 'Night shift', description: 'after 22:00' }).expect(201);
    expect(g.body).toMatchObject({ name: 'Night shift', memberCount: 0 });
    const dup = await a.api.post('/v1/groups').send({ name: 'night SHIFT' }).expect(409);
    expect(dup.body.details[0].path).toBe('name');

    const c1 = (await a.api.post('/v1/contacts').send({ name: 'One' }).expect(201)).body.id;
    const c2 = (await a.api.post('/v1/contacts').send({ name: 'Two' }).expect(201)).body.id;
    const theirs = (await b.api.post('/v1/contacts').send({ name: 'Theirs' }).expect(201)).body.id;

    const bad = await a.api.post(`/v1/groups/${g.body.id}/members`).send({ contactIds: [c1, theirs] }).expect(400);
    expect(bad.body.details).toEqual([{ path: 'contactIds.1', message: 'no such contact in this account' }]);
    expect((await a.api.get(`/v1/groups/${g.body.id}`).expect(200)).body.memberCount).toBe(0);

    expect((await a.api.post(`/v1/groups/${g.body.id}/members`).send({ contactIds: [c1, c2, c1] }).expect(200)).body).toEqual({ added: 2 });
    expect((await a.api.post(`/v1/groups/${g.body.id}/members`).send({ contactIds: [c1] }).expect(200)).body).toEqual({ added: 0 });
    const members = await a.api.get(`/v1/groups/${g.body.id}/members?limit=1`).expect(200);
    expect(members.body.data).toHaveLength(1);
    const rest = await a.api.get(`/v1/groups/${g.body.id}/members?cursor=${members.body.nextCursor}`).expect(200);
    expect([...members.body.data, ...rest.body.data].map((c: { id: string }) => c.id)).toEqual([c1, c2]);
    expect((await a.api.get(`/v1/contacts/${c1}`).expect(200)).body.groupIds).toEqual([g.body.id]);
    expect((await a.api.get(`/v1/contacts?groupId=${g.body.id}`).expect(200)).body.data).toHaveLength(2);

    await a.api.delete(`/v1/groups/${g.body.id}/members/${c1}`).expect(204);
    await a.api.delete(`/v1/groups/${g.body.id}/members/${c1}`).expect(404);
    expect((await a.api.get(`/v1/groups/${g.body.id}`).expect(200)).body.memberCount).toBe(1);

    const renamed = await a.api.patch(`/v1/groups/${g.body.id}`).send({ name: 'Nights' }).expect(200);
    expect(renamed.body.name).toBe('Nights');
  });

  it('refuses to delete a group a workflow addresses', async () => {
    const a = await createTestAccount(t);
    const g = (await a.api.post('/v1/groups').send({ name: 'Used' }).expect(201)).body.id;
    const wf = await a.api.post('/v1/workflows').send({ name: 'W', actions: [{ type: 'notification', groupIds: [g], message: 'x', channels: ['sms'] }] }).expect(201);
    const res = await a.api.delete(`/v1/groups/${g}`).expect(409);
    expect(res.body).toMatchObject({ error: 'group_in_use', message: expect.stringContaining('W') });
    await a.api.delete(`/v1/workflows/${wf.body.id}`).expect(204);
    await a.api.delete(`/v1/groups/${g}`).expect(204);
  });
});
