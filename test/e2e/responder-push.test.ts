/**
 * The responder view (#/responder) and the service worker in headless Chromium, with the engine
 * pushing through a local Web Push service (test/helpers/push-service.ts).
 *
 * What headless Chromium allows: the manifest, the service worker's registration, a real push
 * event delivered to it through the devtools protocol (ServiceWorker.deliverPushMessage) and the
 * notification it shows (registration.getNotifications), and its button handler run inside the
 * worker (same cookies as the page). What it does not: PushManager.subscribe needs the browser
 * vendor's push service (Chromium's is not reachable here), so the device is registered through
 * the responder API with a subscription of the local push service; and a tap on a notification
 * cannot be simulated, so the handler the `notificationclick` listener calls is called directly.
 */
import type { Page, Worker } from 'playwright-core';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { openDashboard, type Chrome, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import { eventually } from '../helpers/eventually.js';
import { startPushService, type LocalPushService } from '../helpers/push-service.js';
import type { TestRuntime } from '../helpers/runtime.js';
const PASSWORD = 'responder-on-call-1';
const vapid = webpush.generateVAPIDKeys();

describe('responder view and service worker in headless Chromium', () => {
  let t: TestRuntime;
  let push: LocalPushService;
  let base: string;
  let chrome: Chrome;
  let page: Page;
  let acct: TestAccount;
  let workflowId: string;
  let pollWorkflowId: string;
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    push = await startPushService();
    // Rosa signs in herself, at phone width, in the first browser test.
    ({ t, base, chrome, page, acct, pageErrors, shot, close } = await openDashboard({
      overrides: {
        VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'mailto:ops@example.test', PUSH_ALLOWED_HOSTS: 'localhost', WEBHOOK_CA_FILE: push.caFile,
      },
      viewport: { width: 390, height: 844 }, permissions: ['notifications'], shots: { prefix: null, fullPage: true }, signIn: false,
      accountName: 'Valley Rescue', user: { email: 'rosa@valley.test', name: 'Rosa Reyes', password: PASSWORD, role: 'member' },
      seed: async ({ acct, userId }) => {
        const line = (await acct.api.post('/v1/lines').send({ phoneNumber: '+14155550231', name: 'Valley line', provider: 'simulator' }).expect(201)).body;
        const contact = (await acct.api.post('/v1/contacts').send({ name: 'Rosa Reyes', phone: '+14155550232' }).expect(201)).body;
        const group = (await acct.api.post('/v1/groups').send({ name: 'Swift water team' }).expect(201)).body;
        await acct.api.post(`/v1/groups/${group.id}/members`).send({ contactIds: [contact.id] }).expect(200);
        await acct.api.put(`/v1/users/${userId}/contact`).send({ contactId: contact.id }).expect(200);
        const notification = { type: 'notification', groupIds: [group.id], channels: ['push'], subject: 'Flood warning' };
        workflowId = (await acct.api.post('/v1/workflows').send({
          name: 'River rising', codeActivation: { lineId: line.id, code: 'FLUD' },
          actions: [{ ...notification, message: 'River at 5.2 m: move the boats to the upper yard.' }],
        }).expect(201)).body.id;
        pollWorkflowId = (await acct.api.post('/v1/workflows').send({
          name: 'Crew call', actions: [{ ...notification, subject: 'Crew call', message: 'Boat crew needed at 18:00.', poll: { question: 'Can you come?', options: ['Yes', 'No'], durationMinutes: 60 } }],
        }).expect(201)).body.id;
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await close?.();
    await push?.close();
  });

  const activate = async (id: string) => (await acct.api.post(`/v1/workflows/${id}/activations`).send({}).expect(201)).body;
  const deliveryOf = async (activationId: string) =>
    (await t.rt.infra.db.query(`SELECT id, status FROM deliveries WHERE activation_id = $1 AND channel = 'push'`, [activationId])).rows[0];

  it('serves the web app manifest and the service worker from Switchboard itself', async () => {
    const manifest = await t.http().get('/manifest.webmanifest').expect(200);
    expect(JSON.parse(manifest.text)).toMatchObject({ start_url: '/#/responder', display: 'standalone', icons: [{ sizes: '192x192' }, { sizes: '512x512' }] });
    const sw = await t.http().get('/sw.js').expect(200);
    expect(sw.headers['content-type']).toMatch(/javascript/);
    await t.http().get('/icons/icon-512.png').expect(200).expect('content-type', 'image/png');
  });

  it('signs in at phone width and opens My alerts by keyboard', async () => {
    await page.goto(`${base}/#/responder`);
    await page.getByLabel('E-mail').fill('rosa@valley.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'My alerts', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Notifications on this device' }).waitFor();
    expect(await page.evaluate(() => document.querySelector('link[rel=manifest]')?.getAttribute('href'))).toBe('/manifest.webmanifest');
    await page.getByRole('button', { name: 'Enable notifications' }).waitFor();
    await page.getByText('No device is registered: your alerts come by text message.').waitFor();
  });

  it('"Enable notifications" registers the service worker; PushManager.subscribe needs a vendor push service', async () => {
    await page.getByRole('button', { name: 'Enable notifications' }).click();
    // Headless Chromium has no reachable push service: the page says what failed instead of pretending.
    const outcome = await Promise.race([
      page.getByRole('alert').first().waitFor().then(async () => `error: ${await page.getByRole('alert').first().textContent()}`),
      page.getByText('Notifications are on for this device.').waitFor().then(() => 'subscribed'),
    ]);
    console.info(`PushManager.subscribe in headless Chromium: ${outcome}`);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/'))?.active?.scriptURL ?? null)).toBe(`${base}/sw.js`);
  }, 40_000);

  it('a push reaches the responder: alert listed, acknowledged with one tap (keyboard), poll answered', async () => {
    // The device, registered through the responder API as the page would after subscribe().
    const sub = push.subscribe('accept');
    const status = await page.evaluate(async (body) => {
      const me = await (await fetch('/auth/me')).json();
      const res = await fetch('/v1/responder/push-subscriptions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify(body) });
      return res.status;
    }, { ...sub.json, device: 'Test phone' });
    expect(status).toBe(201);

    const a = await activate(workflowId);
    const got = await eventually(async () => push.received.find((p) => p.json?.activationId === a.id), 'the push');
    expect(got.json).toMatchObject({ title: 'Flood warning', body: 'River at 5.2 m: move the boats to the upper yard.' });
    await eventually(async () => (await deliveryOf(a.id))?.status === 'sent', 'sent');

    await page.getByRole('button', { name: 'Refresh' }).click();
    const card = page.getByRole('article', { name: 'Flood warning' });
    await card.waitFor();
    await card.getByText('River at 5.2 m: move the boats to the upper yard.').waitFor();
    await page.getByRole('button', { name: /Remove Test phone/ }).waitFor();
    const ack = card.getByRole('button', { name: 'Acknowledge' });
    await ack.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('article', { name: 'Flood warning' }).getByText('acknowledged', { exact: true }).first().waitFor();
    expect(await page.getByRole('article', { name: 'Flood warning' }).getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect((await deliveryOf(a.id)).status).toBe('acknowledged');

    const p = await activate(pollWorkflowId);
    await eventually(async () => (await deliveryOf(p.id))?.status === 'sent', 'poll push sent');
    await page.getByRole('button', { name: 'Refresh' }).click();
    const pollCard = page.getByRole('article', { name: 'Crew call' });
    await pollCard.getByRole('group', { name: 'Can you come?' }).waitFor();
    await pollCard.getByRole('button', { name: 'Yes' }).click();
    await page.getByRole('article', { name: 'Crew call' }).getByRole('button', { name: 'Yes', pressed: true }).waitFor();
    const answers = (await acct.api.get(`/v1/activations/${p.id}/polls`).expect(200)).body.data[0].answers;
    expect(answers).toMatchObject([{ option: 1, optionText: 'Yes', channel: 'push' }]);

    expect(await seriousA11yViolations(page)).toEqual([]);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await shot('responder-phone');
  });

  it('the service worker shows the pushed alert with its buttons, and a button acknowledges through the API', async () => {
    const sw: Worker = chrome.context.serviceWorkers()[0] ?? await chrome.context.waitForEvent('serviceworker');
    const a = await activate(workflowId);
    const d = await eventually(async () => { const x = await deliveryOf(a.id); return x?.status === 'sent' ? x : null; }, 'sent');
    const msg = push.received.find((r) => r.json?.deliveryId === d.id)!.json;

    // A real push event, as the browser fires it when its push service delivers (devtools protocol).
    const cdp = await chrome.context.newCDPSession(page);
    const regs: Array<{ registrationId: string; scopeURL: string }> = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Array<{ registrationId: string; scopeURL: string }> }) => regs.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    const reg = await eventually(async () => regs.find((r) => r.scopeURL === `${base}/`), 'the registration');
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: reg.registrationId, data: JSON.stringify(msg) });
    const shown = await eventually(async () => {
      const list = await sw.evaluate(async (tag) => (await (self as any).registration.getNotifications({ tag }))
        .map((n: any) => ({ title: n.title, body: n.body, tag: n.tag, actions: n.actions.map((x: any) => x.title), requireInteraction: n.requireInteraction })), d.id);
      return list.length ? list : null;
    }, 'the notification');
    expect(shown).toEqual([{ title: 'Flood warning', body: 'River at 5.2 m: move the boats to the upper yard.', tag: d.id, actions: ['Acknowledge'], requireInteraction: true }]);

    // What a poll notification offers (the platform shows at most maxActions buttons).
    const pollView = await sw.evaluate(() => (self as any).notificationFor({ title: 'Crew call', body: 'Boat crew needed', deliveryId: 'x', poll: { question: 'Can you come?', options: ['Yes', 'No', 'Later'] } }, 2));
    expect(pollView.options.actions).toEqual([{ action: 'option-1', title: 'Yes' }, { action: 'option-2', title: 'No' }]);
    expect(pollView.options.body).toBe('Boat crew needed\nCan you come?');

    // The Acknowledge button's handler, run in the worker with the page's session cookie.
    expect(await sw.evaluate((data) => (self as any).handleClick('ack', data), { deliveryId: d.id, url: '/#/responder' })).toBe('acknowledged');
    expect((await deliveryOf(a.id)).status).toBe('acknowledged');
    // Not ours: refused by the API, so the worker opens the responder view instead.
    expect(await sw.evaluate(() => (self as any).handleClick('ack', { deliveryId: '00000000-0000-4000-8000-000000000000' }))).toBe('failed:404');
    expect(pageErrors).toEqual([]);
  });
});
