/**
 * Call tracking in the dashboard (issue 15), driven in headless Chromium by labels and roles
 * against a full runtime whose Twilio is the carrier emulator: a tracking line set up on the
 * Phone lines page, a post-call workflow built from scratch (missed call, talk time under 10 s,
 * text to the caller with a live server-rendered preview), a missed call that runs it (the text
 * at the carrier, the run in the log with each condition's result), the workflow editor's webhook
 * Test button against a local HTTPS receiver, and delivery methods that follow the configuration
 * (e-mail off without SMTP_URL). Each page: axe-core scan, 390 px width. Screenshots go to
 * docs/screenshots/ only with UPDATE_SCREENSHOTS=1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_SMTP } from '../../src/accounts/capabilities-service.js';
import { E164_HINT } from '../../src/contacts/phone.js';
import { seriousA11yViolations } from '../helpers/axe.js';
import { freePort } from '../helpers/browser.js';
import { addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { openDashboard, signIn as signInAt, type Chrome, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import { eventually } from '../helpers/eventually.js';
import { startHttpsServer, type LocalHttpsServer } from '../helpers/https-server.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
const PASSWORD = 'mailer-desk-2026';
const EMAIL = 'desk@mailer.test';
const MESSAGE = 'Sorry we missed your call to {{source}} ({{line_number}}). We will call you back, {{caller}}.';

describe('dashboard: call tracking editors in headless Chromium', () => {
  let env: RuntimeWithCarrier;
  let noSmtp: TestRuntime;
  let hooks: LocalHttpsServer;
  let base: string;
  let baseNoSmtp: string;
  let chrome: Chrome;
  let page: Page;
  let acct: TestAccount;
  let line: LineFixture;
  let hookWf: { id: string };
  let trackingId = '';
  const desk = [uniqueNumber(), uniqueNumber()];
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  // A fresh page load each time (a query string that changes): going to the same hash would not re-render.
  let visits = 0;
  const visit = (at: string, hash: string) => page.goto(`${at}/?v=${++visits}${hash}`);
  const signIn = (at: string) => signInAt(page, at, EMAIL, PASSWORD);

  beforeAll(async () => {
    hooks = await startHttpsServer();
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-dtrk-'));
    writeFileSync(path.join(dir, 'ca.pem'), hooks.ca);
    ({ env, base, chrome, page, acct, pageErrors, shot } = await openDashboard({
      start: (o) => startRuntimeWithCarrier(o, { web: true, worker: true }),
      overrides: {
        SMTP_URL: 'catcher', DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300', EVENTS_SWEEP_INTERVAL_MS: '100',
        WEBHOOK_ALLOWED_HOSTS: 'localhost', WEBHOOK_CA_FILE: path.join(dir, 'ca.pem'),
      },
      // (The web app manifest is another part's work in progress; its absence is not this page's error.)
      viewport: { width: 1200, height: 820 }, console: /^Manifest fetch/, acceptDialogs: true, shots: { prefix: 'tracking-', fullPage: true },
      accountName: 'Spring Mailer Plumbing', user: { email: EMAIL, name: 'Dana Desk', password: PASSWORD },
      seed: async ({ env, acct }) => {
        // The same database served by a web process without SMTP_URL: e-mail must show as unavailable there.
        const port2 = await freePort();
        baseNoSmtp = `http://127.0.0.1:${port2}`;
        noSmtp = await startTestRuntime({ PORT: String(port2), PUBLIC_URL: baseNoSmtp, SMTP_URL: '' }, { web: true, worker: false },
          { databaseUrl: (env.t as TestRuntime & { databaseUrl: string }).databaseUrl });
        await noSmtp.rt.listen();
        line = await addTwilioLine(env.t, acct.account.id, { ...env.creds });
        await env.t.rt.infra.db.query(`UPDATE lines SET name = 'Spring mailer' WHERE id = $1`, [line.id]);
        const group = (await acct.api.post('/v1/groups').send({ name: 'Office' }).expect(201)).body;
        hookWf = (await acct.api.post('/v1/workflows').send({
          name: 'Tell the CRM',
          actions: [
            { type: 'notification', groupIds: [group.id], message: 'New lead.', channels: ['sms'] },
            { id: 'crm', type: 'webhook', method: 'POST', url: `${hooks.url}/crm/leads`, body: '{"lead":"[[who]]"}' },
          ],
        }).expect(201)).body;
      },
    }));
  }, 90_000);

  afterAll(async () => {
    await chrome?.close();
    await noSmtp?.close().catch(() => undefined);
    await env?.close();
    await hooks?.close();
  });

  const lineCard = () => page.getByRole('listitem', { name: `Spring mailer · ${line.phone}` });

  it('sets up a tracking line on the Phone lines page; a bad number gets the API\'s words next to the field', async () => {
    await visit(base, `#/lines`);
    await lineCard().getByRole('button', { name: 'Set up call tracking' }).click();
    const form = page.getByRole('form', { name: `Call tracking of ${line.phone}` });
    await form.getByLabel('Forward calls to').fill(`${desk[0]}\n12345`);
    await form.getByRole('button', { name: 'Save call tracking' }).click();
    const err = form.locator('[data-field="settings.tracking.forwardTo"] .field-error');
    await err.filter({ hasText: E164_HINT }).waitFor();
    expect(await err.textContent()).toBe(E164_HINT);
    expect(await form.getByLabel('Forward calls to').getAttribute('aria-invalid')).toBe('true');
    // The same words as the API answers for the same value, and nothing was written.
    const api = await acct.api.patch(`/v1/lines/${line.id}`).send({ mode: 'tracking', settings: { tracking: { forwardTo: [desk[0], '12345'] } } }).expect(400);
    expect(api.body.details).toEqual([{ path: 'settings.tracking.forwardTo.1', message: E164_HINT }]);
    expect((await acct.api.get(`/v1/lines/${line.id}`).expect(200)).body.mode).toBe('activation');

    await form.getByLabel('Forward calls to').fill(desk.join('\n'));
    await form.getByLabel('Ring order').selectOption('sequential');
    await form.getByLabel('Ring time (seconds)').fill('15');
    await form.getByLabel('Record calls (from the moment they are answered)').check();
    await form.getByLabel('Whisper').fill('Call from the spring mailer');
    await form.getByLabel('Source / campaign').fill('Spring mailer 2026');
    await form.getByRole('button', { name: 'Save call tracking' }).click();
    await lineCard().getByRole('button', { name: 'Edit call tracking' }).waitFor();
    const saved = (await acct.api.get(`/v1/lines/${line.id}`).expect(200)).body;
    expect(saved.mode).toBe('tracking');
    expect(saved.settings.tracking).toEqual({
      forwardTo: desk, ringStrategy: 'sequential', ringTimeoutSeconds: 15, record: true, whisper: 'Call from the spring mailer', source: 'Spring mailer 2026',
    });
    expect(await lineCard().getByRole('list').first().getByRole('listitem').allTextContents()).toEqual(desk);
    const shown = await lineCard().getByRole('region', { name: 'Call tracking' }).textContent();
    expect(shown).toContain('Ring orderOne after another (sequential)');
    expect(shown).toContain('Rings for15 s each');
    expect(shown).toContain('Recordingon');
    await shot('tracking-line');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('builds a post-call workflow from scratch with a live preview; a bad value shows the API\'s error beside it; saved, reloaded, unchanged', async () => {
    await visit(base, `#/tracking`);
    await page.getByRole('link', { name: 'New post-call workflow' }).click();
    await page.getByRole('heading', { name: 'New post-call workflow', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('Missed: call back');
    await page.getByLabel('Runs after').selectOption('missed');
    await page.getByLabel('New condition').selectOption('duration');
    await page.getByRole('button', { name: 'Add condition' }).click();
    const cond = page.getByRole('region', { name: 'Condition 1' });
    await cond.getByLabel('Talk time is').selectOption('less_than');
    await cond.getByLabel('Seconds').fill('-5');
    const action = page.getByRole('region', { name: 'Action 1' });
    expect(await action.getByLabel('Type').inputValue()).toBe('sms_caller');
    await action.getByLabel('Message').fill(MESSAGE);
    // The preview is the server's rendering of the sample call on the account's first tracking line.
    const expected = `Sorry we missed your call to Spring mailer 2026 (${line.phone}). We will call you back, +14155550100.`;
    const preview = (await acct.api.post('/v1/tracking-workflows/preview').send({ message: MESSAGE, trigger: 'missed' }).expect(200)).body;
    expect(preview.text).toBe(expected);
    await action.getByRole('status', { name: 'Preview with sample values' }).filter({ hasText: expected }).waitFor();

    await page.getByRole('button', { name: 'Create post-call workflow' }).click();
    const secondsErr = cond.locator('[data-field="conditions.0.seconds"] > .field-error');
    await secondsErr.filter({ hasText: /\S/ }).waitFor();
    const body = {
      name: 'Missed: call back', enabled: true, trigger: 'missed', conditions: [{ type: 'duration', operator: 'less_than', seconds: -5 }],
      actions: [{ type: 'sms_caller', message: MESSAGE }],
    };
    const refused = await acct.api.post('/v1/tracking-workflows').send(body).expect(400);
    expect(refused.body.details).toEqual([{ path: 'conditions.0.seconds', message: expect.any(String) }]);
    expect(await secondsErr.textContent()).toBe(refused.body.details[0].message);
    expect(await cond.getByLabel('Seconds').getAttribute('aria-invalid')).toBe('true');
    // The summary names the field as the page labels it, and links to it.
    await page.locator('.error-summary').getByRole('link', { name: `Condition 1 — Seconds: ${refused.body.details[0].message}` }).waitFor();
    expect((await acct.api.get('/v1/tracking-workflows').expect(200)).body.data).toEqual([]);
    await shot('tracking-edit-error');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await cond.getByLabel('Seconds').fill('10');
    await page.getByRole('button', { name: 'Create post-call workflow' }).click();
    await page.getByRole('heading', { name: 'Call tracking', level: 1 }).waitFor();
    const list = (await acct.api.get('/v1/tracking-workflows').expect(200)).body.data;
    expect(list).toEqual([expect.objectContaining({
      name: 'Missed: call back', enabled: true, trigger: 'missed', conditions: [{ type: 'duration', operator: 'less_than', seconds: 10 }],
      actions: [{ id: 'sms_caller-1', type: 'sms_caller', message: MESSAGE }],
    })]);
    trackingId = list[0].id;

    // Reload the editor: every field as saved; saving again changes nothing the API shows.
    await visit(base, `#/tracking/${trackingId}`);
    await page.getByRole('heading', { name: 'Edit Missed: call back', level: 1 }).waitFor();
    expect(await page.getByLabel('Name').inputValue()).toBe('Missed: call back');
    expect(await page.getByLabel('Runs after').inputValue()).toBe('missed');
    expect(await page.getByLabel('Active: run after every call that matches').isChecked()).toBe(true);
    expect(await cond.getByLabel('Type').inputValue()).toBe('duration');
    expect(await cond.getByLabel('Talk time is').inputValue()).toBe('less_than');
    expect(await cond.getByLabel('Seconds').inputValue()).toBe('10');
    expect(await action.getByLabel('Message').inputValue()).toBe(MESSAGE);
    await action.getByRole('status', { name: 'Preview with sample values' }).filter({ hasText: expected }).waitFor();
    await shot('tracking-edit');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Call tracking', level: 1 }).waitFor();
    const again = (await acct.api.get(`/v1/tracking-workflows/${trackingId}`).expect(200)).body;
    const { updatedAt: _u1, ...before } = list[0];
    const { updatedAt: _u2, ...after } = again;
    expect(after).toEqual(before);
  });

  it('runs it: an unanswered call to the tracking number texts the caller; the log shows each condition\'s result', async () => {
    const caller = uniqueNumber();
    const call = await env.carrier.placeInboundCall({
      from: caller, to: line.phone, statusCallback: `${base}/webhooks/twilio/status`, dial: () => ({ status: 'no-answer' }),
    });
    expect(call.events.filter((e) => e.kind === 'dial-leg').map((e) => e.kind === 'dial-leg' && e.number)).toEqual(desk);
    const log = await eventually(async () => {
      const l = (await acct.api.get(`/v1/tracking-logs?workflowId=${trackingId}`).expect(200)).body.data[0];
      return l?.status === 'done' && l.actions[0]?.deliveries[0]?.status === 'delivered' ? l : null;
    }, 'the post-call run, delivered').catch(async (err) => {
      console.log(JSON.stringify((await acct.api.get('/v1/tracking-logs').expect(200)).body, null, 1), JSON.stringify((await acct.api.get('/v1/calls').expect(200)).body, null, 1), call.events);
      throw err;
    });
    const texts = env.carrier.messages.filter((m) => m.to === caller && m.direction === 'outbound-api');
    expect(texts.map((m) => ({ from: m.from, body: m.body }))).toEqual([
      { from: line.phone, body: `Sorry we missed your call to Spring mailer 2026 (${line.phone}). We will call you back, ${caller}.` },
    ]);
    expect(log).toMatchObject({ matched: true, caller, conditions: [{ type: 'duration', matched: true, actual: 0, detail: 'talk time 0 s < 10 s' }] });

    await visit(base, `#/tracking`);
    const run = page.getByRole('region', { name: 'Post-call runs' }).getByRole('listitem', { name: `Missed: call back · ${caller}` });
    await run.waitFor();
    expect(await run.getByRole('list', { name: 'Conditions' }).getByRole('listitem').allTextContents()).toEqual(['met Talk time: talk time 0 s < 10 s']);
    expect(await run.getByRole('list', { name: 'Actions' }).getByRole('listitem').allTextContents()).toEqual(['Text the caller: queued → delivered']);
    await shot('tracking-runs');
    expect(await seriousA11yViolations(page)).toEqual([]);

    // The active toggle turns it off and on again (a PUT of the same definition).
    const toggle = page.getByRole('checkbox', { name: 'Active: Missed: call back' });
    await toggle.uncheck();
    await eventually(async () => (await acct.api.get(`/v1/tracking-workflows/${trackingId}`).expect(200)).body.enabled === false, 'disabled');
    await toggle.check();
    await eventually(async () => (await acct.api.get(`/v1/tracking-workflows/${trackingId}`).expect(200)).body.enabled === true, 'enabled again');
  });

  it('tests a webhook action from the workflow editor: the receiver\'s status, latency and answer', async () => {
    hooks.respond((_req, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"received":true,"lead":"L-1042"}'));
    await visit(base, `#/workflows/${hookWf.id}`);
    const action = page.getByRole('region', { name: 'Action 2' });
    await action.getByRole('button', { name: 'Test webhook' }).click();
    const report = action.getByRole('status').filter({ hasText: 'The receiver accepted the test request.' });
    await report.waitFor();
    const text = (await report.textContent()) ?? '';
    expect(text).toContain('Status202 (OK)');
    expect(text).toMatch(/Latency\d+ ms/);
    expect(await report.locator('pre').textContent()).toBe('{"received":true,"lead":"L-1042"}');
    expect(hooks.requests.filter((r) => r.url === '/crm/leads').map((r) => [r.method, r.headers['x-switchboard-test']])).toEqual([['POST', 'true']]);
    await action.scrollIntoViewIfNeeded();
    await shot('workflow-webhook-test');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('offers e-mail only where an SMTP server is configured, and says why not elsewhere', async () => {
    const email = () => page.getByRole('region', { name: 'Action 1' }).getByRole('checkbox', { name: 'E-mail' });
    await visit(base, `#/workflows/${hookWf.id}`);
    expect(await email().isEnabled()).toBe(true);
    expect((await acct.api.get('/v1/account/capabilities').expect(200)).body.channels.email).toEqual({ available: true, reason: null, catcher: true });

    const caps = await supertest(noSmtp.rt.app!.server).get('/v1/account/capabilities').set('authorization', `Bearer ${acct.key}`).expect(200);
    expect(caps.body.channels.email).toEqual({ available: false, reason: NO_SMTP, catcher: false });
    expect(JSON.stringify(caps.body)).not.toMatch(/smtp:\/\/|catcher"?:true|secret|token/i);

    // Cookies ignore the port and both processes share the sessions table: already signed in there.
    await visit(baseNoSmtp, `#/workflows/${hookWf.id}`);
    await email().waitFor();
    expect(await email().isDisabled()).toBe(true);
    const why = await email().getAttribute('aria-describedby');
    expect(await page.locator(`[id="${why}"]`).textContent()).toBe(`E-mail: ${NO_SMTP}`);
    await page.getByRole('region', { name: 'Action 1' }).scrollIntoViewIfNeeded();
    await shot('workflow-email-unavailable');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await visit(baseNoSmtp, `#/tracking/new`);
    const option = page.getByLabel('New action').locator('option[value="email_owners"]');
    expect(await option.isDisabled()).toBe(true);
    await page.getByText(NO_SMTP).first().waitFor();
  });

  it('is usable at 390 px: nothing wider than the screen, no serious accessibility violation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [hash, heading, name] of [
      ['#/tracking', 'Call tracking', 'tracking-phone'],
      [`#/tracking/${trackingId}`, 'Edit Missed: call back', 'tracking-edit-phone'],
      ['#/lines', 'Phone lines', 'tracking-line-phone'],
    ] as const) {
      await visit(base, hash);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      if (hash === '#/tracking') await page.getByRole('region', { name: 'Post-call runs' }).getByRole('listitem').first().waitFor();
      if (hash.startsWith('#/tracking/')) await page.getByRole('status', { name: 'Preview with sample values' }).filter({ hasText: 'Sorry we missed' }).waitFor();
      if (hash === '#/lines') await lineCard().getByRole('button', { name: 'Edit call tracking' }).click();
      expect(await page.evaluate(() => document.documentElement.scrollWidth), hash).toBeLessThanOrEqual(390);
      await shot(name);
      expect(await seriousA11yViolations(page), hash).toEqual([]);
    }
    expect(pageErrors).toEqual([]);
  });
});
