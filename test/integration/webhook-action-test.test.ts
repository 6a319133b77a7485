import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpsServer, type LocalHttpsServer } from '../helpers/https-server.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('POST /v1/workflows/:id/actions/:actionId/test', () => {
  let server: LocalHttpsServer;
  let t: TestRuntime;
  let dir: string;
  beforeAll(async () => {
    server = await startHttpsServer();
    dir = mkdtempSync(path.join(tmpdir(), 'sb-ca-'));
    writeFileSync(path.join(dir, 'ca.pem'), server.ca);
    t = await startTestRuntime({ WEBHOOK_ALLOWED_HOSTS: 'localhost', WEBHOOK_CA_FILE: path.join(dir, 'ca.pem'), WEBHOOK_TIMEOUT_MS: '2000' }, { web: true, worker: false });
  });
  afterAll(async () => {
    await t?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const createWorkflow = async (api: Awaited<ReturnType<typeof createTestAccount>>['api'], name: string, url: string, extra: Record<string, unknown> = {}) => {
    const res = await api.post('/v1/workflows').send({
      name,
      actions: [{ id: 'hook', type: 'webhook', method: 'POST', url, authorization: 'Bearer top-secret', body: '{"wf":"{{workflow_name}}","id":"{{activation_uuid}}","site":"[[site]]","msg":"{{inbound_message}}"}', ...extra }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };

  it('sends the test request with the stored Authorization and reports status and timing', async () => {
    const a = await createTestAccount(t);
    const id = await createWorkflow(a.api, 'Incident "hook"', `${server.url}/incident`);
    server.respond((_r, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}'));
    const before = server.requests.length;
    const res = await a.api.post(`/v1/workflows/${id}/actions/hook/test`).send({ placeholders: { site: 'Dock "7"' } }).expect(200);
    expect(res.body).toMatchObject({ ok: true, status: 202, refused: false, error: null, redirects: 0, responseExcerpt: '{"queued":true}' });
    expect(res.body.durationMs).toEqual(expect.any(Number));
    expect(res.body.request).toMatchObject({ method: 'POST', url: `${server.url}/incident`, authorization: true });
    expect(JSON.stringify(res.body)).not.toContain('top-secret');

    const [got] = server.requests.slice(before);
    expect(got!.headers.authorization).toBe('Bearer top-secret');
    expect(got!.headers['x-switchboard-test']).toBe('true');
    const body = JSON.parse(got!.body);
    expect(body).toMatchObject({ wf: 'Incident "hook"', site: 'Dock "7"', msg: 'This is a test request from Switchboard.' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports the receiver\'s error status without failing the API call', async () => {
    const a = await createTestAccount(t);
    const id = await createWorkflow(a.api, 'Broken receiver', `${server.url}/down`);
    server.respond((_r, res) => res.writeHead(503).end('maintenance'));
    const res = await a.api.post(`/v1/workflows/${id}/actions/hook/test`).send({}).expect(200);
    expect(res.body).toMatchObject({ ok: false, status: 503, refused: false, responseExcerpt: 'maintenance' });
  });

  // Such URLs are refused when saved (webhook-url-save.test.ts); one stored before that check
  // existed still meets the send-time guard.
  const storedWithUrl = async (api: Awaited<ReturnType<typeof createTestAccount>>['api'], name: string, url: string) => {
    const id = await createWorkflow(api, name, 'https://hooks.example.com/placeholder');
    await t.rt.infra.db.query(
      `UPDATE workflow_versions SET definition = jsonb_set(definition, '{actions,0,url}', to_jsonb($2::text)) WHERE workflow_id = $1`, [id, url],
    );
    return id;
  };

  it('reports the SSRF refusal reason for a private address, and sends nothing', async () => {
    const a = await createTestAccount(t);
    const id = await storedWithUrl(a.api, 'Metadata grab', 'https://169.254.169.254/latest/meta-data/');
    const id2 = await storedWithUrl(a.api, 'Loopback by IP', `https://127.0.0.1:${server.port}/internal`);
    const before = server.requests.length;
    const r1 = await a.api.post(`/v1/workflows/${id}/actions/hook/test`).expect(200);
    expect(r1.body).toMatchObject({ ok: false, status: null, refused: true, error: { kind: 'refused', reason: 'refused: 169.254.169.254 is a cloud metadata address' } });
    const r2 = await a.api.post(`/v1/workflows/${id2}/actions/hook/test`).expect(200);
    expect(r2.body).toMatchObject({ ok: false, refused: true, error: { kind: 'refused' } });
    expect(r2.body.error.reason).toMatch(/127\.0\.0\.1 is loopback/);
    expect(server.requests.length).toBe(before);
  });

  it('404s for an unknown action or another account\'s workflow, 422 for a non-webhook action, 400 for bad input', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const id = await createWorkflow(a.api, 'Mine', `${server.url}/x`);
    const nope = await a.api.post(`/v1/workflows/${id}/actions/nope/test`); expect(nope.status, JSON.stringify(nope.body)).toBe(404);
    await b.api.post(`/v1/workflows/${id}/actions/hook/test`).expect(404);
    const bad = await a.api.post(`/v1/workflows/${id}/actions/hook/test`).send({ placeholders: { site: 5 } }).expect(400);
    expect(bad.body.details[0].path).toBe('placeholders.site');
    await a.api.post('/v1/workflows/not-a-uuid/actions/hook/test').expect(400);

    const group = await a.api.post('/v1/groups').send({ name: 'Ops' }).expect(201);
    const wf = await a.api.post('/v1/workflows').send({
      name: 'Notify', actions: [{ id: 'n1', type: 'notification', groupIds: [group.body.id], message: 'hi', channels: ['sms'] }],
    }).expect(201);
    const res = await a.api.post(`/v1/workflows/${wf.body.id}/actions/n1/test`).expect(422);
    expect(res.body).toMatchObject({ error: 'not_a_webhook_action' });
  });
});
