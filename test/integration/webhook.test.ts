import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsWebhookClient } from '../../adapters/webhook/https-webhook-client.js';
import { createWebhookSender } from '../../adapters/webhook/webhook-sender.js';
import { createSecretBox } from '../../src/crypto.js';
import type { DeliveryJob } from '../../src/engine/channel-port.js';
import { ProviderError } from '../../src/errors.js';
import { buildWebhookPayload } from '../../src/webhooks/webhook-payload.js';
import { startHttpsServer, type LocalHttpsServer } from '../helpers/https-server.js';

const secrets = createSecretBox('webhook-test-secret-0123456789abcdefgh');

const job = (payload: Record<string, unknown>): DeliveryJob => ({
  deliveryId: '0d1e2f30-0000-4000-8000-000000000001',
  accountId: 'acc',
  activationId: '0d1e2f30-0000-4000-8000-0000000000aa',
  actionId: 'hook',
  channel: 'webhook',
  contactId: null,
  address: null,
  attempt: 1,
  payload,
});

const providerError = async (p: Promise<unknown>): Promise<ProviderError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError');
};

describe('webhook channel against a local HTTPS server (allowed by WEBHOOK_ALLOWED_HOSTS)', () => {
  let server: LocalHttpsServer;
  beforeAll(async () => {
    server = await startHttpsServer();
  });
  afterAll(async () => server?.close());

  const client = (timeoutMs = 3000) => createHttpsWebhookClient({ timeoutMs, allowedHosts: ['localhost'], ca: server.ca, userAgent: 'Switchboard-Webhook/1.0' });
  const sender = (timeoutMs = 3000) => createWebhookSender({ client: client(timeoutMs), secrets });
  const ok = () => server.respond((_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'));

  it('POSTs the rendered JSON body with the opened Authorization header and records status and timing', async () => {
    ok();
    const hostile = 'He said "run"\\ now}\n{"injected": true';
    const payload = buildWebhookPayload(
      { method: 'POST', url: `${server.url}/hooks/incident?src=sb`, authorizationSealed: secrets.seal('Bearer s3cr3t-token'), body: '{"workflow":"{{workflow_name}}","id":"{{activation_uuid}}","msg":"{{inbound_message}}","rec":"{{recording_url}}","ai":"{{prompt_output}}","site":"[[site]]"}' },
      { workflow_name: 'Gas "leak"', activation_uuid: '0d1e2f30-0000-4000-8000-0000000000aa', inbound_message: hostile, recording_url: 'https://rec.example/r1.mp3', prompt_output: 'line1\nline2' },
      { site: 'B\\2' },
    );
    const before = server.requests.length;
    const res = await sender().send(job(payload));
    expect(res).toMatchObject({ status: 'delivered', provider: 'webhook', meta: { httpStatus: 200, redirects: 0, response: '{"received":true}' } });
    expect(res.meta!.durationMs).toEqual(expect.any(Number));
    const [got] = server.requests.slice(before);
    expect(got).toMatchObject({ method: 'POST', url: '/hooks/incident?src=sb' });
    expect(got!.headers).toMatchObject({
      authorization: 'Bearer s3cr3t-token',
      'content-type': 'application/json',
      'idempotency-key': '0d1e2f30-0000-4000-8000-000000000001',
      'user-agent': 'Switchboard-Webhook/1.0',
    });
    // Every value survives JSON parsing intact: nothing broke out of its string.
    expect(JSON.parse(got!.body)).toEqual({
      workflow: 'Gas "leak"', id: '0d1e2f30-0000-4000-8000-0000000000aa', msg: hostile, rec: 'https://rec.example/r1.mp3', ai: 'line1\nline2', site: 'B\\2',
    });
    expect(JSON.stringify(payload)).not.toContain('s3cr3t');
  });

  it('sends GET without a body', async () => {
    ok();
    const before = server.requests.length;
    await sender().send(job(buildWebhookPayload({ method: 'GET', url: `${server.url}/ping`, body: '{"x":1}' }, { workflow_name: 'w', activation_uuid: 'u' })));
    expect(server.requests.slice(before)).toMatchObject([{ method: 'GET', url: '/ping', body: '' }]);
    expect(server.requests.at(-1)!.headers['content-type']).toBeUndefined();
  });

  it.each([
    [500, true, false],
    [503, true, false],
    [429, true, true],
    [400, false, false],
    [404, false, false],
  ])('classifies HTTP %i (retryable %s, rate limited %s)', async (status, retryable, rateLimited) => {
    server.respond((_r, res) => res.writeHead(status).end('nope'));
    const err = await providerError(sender().send(job({ method: 'POST', url: `${server.url}/x`, body: '{}' })));
    expect(err).toMatchObject({ retryable, rateLimited, providerStatus: status, providerCode: `http_${status}` });
    expect(err.message).toMatch(new RegExp(`HTTP ${status} after \\d+ ms`));
  });

  it('gives up after WEBHOOK_TIMEOUT_MS and retries later', async () => {
    server.respond(() => new Promise((r) => setTimeout(r, 1500)));
    const started = Date.now();
    const err = await providerError(sender(300).send(job({ method: 'POST', url: `${server.url}/slow`, body: '{}' })));
    expect(Date.now() - started).toBeLessThan(1200);
    expect(err).toMatchObject({ retryable: true, providerCode: 'timeout' });
  });

  it('follows up to 3 redirects on the same host, turning a 303 into a GET', async () => {
    server.respond((req, res) => {
      const n = Number(/\/r(\d)/.exec(req.url)?.[1] ?? 0);
      if (n === 1) return void res.writeHead(303, { location: '/r2' }).end();
      if (n === 2 || n === 3) return void res.writeHead(307, { location: `/r${n + 1}` }).end();
      res.writeHead(200).end('final');
    });
    const before = server.requests.length;
    const out = await client().send({ method: 'POST', url: `${server.url}/r1`, body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(out).toMatchObject({ ok: true, response: { status: 200, redirects: 3, bodyExcerpt: 'final', finalUrl: `${server.url}/r4` } });
    expect(server.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual(['POST /r1', 'GET /r2', 'GET /r3', 'GET /r4']);
  });

  it('refuses a fourth redirect', async () => {
    server.respond((req, res) => res.writeHead(302, { location: `${req.url}x` }).end());
    const out = await client().send({ method: 'GET', url: `${server.url}/loop` });
    expect(out).toMatchObject({ ok: false, failure: { kind: 'too_many_redirects' } });
    const err = await providerError(sender().send(job({ method: 'GET', url: `${server.url}/loop` })));
    expect(err).toMatchObject({ retryable: false, providerCode: 'too_many_redirects' });
  });

  it('drops the Authorization header when a redirect leaves the origin', async () => {
    const other = await startHttpsServer();
    try {
      other.respond((_r, res) => res.writeHead(200).end('other'));
      server.respond((_r, res) => res.writeHead(307, { location: `https://127.0.0.1:${other.port}/landing` }).end());
      const c = createHttpsWebhookClient({ timeoutMs: 3000, allowedHosts: ['localhost', '127.0.0.1'], ca: server.ca });
      const out = await c.send({ method: 'POST', url: `${server.url}/start`, headers: { authorization: 'Bearer keep-me-home' }, body: '{}' });
      expect(out).toMatchObject({ ok: true, response: { status: 200, redirects: 1 } });
      expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer keep-me-home');
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('fails permanently on an untrusted certificate (verification is never switched off)', async () => {
    ok();
    const untrusting = createWebhookSender({ client: createHttpsWebhookClient({ timeoutMs: 3000, allowedHosts: ['localhost'] }), secrets });
    const err = await providerError(untrusting.send(job({ method: 'GET', url: `${server.url}/x` })));
    expect(err).toMatchObject({ retryable: false, providerCode: 'tls' });
  });

  it('refuses the same local server when its host is not allowed', async () => {
    ok();
    const before = server.requests.length;
    const strict = createWebhookSender({ client: createHttpsWebhookClient({ timeoutMs: 3000, ca: server.ca }), secrets });
    const err = await providerError(strict.send(job({ method: 'GET', url: `${server.url}/x` })));
    expect(err).toMatchObject({ retryable: false, providerCode: 'ssrf_refused' });
    expect(err.message).toMatch(/localhost resolves to 127\.0\.0\.1 is loopback/);
    expect(server.requests.length).toBe(before);
  });

  it('fails permanently when the sealed Authorization cannot be opened', async () => {
    const err = await providerError(sender().send(job({ method: 'GET', url: `${server.url}/x`, authorizationSealed: createSecretBox('another-key-0123456789abcdefghijklmn').seal('x') })));
    expect(err).toMatchObject({ retryable: false, providerCode: 'authorization_unreadable' });
  });

  it('treats a connection refused as transient', async () => {
    const closedPort = server.port;
    const temp = await startHttpsServer();
    const port = temp.port;
    await temp.close();
    expect(port).not.toBe(closedPort);
    const err = await providerError(sender().send(job({ method: 'GET', url: `https://localhost:${port}/` })));
    expect(err).toMatchObject({ retryable: true, providerCode: 'network' });
  });
});
