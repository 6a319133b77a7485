import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

describe('tenant isolation and OpenAPI for lines, contacts, groups, workflows, carriers', () => {
  let t: TestRuntime;
  let a: Acct;
  let b: Acct;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
    b = await createTestAccount(t);
    ids.conn = (await a.api.post('/v1/carrier-connections').send({ accountSid: `AC${'a'.repeat(32)}`, authToken: 'b'.repeat(32) }).expect(201)).body.id;
    ids.line = (await a.api.post('/v1/lines').send({ phoneNumber: '+14155550180', provider: 'twilio', carrierConnectionId: ids.conn }).expect(201)).body.id;
    ids.contact = (await a.api.post('/v1/contacts').send({ name: 'A person', phone: '+14155550181' }).expect(201)).body.id;
    ids.group = (await a.api.post('/v1/groups').send({ name: 'A group' }).expect(201)).body.id;
    await a.api.post(`/v1/groups/${ids.group}/members`).send({ contactIds: [ids.contact] }).expect(200);
    ids.workflow = (await a.api.post('/v1/workflows').send({
      name: 'A workflow', codeActivation: { lineId: ids.line, code: 'AAAA' },
      actions: [{ type: 'notification', groupIds: [ids.group], message: 'hi', channels: ['sms'] }],
    }).expect(201)).body.id;
    ids.bGroup = (await b.api.post('/v1/groups').send({ name: 'B group' }).expect(201)).body.id;
    ids.bContact = (await b.api.post('/v1/contacts').send({ name: 'B person' }).expect(201)).body.id;
    ids.bLine = (await b.api.post('/v1/lines').send({ phoneNumber: '+14155550182', provider: 'simulator' }).expect(201)).body.id;
  });
  afterAll(async () => t?.close());

  const wfBody = () => ({ name: 'Mine now', actions: [{ type: 'notification', groupIds: [ids.bGroup], message: 'x', channels: ['sms'] }] });
  const routes: Array<[string, () => string, (() => unknown)?]> = [
    ['get', () => `/v1/carrier-connections/${ids.conn}`],
    ['patch', () => `/v1/carrier-connections/${ids.conn}`, () => ({ name: 'x' })],
    ['delete', () => `/v1/carrier-connections/${ids.conn}`],
    ['get', () => `/v1/lines/${ids.line}`],
    ['patch', () => `/v1/lines/${ids.line}`, () => ({ name: 'x' })],
    ['delete', () => `/v1/lines/${ids.line}`],
    ['get', () => `/v1/lines/${ids.line}/workflows`],
    ['get', () => `/v1/contacts/${ids.contact}`],
    ['patch', () => `/v1/contacts/${ids.contact}`, () => ({ name: 'x' })],
    ['delete', () => `/v1/contacts/${ids.contact}`],
    ['get', () => `/v1/groups/${ids.group}`],
    ['patch', () => `/v1/groups/${ids.group}`, () => ({ name: 'x' })],
    ['delete', () => `/v1/groups/${ids.group}`],
    ['get', () => `/v1/groups/${ids.group}/members`],
    ['post', () => `/v1/groups/${ids.group}/members`, () => ({ contactIds: [ids.bContact] })],
    ['delete', () => `/v1/groups/${ids.group}/members/${ids.contact}`],
    ['delete', () => `/v1/groups/${ids.bGroup}/members/${ids.contact}`],
    ['get', () => `/v1/workflows/${ids.workflow}`],
    ['put', () => `/v1/workflows/${ids.workflow}`, wfBody],
    ['delete', () => `/v1/workflows/${ids.workflow}`],
    ['post', () => `/v1/workflows/${ids.workflow}/pause`],
    ['post', () => `/v1/workflows/${ids.workflow}/resume`],
    ['get', () => `/v1/workflows/${ids.workflow}/versions`],
    ['get', () => `/v1/workflows/${ids.workflow}/versions/1`],
  ];

  it.each(routes)('another account gets 404 for %s %s', async (method, url, body) => {
    const req = (b.api as unknown as Record<string, (u: string) => import('supertest').Test>)[method]!(url());
    const res = await (body ? req.send(body() as object) : req);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not_found', requestId: expect.any(String) });
  });

  it('leaves the owner\'s objects untouched and keeps lists scoped', async () => {
    expect((await a.api.get(`/v1/workflows/${ids.workflow}`).expect(200)).body).toMatchObject({ name: 'A workflow', status: 'active', version: 1 });
    expect((await a.api.get(`/v1/groups/${ids.group}`).expect(200)).body).toMatchObject({ name: 'A group', memberCount: 1 });
    expect((await a.api.get(`/v1/lines/${ids.line}`).expect(200)).body.name).toBe('');
    for (const list of ['carrier-connections', 'lines', 'contacts', 'groups', 'workflows']) {
      const res = await b.api.get(`/v1/${list}`).expect(200);
      expect(JSON.stringify(res.body)).not.toMatch(new RegExp(Object.entries(ids).filter(([k]) => !k.startsWith('b')).map(([, v]) => v).join('|')));
    }
  });

  it('refuses another account\'s line, group and contact as references (400 naming the field)', async () => {
    const wf = await b.api.post('/v1/workflows').send({
      name: 'Sneaky', codeActivation: { lineId: ids.line, code: 'BBBB' },
      actions: [{ type: 'notification', groupIds: [ids.group], message: 'x', channels: ['sms'] }],
    }).expect(400);
    expect(wf.body.details.map((d: { path: string }) => d.path)).toEqual(['codeActivation.lineId', 'actions.0.groupIds.0']);
    const members = await b.api.post(`/v1/groups/${ids.bGroup}/members`).send({ contactIds: [ids.contact] }).expect(400);
    expect(members.body.details[0].path).toBe('contactIds.0');
    const line = await b.api.post('/v1/lines').send({ phoneNumber: '+14155550183', provider: 'twilio', carrierConnectionId: ids.conn }).expect(400);
    expect(line.body.details[0].path).toBe('carrierConnectionId');
  });

  it('documents every route with schemas and tags at /docs/json', async () => {
    const res = await t.http().get('/docs/json').expect(200);
    const paths = res.body.paths as Record<string, Record<string, { tags?: string[]; requestBody?: unknown; responses?: Record<string, unknown> }>>;
    const expected: Array<[string, string, string]> = [
      ['/v1/carrier-connections', 'post', 'carrier connections'], ['/v1/carrier-connections/{id}', 'patch', 'carrier connections'],
      ['/v1/lines', 'post', 'lines'], ['/v1/lines/{id}', 'patch', 'lines'], ['/v1/lines/{id}/workflows', 'get', 'lines'],
      ['/v1/contacts', 'get', 'contacts'], ['/v1/contacts', 'post', 'contacts'], ['/v1/contacts/import', 'post', 'contacts'], ['/v1/contacts/{id}', 'delete', 'contacts'],
      ['/v1/groups', 'post', 'groups'], ['/v1/groups/{id}/members', 'post', 'groups'], ['/v1/groups/{id}/members/{contactId}', 'delete', 'groups'],
      ['/v1/workflows', 'post', 'workflows'], ['/v1/workflows/{id}', 'put', 'workflows'], ['/v1/workflows/{id}/pause', 'post', 'workflows'],
      ['/v1/workflows/{id}/resume', 'post', 'workflows'], ['/v1/workflows/{id}/versions', 'get', 'workflows'], ['/v1/workflows/{id}/versions/{version}', 'get', 'workflows'],
    ];
    for (const [path, method, tag] of expected) {
      const op = paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.tags).toEqual([tag]);
      expect(Object.keys(op!.responses ?? {}).length).toBeGreaterThan(0);
    }
    const wfBody = JSON.stringify(paths['/v1/workflows']!.post!.requestBody);
    expect(wfBody).toContain('codeActivation');
    expect(JSON.stringify(paths['/v1/lines']!.post!.requestBody)).toContain('phoneNumber');
  });
});
