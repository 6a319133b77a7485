import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookUrlProblem } from '../../src/webhooks/ssrf-policy.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Issue 19: a webhook URL that can never be sent (user info, or a literal private / loopback /
 * metadata address) is refused when it is saved — a 400 naming the field — wherever webhook URLs
 * are saved, instead of being stored and failing at send time.
 */
const REFUSED: Array<[name: string, url: string, reason: RegExp]> = [
  ['user info before a loopback host', 'https://good@127.0.0.1/', /user name or password/],
  ['user and password before a public host', 'https://u:p@hooks.example.com/x', /user name or password/],
  ['RFC 1918 literal', 'https://10.0.0.5/', /10\.0\.0\.5 is private/],
  ['cloud metadata', 'https://169.254.169.254/latest/meta-data/', /metadata/],
  ['IPv6 loopback', 'https://[::1]/', /loopback/],
  ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]:8443/', /mapped.*loopback/],
  ['IPv4-mapped IPv6 private (hex)', 'https://[::ffff:a00:5]/', /mapped.*private/],
  ['decimal IPv4 loopback', 'https://2130706433/', /127\.0\.0\.1 is loopback/],
  ['octal IPv4 loopback', 'https://0177.0.0.1/', /127\.0\.0\.1 is loopback/],
  ['hex IPv4 private', 'https://0xa.0.0.5/', /10\.0\.0\.5 is private/],
  ['IPv6 unique local', 'https://[fd00::1]/', /unique local/],
];

