/**
 * Call tracking API: post-call workflow CRUD (field-named 400s, references, sealed webhook
 * secrets, tenancy), tracking line settings, and the calls / logs lists with their filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCodeWorkflow, addTwilioLine, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('call tracking API', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  let b: Awaited<ReturnType<typeof createTestAccount>>;
  let lineA: LineFixture;
  let lineB: LineFixture;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    [a, b] = [await createTestAccount(t), await createTestAccount(t)];
    lineA = await addTwilioLine(t, a.account.id, { mode: 'tracking', settings: { tracking: { forwardTo: '+14155552671' } } });
    lineB = await addTwilioLine(t, b.account.id);
  });
  afterAll(async () => t?.close());

  const valid = { name: 'Missed follow-up', trigger: 'missed', actions: [{ type: 'sms_caller', message: 'Sorry we missed you, {{caller}}.' }] };
  const paths = (res: { body: { details: Array<{ path: string }> } }) => res.body.details.map((d) => d.path);

  it.each([
    [{ ...valid, trigger: 'rang' }, 'trigger'],
    [{ ...valid, name: ' ' }, 'name'],
    [{ ...valid, actions: [] }, 'actions'],
    [{ ...valid, conditions: [{ type: 'duration', operator: 'greater_than', seconds: -1 }] }, 'conditions.0.seconds'],
    [{ ...valid, conditions: [{ type: 'duration', operator: 'about', seconds: 5 }] }, 'conditions.0'],
    [{ ...valid, conditions: [{ type: 'caller_frequency', operator: 'at_least', calls: 0, days: 7 }] }, 'conditions.0.calls'],
    [{ ...valid, conditions: [{ type: 'source' }] }, 'conditions.0.lineIds'],
    [{ ...valid, actions: [{ type: 'sms_caller', message: '' }] }, 'actions.0.message'],
    [{ ...valid, actions: [{ type: 'webhook', url: 'http://crm.example/hook' }] }, 'actions.0.url'],
    [{ ...valid, actions: [{ type: 'fax' }] }, 'actions.0.type'],
  ])('refuses a bad definition with a 400 naming the field (%#)', async (body, path) => {
    const res = await a.api.post('/v1/tracking-workflows').send(body).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(paths(res)).toContain(path);
    const list = await a.api.get('/v1/tracking-workflows').expect(200);
    expect(list.body.data).toEqual([]);
  });

  it('refuses references to another account\'s lines and workflows, naming each', async () => {
    const wfB = await addCodeWorkflow(t, b.account.id, { name: 'B flow', code: 'BBBB', groupIds: [] });
    const res = await a.api.post('/v1/tracking-workflows').send({
      ...valid,
      conditions: [{ type: 'source', lineIds: [lineA.id, lineB.id] }],
      actions: [{ type: 'sms_caller', message: 'x', lineId: lineB.id }, { type: 'activate_workflow', workflowId: wfB.id }, { id: 'dup', type: 'email_owners' }, { id: 'dup', type: 'email_owners' }],
    }).expect(400);
    expect(res.body.details).toEqual([
      { path: 'conditions.0.lineIds.1', message: 'no such line in this account' },
      { path: 'actions.0.lineId', message: 'no such line in this account' },
      { path: 'actions.1.workflowId', message: 'no such workflow in this account' },
      { path: 'actions.3.id', message: 'repeats another action id' },
    ]);
  });

  it('creates, reads, replaces and deletes; the webhook Authorization is write-only and kept on replace', async () => {
    const body = {
      name: 'Answered > 10 s', trigger: 'answered',
      conditions: [{ type: 'duration', operator: 'greater_than', seconds: 10 }, { type: 'source', lineIds: [lineA.id], campaigns: ['Spring'] }],
      actions: [{ type: 'sms_caller', message: 'Thanks {{caller}}' }, { id: 'crm', type: 'webhook', url: 'https://crm.example/hook', authorization: 'Bearer s3cret' }],
    };
    const created = await a.api.post('/v1/tracking-workflows').send(body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Answered > 10 s', enabled: true, trigger: 'answered',
      actions: [{ id: 'sms_caller-1', type: 'sms_caller', message: 'Thanks {{caller}}' }, { id: 'crm', type: 'webhook', url: 'https://crm.example/hook', authorizationSet: true }],
    });
    expect(JSON.stringify(created.body)).not.toContain('s3cret');
    const stored = await t.rt.infra.db.query('SELECT actions::text AS a FROM tracking_workflows WHERE id = $1', [created.body.id]);
    expect(stored.rows[0].a).not.toContain('s3cret');
    await a.api.post('/v1/tracking-workflows').send(body).expect(409);
    await b.api.get(`/v1/tracking-workflows/${created.body.id}`).expect(404);
    await b.api.put(`/v1/tracking-workflows/${created.body.id}`).send(body).expect(404);

    const kept = await a.api.put(`/v1/tracking-workflows/${created.body.id}`).send({ ...body, enabled: false, actions: [{ id: 'crm', type: 'webhook', url: 'https://crm.example/v2' }] }).expect(200);
    expect(kept.body).toMatchObject({ enabled: false, actions: [{ id: 'crm', url: 'https://crm.example/v2', authorizationSet: true }] });
    const cleared = await a.api.put(`/v1/tracking-workflows/${created.body.id}`).send({ ...body, actions: [{ id: 'crm', type: 'webhook', url: 'https://crm.example/v2', authorization: null }] }).expect(200);
    expect(cleared.body.actions[0].authorizationSet).toBe(false);

    expect((await a.api.get(`/v1/tracking-workflows/${created.body.id}`).expect(200)).body.name).toBe('Answered > 10 s');
    await b.api.delete(`/v1/tracking-workflows/${created.body.id}`).expect(404);
    await a.api.delete(`/v1/tracking-workflows/${created.body.id}`).expect(204);
    await a.api.get(`/v1/tracking-workflows/${created.body.id}`).expect(404);
  });

  it('validates tracking line settings field by field', async () => {
    const post = (tracking: object) => a.api.post('/v1/lines').send({ phoneNumber: '+14155550177', provider: 'simulator', mode: 'tracking', settings: { tracking } });
    expect(paths(await post({ forwardTo: ['+14155552671', '12'] }).expect(400))).toEqual(['settings.tracking.forwardTo.1']);
    expect(paths(await post({ forwardTo: [] }).expect(400))).toEqual(['settings.tracking.forwardTo']);
    expect(paths(await post({ forwardTo: ['+14155552671', '+1 415 555 2671'] }).expect(400))).toEqual(['settings.tracking.forwardTo']);
    expect(paths(await post({ forwardTo: '+14155552671', ringStrategy: 'round-robin' }).expect(400))).toEqual(['settings.tracking.ringStrategy']);
    expect(paths(await post({ forwardTo: '+14155552671', source: '' }).expect(400))).toEqual(['settings.tracking.source']);
    expect(paths(await post({ forwardTo: '+14155552671', record: 'yes' }).expect(400))).toEqual(['settings.tracking.record']);
    const ok = await post({ source: 'Billboard A', forwardTo: ['+1 415 555 2671', '+14155552672'], ringStrategy: 'simultaneous', ringTimeoutSeconds: 25, record: true }).expect(201);
    expect(ok.body.settings.tracking).toEqual({ source: 'Billboard A', forwardTo: ['+14155552671', '+14155552672'], ringStrategy: 'simultaneous', ringTimeoutSeconds: 25, record: true });
  });

  it('lists calls and logs with filters, newest first, paged, scoped to the account', async () => {
    const db = t.rt.infra.db;
    const mk = async (n: number, caller: string, outcome: 'answered' | 'missed', at: string) => {
      const c = await db.query(
        `INSERT INTO calls (account_id, line_id, provider_call_id, direction, from_number, source, status, outcome, started_at)
         VALUES ($1, $2, $3, 'inbound', $4, 'Spring', 'completed', $5, $6) RETURNING id`,
        [a.account.id, lineA.id, `CA${String(n).padStart(32, '0')}`, caller, outcome, at],
      );
      await db.query(
        `INSERT INTO tracked_calls (call_id, account_id, line_id, provider_call_id, caller, source, started_at, forward_to, strategy, ring_timeout, ended_at, outcome, end_reason, talk_seconds)
         VALUES ($1, $2, $3, $4, $5, 'Spring', $6, '{+14155552671}', 'sequential', 20, $6, $7, $8, $9)`,
        [c.rows[0].id, a.account.id, lineA.id, `CA${String(n).padStart(32, '0')}`, caller, at, outcome, outcome === 'answered' ? 'completed' : 'no-answer', outcome === 'answered' ? 30 : 0],
      );
      return c.rows[0].id as string;
    };
    const ids = [
      await mk(1, '+14155550001', 'answered', '2025-01-01T10:00:00Z'),
      await mk(2, '+14155550002', 'missed', '2025-01-02T10:00:00Z'),
      await mk(3, '+14155550001', 'missed', '2025-01-03T10:00:00Z'),
    ];
    const all = await a.api.get('/v1/calls?limit=2').expect(200);
    expect(all.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const next = await a.api.get(`/v1/calls?limit=2&cursor=${all.body.nextCursor}`).expect(200);
    expect(next.body).toMatchObject({ data: [{ id: ids[0], outcome: 'answered', talkSeconds: 30 }], nextCursor: null });
    expect((await a.api.get('/v1/calls?caller=%2B14155550001&outcome=missed').expect(200)).body.data.map((c: { id: string }) => c.id)).toEqual([ids[2]]);
    expect((await a.api.get('/v1/calls?from=2025-01-02T00:00:00Z&to=2025-01-03T00:00:00Z').expect(200)).body.data.map((c: { id: string }) => c.id)).toEqual([ids[1]]);
    expect((await a.api.get(`/v1/calls?lineId=${lineA.id}&source=spring`).expect(200)).body.data).toHaveLength(3);
    expect((await b.api.get('/v1/calls').expect(200)).body.data).toEqual([]);
    await b.api.get(`/v1/calls/${ids[0]}`).expect(404);
    expect(paths(await a.api.get('/v1/calls?outcome=maybe').expect(400))).toEqual(['querystring.outcome']);
    expect(paths(await a.api.get('/v1/tracking-logs?lineId=nope').expect(400))).toEqual(['querystring.lineId']);
    expect(paths(await a.api.get('/v1/calls?cursor=garbage').expect(400))).toEqual(['cursor']);

    const wf = await a.api.post('/v1/tracking-workflows').send({ ...valid, name: 'For logs' }).expect(201);
    for (const [i, id] of ids.entries()) {
      await db.query(
        `INSERT INTO tracking_logs (account_id, call_id, workflow_id, workflow_name, trigger, caller, line_id, source, matched, reason, created_at)
         VALUES ($1, $2, $3, 'For logs', 'missed', $4, $5, 'Spring', $6, $7, $8)`,
        [a.account.id, id, wf.body.id, i === 1 ? '+14155550002' : '+14155550001', lineA.id, i !== 0, i === 0 ? 'conditions.0 (duration): no' : null, `2025-01-0${i + 1}T10:01:00Z`],
      );
    }
    const logs = await a.api.get(`/v1/tracking-logs?workflowId=${wf.body.id}&caller=%2B14155550001`).expect(200);
    expect(logs.body.data.map((l: { callId: string; matched: boolean }) => [l.callId, l.matched])).toEqual([[ids[2], true], [ids[0], false]]);
    expect((await a.api.get('/v1/tracking-logs?matched=false').expect(200)).body.data).toMatchObject([{ callId: ids[0], reason: 'conditions.0 (duration): no' }]);
    expect((await a.api.get('/v1/tracking-logs?from=2025-01-02T00:00:00Z&source=Spring').expect(200)).body.data).toHaveLength(2);
    expect((await b.api.get('/v1/tracking-logs').expect(200)).body.data).toEqual([]);
    const one = await a.api.get(`/v1/calls/${ids[0]}`).expect(200);
    expect(one.body).toMatchObject({ id: ids[0], logs: [{ workflowName: 'For logs', matched: false }] });
  });
});
