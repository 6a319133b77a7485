import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { WorkflowChange } from '../../src/workflows/workflow-hooks.js';
import { createWorkflowsService } from '../../src/workflows/workflows-service.js';
import { workflowsRepo } from '../../src/workflows/workflows-repo.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

describe('workflows API', () => {
  let t: TestRuntime;
  let a: Acct;
  let b: Acct;
  let line: string;
  let line2: string;
  let group: string;
  let n = 0;
  const notify = (message = 'Help needed') => ({ type: 'notification', groupIds: [group], message, channels: ['sms', 'email'] });
  const create = (body: Record<string, unknown>, acct: Acct = a) => acct.api.post('/v1/workflows').send({ name: `wf ${++n}`, ...body });

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
    b = await createTestAccount(t);
    line = (await a.api.post('/v1/lines').send({ phoneNumber: '+14155550120', provider: 'simulator' }).expect(201)).body.id;
    line2 = (await a.api.post('/v1/lines').send({ phoneNumber: '+14155550121', provider: 'simulator' }).expect(201)).body.id;
    group = (await a.api.post('/v1/groups').send({ name: 'Responders' }).expect(201)).body.id;
  });
  afterAll(async () => t?.close());

  it('creates version 1 with action ids and lists the placeholders', async () => {
    const res = await create({ name: 'Flood', description: 'River', actions: [{ ...notify('Water at [[place]]'), id: 'sms-1' }, notify('second')] }).expect(201);
    expect(res.body).toMatchObject({
      name: 'Flood', description: 'River', status: 'active', version: 1, codeActivation: null, schedule: null, placeholders: ['place'],
      actions: [{ id: 'sms-1', type: 'notification', message: 'Water at [[place]]', includeOffDuty: false }, { id: expect.stringMatching(/^act_/) }],
    });
    const got = await a.api.get(`/v1/workflows/${res.body.id}`).expect(200);
    expect(got.body).toEqual(res.body);
  });

  it.each([
    [{ actions: [] }, 'actions'],
    [{ actions: [{ ...{ type: 'notification', groupIds: [] as string[], message: 'x', channels: ['sms'] } }] }, 'actions.0.groupIds'],
    [{ actions: [{ type: 'notification', groupIds: ['00000000-0000-4000-8000-000000000000'], message: ' ', channels: ['sms'] }] }, 'actions.0.message'],
    [{ actions: [{ type: 'notification', groupIds: ['00000000-0000-4000-8000-000000000000'], message: 'x', channels: ['fax'] }] }, 'actions.0.channels.0'],
    [{ actions: [{ type: 'pager', groupIds: ['00000000-0000-4000-8000-000000000000'], message: '12a#' }] }, 'actions.0.message'],
    [{ actions: [{ type: 'webhook', url: 'http://example.com/x' }] }, 'actions.0.url'],
    [{ actions: [{ type: 'telegram' }] }, 'actions.0.type'],
    [{ codeActivation: { lineId: '00000000-0000-4000-8000-000000000000', code: 'RES' }, actions: [{ type: 'webhook', url: 'https://example.com' }] }, 'codeActivation.code'],
  ])('refuses a bad definition with a 400 naming the field (%#)', async (body, path) => {
    const res = await create(body).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('applies the product rules with field paths', async () => {
    const ph = await create({ codeActivation: { lineId: line, code: 'HELP' }, actions: [notify('ok'), notify('at [[where]]')] }).expect(400);
    expect(ph.body.details).toEqual([{ path: 'actions.1.message', message: expect.stringContaining('[[placeholders]]') }]);
    const body = await create({ actions: [{ type: 'webhook', url: 'https://example.com/h', body: '{"n": [[count]]}' }] }).expect(400);
    expect(body.body.details[0].path).toBe('actions.0.body');
    await create({ actions: [{ type: 'webhook', url: 'https://example.com/h', body: '{"n": "[[count]]", "m": "{{inbound_message}}"}' }] }).expect(201);
    const twoConf = await create({ actions: [
      { type: 'conference', groupIds: [group], lineId: line2, intro: 'a' },
      { type: 'conference', groupIds: [group], lineId: line2, intro: 'b' },
    ] }).expect(400);
    expect(twoConf.body.details[0].path).toBe('actions.1.lineId');
  });

  it('keeps codes unique by keypad digits: RESQ then PERS is a 409 naming codeActivation.code', async () => {
    const first = await create({ codeActivation: { lineId: line, code: 'resq' }, actions: [notify()] }).expect(201);
    expect(first.body.codeActivation).toMatchObject({ code: 'RESQ', lineId: line, askVoiceMessage: false });
    const clash = await create({ codeActivation: { lineId: line2, code: 'PERS' }, actions: [notify()] }).expect(409);
    expect(clash.body).toMatchObject({ error: 'conflict', details: [{ path: 'codeActivation.code', message: expect.stringContaining('7377') }] });
    const same = await create({ codeActivation: { lineId: line, code: 'RESQ' }, actions: [notify()] }).expect(409);
    expect(same.body.details[0].path).toBe('codeActivation.code');
    // Another account may use the same code; the first account may reuse it once the workflow is deleted.
    const bLine = (await b.api.post('/v1/lines').send({ phoneNumber: '+14155550122', provider: 'simulator' }).expect(201)).body.id;
    const bGroup = (await b.api.post('/v1/groups').send({ name: 'g' }).expect(201)).body.id;
    await create({ codeActivation: { lineId: bLine, code: 'PERS' }, actions: [{ ...notify(), groupIds: [bGroup] }] }, b).expect(201);
    await a.api.delete(`/v1/workflows/${first.body.id}`).expect(204);
    await create({ codeActivation: { lineId: line2, code: 'PERS' }, actions: [notify()] }).expect(201);
  });

  it('holds at most one conference per line across the account', async () => {
    const conf = (lineId: string) => ({ type: 'conference', groupIds: [group], lineId, intro: 'Joining the bridge' });
    const first = await create({ actions: [conf(line)] }).expect(201);
    const clash = await create({ actions: [notify(), conf(line)] }).expect(409);
    expect(clash.body.details).toEqual([{ path: 'actions.1.lineId', message: expect.stringContaining(first.body.name) }]);
    // Updating the same workflow keeps its own line; moving it frees the line for others.
    await a.api.put(`/v1/workflows/${first.body.id}`).send({ name: first.body.name, actions: [conf(line)] }).expect(200);
    await a.api.put(`/v1/workflows/${first.body.id}`).send({ name: first.body.name, actions: [conf(line2)] }).expect(200);
    await create({ actions: [conf(line)] }).expect(201);
  });

  it('requires every line, group and attachment to belong to the account (400 naming the field)', async () => {
    const bLine = (await b.api.post('/v1/lines').send({ phoneNumber: '+14155550123', provider: 'simulator' }).expect(201)).body.id;
    const bGroup = (await b.api.post('/v1/groups').send({ name: 'theirs' }).expect(201)).body.id;
    const res = await create({
      codeActivation: { lineId: bLine, code: 'ZZZ1' },
      actions: [
        { ...notify(), groupIds: [group, bGroup], attachmentId: '00000000-0000-4000-8000-00000000000a' },
        { type: 'pager', groupIds: [group], lineId: bLine, message: '123w#' },
      ],
    }).expect(400);
    expect(res.body.details).toEqual([
      { path: 'codeActivation.lineId', message: 'no such line in this account' },
      { path: 'actions.1.lineId', message: 'no such line in this account' },
      { path: 'actions.0.groupIds.1', message: 'no such group in this account' },
      { path: 'actions.0.attachmentId', message: 'no such attachment in this account' },
    ]);
    expect((await t.rt.infra.db.query("SELECT count(*)::int AS n FROM workflows WHERE code = 'ZZZ1'")).rows[0].n).toBe(0);
  });

  it('refuses a duplicate name (409 naming name), case-insensitively', async () => {
    await create({ name: 'Storm', actions: [notify()] }).expect(201);
    const res = await create({ name: 'STORM', actions: [notify()] }).expect(409);
    expect(res.body.details).toEqual([{ path: 'name', message: expect.any(String) }]);
  });

  it('makes a new immutable version on update and keeps the old ones readable', async () => {
    const wf = await create({ name: 'Versioned', actions: [{ ...notify('v1 text'), id: 'n1' }] }).expect(201);
    const upd = await a.api.put(`/v1/workflows/${wf.body.id}`).send({ name: 'Versioned', actions: [{ ...notify('v2 text'), id: 'n1' }, notify('added')] }).expect(200);
    expect(upd.body).toMatchObject({ version: 2, actions: [{ id: 'n1', message: 'v2 text' }, { message: 'added' }] });
    const versions = await a.api.get(`/v1/workflows/${wf.body.id}/versions`).expect(200);
    expect(versions.body.data.map((v: { version: number; definition: { actions: Array<{ message: string }> } }) => [v.version, v.definition.actions[0]!.message]))
      .toEqual([[1, 'v1 text'], [2, 'v2 text']]);
    const v1 = await a.api.get(`/v1/workflows/${wf.body.id}/versions/1`).expect(200);
    expect(v1.body.definition.actions).toHaveLength(1);
    await a.api.get(`/v1/workflows/${wf.body.id}/versions/3`).expect(404);
    const rows = await t.rt.infra.db.query('SELECT version FROM workflow_versions WHERE workflow_id = $1 ORDER BY version', [wf.body.id]);
    expect(rows.rows.map((r) => r.version)).toEqual([1, 2]);
    // A bad update changes nothing.
    await a.api.put(`/v1/workflows/${wf.body.id}`).send({ name: 'Versioned', actions: [] }).expect(400);
    expect((await a.api.get(`/v1/workflows/${wf.body.id}`).expect(200)).body.version).toBe(2);
  });

  it('counts the audience as the planner reaches it: each person once, on duty unless off-duty is included, no do-not-contact', async () => {
    const person = async (name: string, phone: string, patch: Record<string, unknown> = {}) => {
      const c = (await a.api.post('/v1/contacts').send({ name, phone }).expect(201)).body;
      if (Object.keys(patch).length) await a.api.patch(`/v1/contacts/${c.id}`).send(patch).expect(200);
      return c.id as string;
    };
    const crew = (await a.api.post('/v1/groups').send({ name: 'Audience crew' }).expect(201)).body.id;
    const night = (await a.api.post('/v1/groups').send({ name: 'Audience night' }).expect(201)).body.id;
    const ana = await person('Ana', '+14155550601');
    const ben = await person('Ben', '+14155550602', { onDuty: false });
    const cy = await person('Cy', '+14155550603', { doNotContact: true });
    const dee = await person('Dee', '+14155550604');
    await a.api.post(`/v1/groups/${crew}/members`).send({ contactIds: [ana, ben, cy] }).expect(200);
    await a.api.post(`/v1/groups/${night}/members`).send({ contactIds: [ana, ben, dee] }).expect(200);
    const wf = (await create({ name: 'Audience', actions: [
      { type: 'notification', groupIds: [crew, night], message: 'on duty only', channels: ['sms'] },
      { type: 'notification', groupIds: [night], includeOffDuty: true, message: 'off duty too', channels: ['sms'] },
      { type: 'webhook', method: 'POST', url: 'https://hooks.example.com/x', body: '{}' },
    ] }).expect(201)).body;
    const got = await a.api.get(`/v1/workflows/${wf.id}/audience`).expect(200);
    // action 1: Ana, Dee (Ben off duty, Cy do-not-contact); action 2: Ana, Ben, Dee; together Ana, Ben, Dee.
    expect(got.body).toEqual({ people: 3, actions: [{ actionId: wf.actions[0].id, people: 2 }, { actionId: wf.actions[1].id, people: 3 }] });
    await b.api.get(`/v1/workflows/${wf.id}/audience`).expect(404);
  });

  it('refuses an edit made on an old version (If-Match) with 412 and stores nothing; ETag is the version', async () => {
    const wf = await create({ name: 'Edited twice', actions: [{ ...notify('first'), id: 'n1' }] }).expect(201);
    expect(wf.headers.etag).toBe('"1"');
    const got = await a.api.get(`/v1/workflows/${wf.body.id}`).expect(200);
    expect(got.headers.etag).toBe('"1"');
    // Two dispatchers opened version 1; the first saves, the second's save must not overwrite it.
    const first = await a.api.put(`/v1/workflows/${wf.body.id}`).set('if-match', '"1"').send({ name: 'Edited twice', actions: [{ ...notify('alice'), id: 'n1' }] }).expect(200);
    expect(first.headers.etag).toBe('"2"');
    const second = await a.api.put(`/v1/workflows/${wf.body.id}`).set('if-match', 'W/"1"').send({ name: 'Edited twice', actions: [{ ...notify('bob'), id: 'n1' }] }).expect(412);
    expect(second.body).toMatchObject({ error: 'version_mismatch', details: { currentVersion: 2, expectedVersion: 1 } });
    expect(second.body.message).toContain('version 2 is current');
    const now = await a.api.get(`/v1/workflows/${wf.body.id}`).expect(200);
    expect(now.body).toMatchObject({ version: 2, actions: [{ message: 'alice' }] });
    const rows = await t.rt.infra.db.query('SELECT count(*)::int AS n FROM workflow_versions WHERE workflow_id = $1', [wf.body.id]);
    expect(rows.rows[0].n).toBe(2);
    // The current version as If-Match (or *, or none) saves.
    await a.api.put(`/v1/workflows/${wf.body.id}`).set('if-match', '2').send({ name: 'Edited twice', actions: [{ ...notify('bob again'), id: 'n1' }] }).expect(200);
    await a.api.put(`/v1/workflows/${wf.body.id}`).set('if-match', '*').send({ name: 'Edited twice', actions: [{ ...notify('any'), id: 'n1' }] }).expect(200);
    // A malformed If-Match is a 400 naming the header, and changes nothing.
    const bad = await a.api.put(`/v1/workflows/${wf.body.id}`).set('if-match', 'yesterday').send({ name: 'Edited twice', actions: [{ ...notify('x'), id: 'n1' }] }).expect(400);
    expect(bad.body.details).toEqual([{ path: 'headers.if-match', message: expect.stringContaining('workflow version') }]);
    expect((await a.api.get(`/v1/workflows/${wf.body.id}`).expect(200)).body.version).toBe(4);
  });

  it('pauses, resumes and soft-deletes', async () => {
    const wf = await create({ actions: [notify()] }).expect(201);
    expect((await a.api.post(`/v1/workflows/${wf.body.id}/pause`).expect(200)).body.status).toBe('paused');
    const upd = await a.api.put(`/v1/workflows/${wf.body.id}`).send({ name: wf.body.name, actions: [notify('x')] }).expect(200);
    expect(upd.body).toMatchObject({ status: 'paused', version: 2 });
    expect((await a.api.get('/v1/workflows?status=paused').expect(200)).body.data.map((w: { id: string }) => w.id)).toContain(wf.body.id);
    await expect(t.rt.services.activations.activate({ accountId: a.account.id, workflowId: wf.body.id, source: 'api', idempotencyKey: `k-${wf.body.id}` } as never))
      .rejects.toThrow(/paused/);
    expect((await a.api.post(`/v1/workflows/${wf.body.id}/resume`).expect(200)).body.status).toBe('active');
    await a.api.delete(`/v1/workflows/${wf.body.id}`).expect(204);
    await a.api.get(`/v1/workflows/${wf.body.id}`).expect(404);
    await a.api.delete(`/v1/workflows/${wf.body.id}`).expect(404);
    const all = await a.api.get('/v1/workflows?limit=500').expect(200);
    expect(all.body.data.map((w: { id: string }) => w.id)).not.toContain(wf.body.id);
    const row = await t.rt.infra.db.query('SELECT deleted_at FROM workflows WHERE id = $1', [wf.body.id]);
    expect(row.rows[0].deleted_at).toBeInstanceOf(Date);
  });

  it('seals webhook authorization at rest and never returns it', async () => {
    const secret = 'Bearer hook-secret-123';
    const wf = await create({ actions: [{ id: 'h', type: 'webhook', url: 'https://example.com/h', authorization: secret, body: '{}' }] }).expect(201);
    expect(wf.body.actions[0]).toMatchObject({ id: 'h', authorizationSet: true });
    expect(JSON.stringify(wf.body)).not.toContain('hook-secret');
    const stored = await t.rt.infra.db.query('SELECT definition FROM workflow_versions WHERE workflow_id = $1', [wf.body.id]);
    const action = stored.rows[0].definition.actions[0];
    expect(action.authorization).toBeUndefined();
    expect(t.rt.services.secrets.open(action.authorizationSealed)).toBe(secret);
    const upd = await a.api.put(`/v1/workflows/${wf.body.id}`).send({ name: wf.body.name, actions: [{ id: 'h', type: 'webhook', url: 'https://example.com/h2' }] }).expect(200);
    expect(upd.body.actions[0]).toMatchObject({ url: 'https://example.com/h2', authorizationSet: true });
    const versions = await a.api.get(`/v1/workflows/${wf.body.id}/versions`).expect(200);
    expect(JSON.stringify(versions.body)).not.toMatch(/hook-secret|authorizationSealed/);
  });

  it('calls onChange hooks inside the transaction; a throwing hook aborts the change', async () => {
    const seen: WorkflowChange[] = [];
    let fail = false;
    const svc = createWorkflowsService({
      db: t.rt.infra.db, workflows: workflowsRepo, secrets: t.rt.services.secrets,
      onChange: [async (tx, change) => {
        const row = await tx.query('SELECT current_version, status, deleted_at FROM workflows WHERE id = $1', [change.workflowId]);
        expect(row.rows[0].current_version).toBe(change.version); // sees the uncommitted change
        if (fail) throw ValidationError.field('schedule', 'refused by hook');
        seen.push(change);
      }],
    });
    const wf = await svc.create(a.account.id, { name: 'Hooked', actions: [notify()] });
    await svc.update(a.account.id, wf.id, { name: 'Hooked', actions: [notify('two')] });
    await svc.pause(a.account.id, wf.id);
    await svc.resume(a.account.id, wf.id);
    await svc.remove(a.account.id, wf.id);
    expect(seen.map((c) => [c.version, c.status, c.deleted])).toEqual([[1, 'active', false], [2, 'active', false], [2, 'paused', false], [2, 'active', false], [2, 'active', true]]);
    expect(seen[1]!.definition.actions[0]).toMatchObject({ message: 'two' });

    fail = true;
    await expect(svc.create(a.account.id, { name: 'Refused', actions: [notify()] })).rejects.toThrow(/refused by hook/);
    expect((await t.rt.infra.db.query("SELECT count(*)::int AS n FROM workflows WHERE name = 'Refused'")).rows[0].n).toBe(0);
  });
});