describe('webhook URLs are checked when saved', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
  });
  afterAll(async () => t?.close());

  const hook = (url: string) => ({ type: 'webhook', method: 'POST', url });
  const good = 'https://hooks.example.com/in';

  it.each(REFUSED)('workflow webhook action: refuses %s with a 400 naming actions.2.url', async (_n, url, reason) => {
    const res = await a.api.post('/v1/workflows').send({ name: `wf ${Math.random()}`, actions: [hook(good), hook(good), hook(url)] });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details).toEqual([{ path: 'actions.2.url', message: expect.stringMatching(reason) }]);
  });

  it('stores nothing for a refused workflow, and refuses the same URL on update', async () => {
    const name = `keep ${Math.random()}`;
    await a.api.post('/v1/workflows').send({ name, actions: [hook('https://10.0.0.5/')] }).expect(400);
    const list = await a.api.get('/v1/workflows').expect(200);
    expect(list.body.data.map((w: { name: string }) => w.name)).not.toContain(name);

    const created = await a.api.post('/v1/workflows').send({ name, actions: [hook(good)] }).expect(201);
    const upd = await a.api.put(`/v1/workflows/${created.body.id}`).send({ name, actions: [hook(good), hook('https://[::1]/')] }).expect(400);
    expect(upd.body.details).toEqual([{ path: 'actions.1.url', message: expect.stringMatching(/loopback/) }]);
    const after = await a.api.get(`/v1/workflows/${created.body.id}`).expect(200);
    expect(after.body.actions.map((x: { url: string }) => x.url)).toEqual([good]);
  });

  it('accepts public addresses and names (names are checked when sending)', async () => {
    for (const url of ['https://93.184.216.34/hook', 'https://[2606:4700::1111]/x', 'https://hooks.example.com:8443/{{workflow_name}}']) {
      const res = await a.api.post('/v1/workflows').send({ name: `ok ${Math.random()}`, actions: [hook(url)] });
      expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(201);
    }
  });

  it('rule http action: refuses a private address, naming actions.2.url', async () => {
    const http = (url: string) => ({ type: 'http', url });
    const res = await a.api.post('/v1/rules').send({
      name: 'to the metadata service', eventType: 'call.ended',
      conditions: [{ field: 'event.disposition', operator: 'equals', value: 'missed' }],
      actions: [http(good), { type: 'change_status', status: 'x' }, http('https://169.254.169.254/latest/')],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.details).toEqual([{ path: 'actions.2.url', message: expect.stringMatching(/metadata/) }]);
    expect((await a.api.get('/v1/rules').expect(200)).body.data).toEqual([]);

    const created = await a.api.post('/v1/rules').send({
      name: 'fine', eventType: 'call.ended', conditions: [], actions: [http(good)],
    }).expect(201);
    const patched = await a.api.patch(`/v1/rules/${created.body.id}`).send({ actions: [http('https://user@hooks.example.com/')] }).expect(400);
    expect(patched.body.details).toEqual([{ path: 'actions.0.url', message: expect.stringMatching(/user name or password/) }]);
  });

  it('tracking workflow webhook action: refuses a loopback address, naming actions.1.url', async () => {
    const res = await a.api.post('/v1/tracking-workflows').send({
      name: 'Missed to loopback', trigger: 'missed',
      actions: [{ type: 'email_owners' }, { type: 'webhook', url: 'https://[::ffff:7f00:1]/hook' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.details).toEqual([{ path: 'actions.1.url', message: expect.stringMatching(/loopback/) }]);
    expect((await a.api.get('/v1/tracking-workflows').expect(200)).body.data).toEqual([]);

    const created = await a.api.post('/v1/tracking-workflows').send({ name: 'ok', trigger: 'missed', actions: [{ type: 'webhook', url: good }] }).expect(201);
    const upd = await a.api.put(`/v1/tracking-workflows/${created.body.id}`)
      .send({ name: 'ok', trigger: 'missed', actions: [{ type: 'webhook', url: 'https://192.168.1.1/' }] }).expect(400);
    expect(upd.body.details).toEqual([{ path: 'actions.0.url', message: expect.stringMatching(/private/) }]);
  });

  it('sequence webhook step: refuses a private address, naming steps.1.send.url', async () => {
    const step = (url: string) => ({ type: 'send', send: { channel: 'webhook', url } });
    const res = await a.api.post('/v1/sequences').send({
      name: 'Seq to private', steps: [{ type: 'delay', delay: { amount: 1, unit: 'days' } }, step('https://10.1.2.3/')],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.details).toEqual([{ path: 'steps.1.send.url', message: expect.stringMatching(/private/) }]);
    const created = await a.api.post('/v1/sequences').send({ name: 'Seq ok', steps: [step(good)] }).expect(201);
    const added = await a.api.post(`/v1/sequences/${created.body.id}/steps`).send(step('https://[::1]/'));
    expect(added.status, JSON.stringify(added.body)).toBe(400);
    expect(added.body.details[0]).toMatchObject({ message: expect.stringMatching(/loopback/) });
  });
});

describe('WEBHOOK_ALLOWED_HOSTS still admits named hosts for local testing', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,::1' }, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('saves a webhook to an allowed loopback address, still refuses others and user info', async () => {
    const a = await createTestAccount(t);
    const save = (url: string) => a.api.post('/v1/workflows').send({ name: `wf ${Math.random()}`, actions: [{ type: 'webhook', url }] });
    expect((await save('https://127.0.0.1:8443/hook')).status).toBe(201);
    expect((await save('https://[::1]:8443/hook')).status).toBe(201);
    expect((await save('https://10.0.0.5/')).status).toBe(400);
    expect((await save('https://good@127.0.0.1/')).status).toBe(400);
    const rule = await a.api.post('/v1/rules').send({ name: 'local', eventType: 'call.ended', conditions: [], actions: [{ type: 'http', url: 'https://127.0.0.1/x' }] });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  });

  it('matches the policy function used at send time', () => {
    expect(webhookUrlProblem('https://127.0.0.1/', ['127.0.0.1'])).toBeNull();
    expect(webhookUrlProblem('https://LOCALHOST/', [])).toBeNull();
    expect(webhookUrlProblem('https://127.0.0.1/', [])).toMatch(/loopback/);
  });
});
