/**
 * Web Push end to end (issue 17): the engine pushes through `web-push` to a local push service
 * that decrypts the message (RFC 8291) and checks VAPID (RFC 8292) with its own node:crypto code;
 * a responder acknowledges and answers polls through the responder API; a push service that
 * says 410 or does not answer makes the person get exactly one SMS (carrier emulator).
 */
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushFallback } from '../../src/push/push-fallback.js';
import { addTwilioLine, uniqueNumber } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { activationStatus, addGroupOf, addPeople, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { startPushService, type LocalPushService } from '../helpers/push-service.js';
import { createTestAccount } from '../helpers/runtime.js';

const vapid = webpush.generateVAPIDKeys();
const PASSWORD = 'responder-pass-123';

describe('Web Push to responders, with SMS fallback at send time', () => {
  let env: RuntimeWithCarrier;
  let push: LocalPushService;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let lineId: string;

  beforeAll(async () => {
    push = await startPushService();
    env = await startRuntimeWithCarrier({
      VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: 'mailto:ops@example.test',
      PUSH_ALLOWED_HOSTS: 'localhost', WEBHOOK_CA_FILE: push.caFile, PUSH_TIMEOUT_MS: '400', PUSH_MAX_ATTEMPTS: '2',
      DELIVERY_BACKOFF_MS: '50', SIMULATOR_CALLBACKS: 'false',
      LOGIN_RATE_LIMIT: '100', // every responder here signs in from the same test client
    }, { web: true, worker: true });
    acct = await createTestAccount(env.t);
    lineId = (await addTwilioLine(env.t, acct.account.id, env.creds)).id;
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await push?.close();
  });

  const db = () => env.t.rt.infra.db;

  /** A contact with a phone, a dashboard user linked to it (by the admin API) and that user's session. */
  const responder = async (name: string, of: typeof acct = acct) => {
    const phone = uniqueNumber();
    const [contactId] = await addPeople(env.t, of.account.id, [{ name, phone }]);
    const email = `${name.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    const user = await env.t.rt.services.users.createUser(of.account.id, { email, password: PASSWORD, role: 'member' });
    await of.api.put(`/v1/users/${user.id}/contact`).send({ contactId }).expect(200);
    const agent = env.t.http();
    const login = await agent.post('/auth/login').set('x-forwarded-for', `198.51.100.${Math.floor(Math.random() * 250) + 1}`).send({ email, password: PASSWORD }).expect(200);
    const csrf = login.body.csrfToken as string;
    const post = (url: string) => agent.post(url).set('x-csrf-token', csrf);
    return { contactId: contactId!, phone, userId: user.id, agent, csrf, post };
  };

  const notify = async (contactIds: string[], action: Record<string, unknown> = {}) => {
    const group = await addGroupOf(env.t, acct.account.id, `g-${Math.random()}`, contactIds);
    const workflowId = await addWorkflow(env.t, acct.account.id, {
      name: `Flood watch ${Math.random().toString(36).slice(2, 8)}`, codeLineId: lineId,
      actions: [{ id: 'n1', type: 'notification', groupIds: [group], includeOffDuty: false, subject: 'Flood warning', message: 'River at 5.2 m: move to higher ground', channels: ['push'], ...action }],
    });
    const { activation } = await env.t.rt.services.activations.activate({ accountId: acct.account.id, workflowId, source: 'api', idempotencyKey: `k-${Math.random()}` });
    return activation.id as string;
  };

  const deliveries = async (activationId: string) =>
    (await db().query(`SELECT id, contact_id, channel, status, error_code, error_message, meta FROM deliveries WHERE activation_id = $1 ORDER BY channel`, [activationId])).rows;
  const smsTo = (phone: string) => env.carrier.messages.filter((m) => m.to === phone);
  const settled = (activationId: string) => eventually(async () => (await activationStatus(env.t, activationId)) === 'completed'
    && (await deliveries(activationId)).every((d) => !['pending', 'sending'].includes(d.status)), 'activation settled');

  it('pushes the notification the phone decrypts (RFC 8291, VAPID checked); the responder acknowledges it', async () => {
    const r = await responder('Dana');
    const sub = push.subscribe('accept');
    const dev = await r.post('/v1/responder/push-subscriptions').send({ ...sub.json, device: 'Pixel 8' }).expect(201);
    expect(dev.body).toMatchObject({ device: 'Pixel 8', pushService: new URL(push.origin).host });
    expect((await r.agent.get('/v1/responder').expect(200)).body).toMatchObject({ contact: { id: r.contactId, name: 'Dana' }, vapidPublicKey: vapid.publicKey, devices: [{ id: dev.body.id }] });

    const activationId = await notify([r.contactId]);
    const got = await eventually(async () => push.received.find((p) => p.subscriptionId === sub.id), 'the push');
    expect(push.rejected).toEqual([]);
    expect(got.json).toMatchObject({ title: 'Flood warning', body: 'River at 5.2 m: move to higher ground', activationId, url: '/#/responder', poll: null });
    expect(got.vapid).toMatchObject({ aud: push.origin, sub: 'mailto:ops@example.test', key: vapid.publicKey });
    expect(got.headers.urgency).toBe('high');
    const [d] = await deliveries(activationId);
    expect(got.json.deliveryId).toBe(d.id);
    expect(got.headers.topic).toBe(d.id.replace(/-/g, ''));
    await eventually(async () => (await deliveries(activationId))[0]?.status === 'sent', 'push delivery sent');

    const alerts = (await r.agent.get('/v1/responder/alerts').expect(200)).body.data;
    expect(alerts).toMatchObject([{ deliveryId: d.id, channel: 'push', title: 'Flood warning', body: 'River at 5.2 m: move to higher ground', acknowledged: false }]);
    const ack = await r.post(`/v1/responder/alerts/${d.id}/acknowledge`).send({ via: 'push' }).expect(200);
    expect(ack.body).toMatchObject({ deliveryId: d.id, status: 'acknowledged', acknowledged: true });
    const shown = await acct.api.get(`/v1/activations/${activationId}`).expect(200);
    expect(JSON.stringify(shown.body)).toContain('"acknowledged"');
    expect((await deliveries(activationId))[0]).toMatchObject({ channel: 'push', status: 'acknowledged' });
    expect(smsTo(r.phone)).toEqual([]);
  });

  it('a poll is pushed with its options and answered with one tap (answer recorded, alert acknowledged)', async () => {
    const r = await responder('Poppy');
    await r.post('/v1/responder/push-subscriptions').send(push.subscribe('accept').json).expect(201);
    const activationId = await notify([r.contactId], { poll: { question: 'Can you come in?', options: ['Yes', 'No'], durationMinutes: 60 } });
    const got = await eventually(async () => push.received.find((p) => p.json?.activationId === activationId), 'the poll push');
    expect(got.json.poll).toEqual({ question: 'Can you come in?', options: ['Yes', 'No'] });
    expect(got.json.body).toBe('River at 5.2 m: move to higher ground'); // the options are buttons, not "reply 1 or 2"
    await eventually(async () => (await deliveries(activationId))[0]?.status === 'sent', 'sent');
    const other = await responder('Otto');
    await other.post(`/v1/responder/alerts/${got.json.deliveryId}/answer`).send({ option: 1 }).expect(404); // not theirs
    await r.post(`/v1/responder/alerts/${got.json.deliveryId}/answer`).send({ option: 3 }).expect(400);
    const res = await r.post(`/v1/responder/alerts/${got.json.deliveryId}/answer`).send({ option: 1, via: 'push' }).expect(200);
    expect(res.body).toMatchObject({ status: 'acknowledged', poll: { myAnswer: 1, closed: false } });
    const polls = (await acct.api.get(`/v1/activations/${activationId}/polls`).expect(200)).body.data;
    expect(polls[0].answers).toMatchObject([{ contactId: r.contactId, option: 1, optionText: 'Yes', channel: 'push' }]);
  });

  it('another responder, of this account or another, gets 404 for someone else\'s device and alerts, and changes nothing', async () => {
    const r = await responder('Rhea');
    const dev = (await r.post('/v1/responder/push-subscriptions').send(push.subscribe('accept').json).expect(201)).body;
    const activationId = await notify([r.contactId], { poll: { question: 'Can you come in?', options: ['Yes', 'No'], durationMinutes: 60 } });
    await settled(activationId);
    const [d] = await deliveries(activationId);
    expect(d).toMatchObject({ channel: 'push', status: 'sent' });
    const colleague = await responder('Cole');
    const stranger = await responder('Stan', await createTestAccount(env.t));
    for (const x of [colleague, stranger]) {
      const del = await x.agent.delete(`/v1/responder/push-subscriptions/${dev.id}`).set('x-csrf-token', x.csrf).expect(404);
      expect(del.body.error).toBe('not_found');
      expect((await x.post(`/v1/responder/alerts/${d.id}/acknowledge`).send({ via: 'push' }).expect(404)).body.error).toBe('not_found');
      expect((await x.post(`/v1/responder/alerts/${d.id}/answer`).send({ option: 1 }).expect(404)).body.error).toBe('not_found');
      expect((await x.agent.get('/v1/responder/alerts').expect(200)).body.data).toEqual([]);
    }
    // Rhea's device, alert and poll are as they were, and still hers to use.
    expect((await r.agent.get('/v1/responder').expect(200)).body.devices).toMatchObject([{ id: dev.id }]);
    expect((await deliveries(activationId))[0]).toMatchObject({ id: d.id, status: 'sent' });
    expect((await db().query('SELECT count(*)::int AS n FROM poll_answers a JOIN polls p ON p.id = a.poll_id WHERE p.activation_id = $1', [activationId])).rows[0].n).toBe(0);
    await r.post(`/v1/responder/alerts/${d.id}/answer`).send({ option: 2 }).expect(200);
    await r.agent.delete(`/v1/responder/push-subscriptions/${dev.id}`).set('x-csrf-token', r.csrf).expect(204);
  });

  it('410 from the push service: the subscription is deleted and the person gets exactly one SMS', async () => {
    const r = await responder('Gus');
    const sub = push.subscribe('gone');
    await r.post('/v1/responder/push-subscriptions').send(sub.json).expect(201);
    const activationId = await notify([r.contactId]);
    await settled(activationId);
    expect(push.received.filter((p) => p.subscriptionId === sub.id)).toHaveLength(1);
    expect((await db().query('SELECT count(*)::int AS n FROM push_subscriptions WHERE contact_id = $1', [r.contactId])).rows[0].n).toBe(0);
    const rows = await deliveries(activationId);
    expect(rows).toMatchObject([
      { channel: 'push', status: 'failed', error_code: 'unregistered', error_message: expect.stringContaining('sent by SMS instead') },
      { channel: 'sms', status: expect.stringMatching(/^(queued|sent|delivered)$/), meta: expect.objectContaining({ fallbackFrom: 'push' }) },
    ]);
    await eventually(async () => smsTo(r.phone).length === 1, 'the fallback SMS');
    expect(smsTo(r.phone)[0]!.body).toContain('River at 5.2 m: move to higher ground');

    // The fallback is keyed like every delivery: a second worker (or retry) falling back adds nothing.
    const push1 = rows[0]!;
    const again = await createPushFallback({ db: db(), queueDeliveries: async () => undefined, logger: { warn: () => undefined } }).toSms({
      deliveryId: push1.id, accountId: acct.account.id, activationId, actionId: 'n1', channel: 'push', contactId: r.contactId, address: null, attempt: 1,
      payload: (await db().query('SELECT payload FROM deliveries WHERE id = $1', [push1.id])).rows[0].payload,
    }, 'unregistered');
    expect(again).toBe('exists');
    expect((await deliveries(activationId)).filter((d) => d.channel === 'sms')).toHaveLength(1);
    expect(smsTo(r.phone)).toHaveLength(1);

    // Later activations: no device left, so the planner texts straight away.
    const next = await notify([r.contactId]);
    await settled(next);
    expect((await deliveries(next)).map((d) => d.channel)).toEqual(['sms']);
  });

  it('a push service that does not answer: retried, then exactly one SMS', async () => {
    const r = await responder('Tam');
    const sub = push.subscribe('hang');
    await r.post('/v1/responder/push-subscriptions').send(sub.json).expect(201);
    const activationId = await notify([r.contactId]);
    await settled(activationId);
    expect(push.received.filter((p) => p.subscriptionId === sub.id)).toHaveLength(2); // PUSH_MAX_ATTEMPTS
    expect(await deliveries(activationId)).toMatchObject([
      { channel: 'push', status: 'failed', error_code: 'push_unavailable' },
      { channel: 'sms', meta: expect.objectContaining({ fallbackFrom: 'push' }) },
    ]);
    await eventually(async () => smsTo(r.phone).length === 1, 'the fallback SMS');
    // The device may just have been unreachable: it is kept.
    expect((await db().query('SELECT count(*)::int AS n FROM push_subscriptions WHERE contact_id = $1', [r.contactId])).rows[0].n).toBe(1);
  });

  it('one device gone, another accepts: sent, the gone one removed, no SMS', async () => {
    const r = await responder('Mia');
    const good = push.subscribe('accept');
    const gone = push.subscribe('gone');
    await r.post('/v1/responder/push-subscriptions').send(good.json).expect(201);
    await r.post('/v1/responder/push-subscriptions').send(gone.json).expect(201);
    const activationId = await notify([r.contactId]);
    await settled(activationId);
    expect(await deliveries(activationId)).toMatchObject([{ channel: 'push', status: 'sent' }]);
    const left = (await r.agent.get('/v1/responder').expect(200)).body.devices;
    expect(left).toHaveLength(1);
    expect(smsTo(r.phone)).toEqual([]);
    await r.agent.delete(`/v1/responder/push-subscriptions/${left[0].id}`).set('x-csrf-token', r.csrf).expect(204);
    expect((await r.agent.get('/v1/responder').expect(200)).body.devices).toEqual([]);
  });

  it('push endpoints are user input: https and public addresses only (SSRF), allow-list for local tests', async () => {
    const r = await responder('Sid');
    const keys = push.subscribe().json.keys;
    const bad = async (endpoint: string, field = 'endpoint', k = keys) => {
      const res = await r.post('/v1/responder/push-subscriptions').send({ endpoint, keys: k }).expect(400);
      expect(res.body.details).toEqual([expect.objectContaining({ path: field })]);
      return res.body.details[0].message as string;
    };
    expect(await bad(`http://push.example.com/x`)).toMatch(/https/);
    expect(await bad('https://10.1.2.3/push/x')).toMatch(/public address/);
    expect(await bad('https://[::1]/push/x')).toMatch(/public address/);
    expect(await bad('https://169.254.169.254/latest')).toMatch(/public address/);
    expect(await bad('https://user:pw@push.example.com/x')).toMatch(/user name or password/);
    expect(await bad('https://push.example.com/x', 'keys.p256dh', { ...keys, p256dh: 'abc' })).toMatch(/P-256/);
    expect(await bad('https://push.example.com/x', 'keys.auth', { ...keys, auth: 'abc' })).toMatch(/16-byte/);
    expect((await db().query('SELECT count(*)::int AS n FROM push_subscriptions WHERE contact_id = $1', [r.contactId])).rows[0].n).toBe(0);

    // Stored anyway (an older row, a name that now resolves privately): refused at send time, SMS instead.
    await db().query(`INSERT INTO push_subscriptions (account_id, contact_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4, $5)`,
      [acct.account.id, r.contactId, `https://127.0.0.1:${new URL(push.origin).port}/push/x`, keys.p256dh, keys.auth]);
    const activationId = await notify([r.contactId]);
    await settled(activationId);
    expect(await deliveries(activationId)).toMatchObject([
      { channel: 'push', status: 'failed', error_code: 'push_refused', error_message: expect.stringMatching(/refused.*loopback/i) },
      { channel: 'sms' },
    ]);
  });

  it('the responder API needs a linked dashboard user; API keys are refused', async () => {
    await acct.api.get('/v1/responder').expect(403);
    const [contactId] = await addPeople(env.t, acct.account.id, [{ name: 'Unlinked', phone: uniqueNumber() }]);
    const user = await env.t.rt.services.users.createUser(acct.account.id, { email: `u-${Math.random().toString(36).slice(2, 8)}@example.test`, password: PASSWORD, role: 'member' });
    await acct.api.put(`/v1/users/${user.id}/contact`).send({ contactId: '00000000-0000-4000-8000-000000000000' }).expect(400);
    const login = await env.t.http().post('/auth/login').set('x-forwarded-for', '198.51.100.77').send({ email: user.email, password: PASSWORD }).expect(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect((await env.t.http().get('/v1/responder').set('cookie', cookie).expect(200)).body.contact).toBeNull();
    await env.t.http().get('/v1/responder/alerts').set('cookie', cookie).expect(409);
    await acct.api.put(`/v1/users/${user.id}/contact`).send({ contactId }).expect(200);
    expect((await env.t.http().get('/v1/responder').set('cookie', cookie).expect(200)).body.contact).toMatchObject({ id: contactId });
  });
});
