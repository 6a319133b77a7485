/**
 * The channels through the whole action engine: API activation -> planner (prompt, attachment
 * link, push capability) -> delivery workers -> a real SMTP server process, the simulator push
 * provider, the carrier emulator (SMS instead of push) and a local HTTPS webhook receiver.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/crypto.js';
import { addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow, deliveriesOf } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { startHttpsServer, type LocalHttpsServer } from '../helpers/https-server.js';
import { createTestAccount } from '../helpers/runtime.js';
import { startSmtpServer, type SmtpServerProcess } from '../helpers/smtp-server.js';

describe('e-mail, push, webhook and prompt through the action engine', () => {
  let smtp: SmtpServerProcess;
  let hooks: LocalHttpsServer;
  let llm: Server;
  let llmMode: 'ok' | 'slow' = 'ok';
  let env: RuntimeWithCarrier;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  let dir: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    hooks = await startHttpsServer();
    llm = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const prompt = JSON.parse(Buffer.concat(chunks).toString('utf8')).messages.at(-1).content as string;
        const content = prompt.startsWith('Advise') ? 'Move cars uphill.' : 'Level 3 "flood"\nwarning';
        const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
        if (llmMode === 'slow') setTimeout(answer, 1500);
        else answer();
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', () => r()));
    dir = mkdtempSync(path.join(tmpdir(), 'sb-ca-'));
    writeFileSync(path.join(dir, 'ca.pem'), hooks.ca);
    env = await startRuntimeWithCarrier({
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Switchboard <alerts@switchboard.test>',
      WEBHOOK_ALLOWED_HOSTS: 'localhost',
      WEBHOOK_CA_FILE: path.join(dir, 'ca.pem'),
      PROMPT_API_URL: `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`,
      PROMPT_TIMEOUT_MS: '300',
      PUSH_PROVIDER: 'simulator',
      DELIVERY_BACKOFF_MS: '50',
      SWEEP_INTERVAL_MS: '300',
    }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, acct.account.id, env.creds);
  });
  afterAll(async () => {
    await env?.close();
    await smtp?.stop();
    await hooks?.close();
    llm?.closeAllConnections();
    await new Promise((r) => llm?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const mailTo = (address: string) => smtp.messages().filter((m) => m.to.includes(address));
  const smsTo = (phone: string) => env.carrier.messages.filter((m) => m.to === phone && m.direction === 'outbound-api');

  it('e-mails, pushes (or texts instead) with prompt output and attachment link, and calls the webhook once', async () => {
    const up = await acct.api.post('/v1/attachments').attach('file', Buffer.from('%PDF-1.4 evacuation map'), { filename: 'map.pdf', contentType: 'application/pdf' }).expect(201);
    const link = up.body.shortUrl as string;
    const [annPhone, benPhone, calPhone] = [uniqueNumber(), uniqueNumber(), uniqueNumber()];
    const ids = await addPeople(env.t, acct.account.id, [
      { name: 'Ann', email: 'ann@example.test', phone: annPhone, pushToken: 'tok-ann' },
      { name: 'Ben', email: 'ben@example.test', phone: benPhone },
      { name: 'Cal', email: 'cal@example.test', phone: calPhone, optedOutChannels: ['email'], pushToken: 'tok-cal' },
    ]);
    const g = await addGroupOf(env.t, acct.account.id, 'Flood team', ids);
    const sealed = createSecretBox(env.t.config.SECRET_KEY).seal('Bearer hook-secret');
    hooks.respond((_r, res) => res.writeHead(200).end('ok'));
    const wf = await addWorkflow(env.t, acct.account.id, {
      name: 'River flood',
      codeLineId: line.id,
      actions: [
        {
          id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: false, subject: 'Flood at [[site]]', message: 'Water rising at [[site]].',
          channels: ['email', 'push'], attachmentId: up.body.id, prompt: { text: 'Advise for [[site]]', appendToMessage: true },
        },
        {
          id: 'h1', type: 'webhook', method: 'POST', url: `${hooks.url}/incident`, authorizationSealed: sealed,
          body: '{"wf":"{{workflow_name}}","id":"{{activation_uuid}}","site":"[[site]]","ai":"{{prompt_output}}"}',
          prompt: { text: 'Summarise [[site]]', appendToMessage: false },
        },
      ],
    });

    const body = { placeholders: { site: 'Elm "St"' } };
    const res = await acct.api.post(`/v1/workflows/${wf}/activations`).set('idempotency-key', 'flood-e2e').send(body).expect(201);
    const id = res.body.id as string;
    await eventually(async () => (await activationStatus(env.t, id)) === 'completed', 'activation completed');

    const text = `Water rising at Elm "St".\n\nMove cars uphill.\n${link}`;
    for (const who of ['ann@example.test', 'ben@example.test']) {
      expect(mailTo(who).map((m) => ({ from: m.from, subject: m.subject, text: m.text }))).toEqual([{ from: 'alerts@switchboard.test', subject: 'Flood at Elm "St"', text }]);
    }
    expect(mailTo('cal@example.test')).toEqual([]);

    const pushes = await env.t.rt.infra.db.query('SELECT token, title, body FROM simulated_pushes WHERE account_id = $1 ORDER BY token', [acct.account.id]);
    expect(pushes.rows).toEqual([
      { token: 'tok-ann', title: 'Flood at Elm "St"', body: text },
      { token: 'tok-cal', title: 'Flood at Elm "St"', body: text },
    ]);
    // Ben has no device: the product promise is SMS instead.
    await eventually(async () => smsTo(benPhone).length === 1, 'Ben texted');
    expect(smsTo(benPhone).map((m) => [m.from, m.body])).toEqual([[line.phone, text]]);
    expect(smsTo(annPhone)).toEqual([]);

    const calls = hooks.requests.filter((r) => r.url === '/incident');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.authorization).toBe('Bearer hook-secret');
    expect(JSON.parse(calls[0]!.body)).toEqual({ wf: 'River flood', id, site: 'Elm "St"', ai: 'Level 3 "flood"\nwarning' });

    const rows = await deliveriesOf(env.t, id);
    const by = (name: string | null, channel: string) => rows.find((d) => d.name === name && d.channel === channel);
    expect(by('Ann', 'email')).toMatchObject({ status: 'sent', provider: 'smtp' });
    expect(by('Cal', 'email')).toMatchObject({ status: 'skipped', skip_reason: 'opted_out_email' });
    expect(by('Ann', 'push')).toMatchObject({ status: 'sent', provider: 'push:simulator' });
    expect(by('Ben', 'sms')?.meta).toMatchObject({ fallbackFrom: 'push' });
    expect(by(null, 'webhook')).toMatchObject({ status: 'delivered', provider: 'webhook' });
    expect(by(null, 'webhook')!.meta).toMatchObject({ httpStatus: 200, durationMs: expect.any(Number) });

    // The same trigger again: the first activation, and nobody gets anything twice.
    const again = await acct.api.post(`/v1/workflows/${wf}/activations`).set('idempotency-key', 'flood-e2e').send(body).expect(200);
    expect(again.body.id).toBe(id);
    await drained(env.t, { carrier: env.carrier });
    expect(mailTo('ann@example.test')).toHaveLength(1);
    expect(hooks.requests.filter((r) => r.url === '/incident')).toHaveLength(1);
  });

  it('degrades without the prompt on a timeout, retries a 503 webhook, fails an e-mail the server refuses', async () => {
    llmMode = 'slow';
    try {
      const ids = await addPeople(env.t, acct.account.id, [
        { name: 'Dee', email: 'dee@example.test' },
        { name: 'Eli', email: 'reject-eli@example.test' },
      ]);
      const g = await addGroupOf(env.t, acct.account.id, 'Degrade team', ids);
      let n = 0;
      hooks.respond((_r, res) => (++n === 1 ? res.writeHead(503).end('busy') : res.writeHead(204).end()));
      const wf = await addWorkflow(env.t, acct.account.id, {
        name: 'Degrade',
        actions: [
          { id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: false, message: 'Storm warning.', channels: ['email'], prompt: { text: 'Advise now', appendToMessage: true } },
          { id: 'h1', type: 'webhook', method: 'POST', url: `${hooks.url}/retry`, body: '{"ai":"{{prompt_output}}"}', prompt: { text: 'Summarise' } },
        ],
      });
      const res = await acct.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201);
      await eventually(async () => (await activationStatus(env.t, res.body.id)) === 'completed', 'completed');

      expect(mailTo('dee@example.test').map((m) => m.text)).toEqual(['Storm warning.']);
      const rows = await deliveriesOf(env.t, res.body.id);
      const dee = rows.find((d) => d.name === 'Dee')!;
      expect(dee.status).toBe('sent');
      expect(dee.meta.promptError).toMatch(/prompt API did not answer within 300 ms/);
      expect(rows.find((d) => d.name === 'Eli')).toMatchObject({ status: 'failed', error_code: 'smtp_550', attempts: 1 });

      const hook = rows.find((d) => d.channel === 'webhook')!;
      expect(hook).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(hook.meta).toMatchObject({ httpStatus: 204 });
      const sent = hooks.requests.filter((r) => r.url === '/retry');
      expect(sent).toHaveLength(2);
      expect(sent.map((r) => JSON.parse(r.body))).toEqual([{ ai: '' }, { ai: '' }]);
      expect(sent[0]!.headers['idempotency-key']).toBe(sent[1]!.headers['idempotency-key']);
    } finally {
      llmMode = 'ok';
    }
  });
});
