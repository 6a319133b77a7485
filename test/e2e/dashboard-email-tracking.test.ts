/**
 * The e-mail tracking switches on the dashboard's Account settings page (issue 16), in headless
 * Chromium driven by labels and roles: off by default, saved without touching the other
 * settings, at 390 px with an axe scan (screenshot in /tmp, docs/screenshots with UPDATE_SCREENSHOTS=1).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { freePort, launchChromium } from '../helpers/browser.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const PASSWORD = 'pixel-desk-2026';

describe('e-mail tracking on the account settings page', { timeout: 60_000 }, () => {
  let t: TestRuntime;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestRuntime({ PORT: String(port), PUBLIC_URL: base }, { web: true, worker: false });
    await t.rt.listen();
    acct = await createTestAccount(t);
    await acct.api.patch('/v1/account').send({ settings: { quietHours: { start: '21:00', end: '08:00' } } }).expect(200);
    await acct.api.post('/v1/users').send({ email: 'desk@pixel.test', name: 'Dana Desk', password: PASSWORD, role: 'admin' }).expect(201);
    chrome = await launchChromium({ viewport: { width: 1280, height: 860 } });
    page = await chrome.context.newPage();
    page.setDefaultTimeout(8000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(base);
    await page.getByLabel('E-mail').fill('desk@pixel.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'attached' });
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await t?.close();
  });

  it('is off by default; turning opens on saves { opens: true, clicks: false } and keeps quiet hours', async () => {
    await page.goto(`${base}/#/settings`);
    await page.getByRole('heading', { name: 'Account settings', level: 1 }).waitFor();
    const opens = page.getByLabel('Track e-mail opens (a 1×1 image)');
    const clicks = page.getByLabel('Track link clicks (links go through this server)');
    expect([await opens.isChecked(), await clicks.isChecked()]).toEqual([false, false]);
    await opens.check();
    await page.getByRole('button', { name: 'Save e-mail tracking' }).click();
    await page.getByRole('main').getByText('Saved: tracking opens.').waitFor();
    const settings = (await acct.api.get('/v1/account').expect(200)).body.settings;
    expect(settings).toEqual({ quietHours: { start: '21:00', end: '08:00' }, emailTracking: { opens: true, clicks: false } });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole('heading', { name: 'E-mail tracking', level: 2 }).waitFor();
    expect(await page.getByLabel('Track e-mail opens (a 1×1 image)').isChecked()).toBe(true);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: process.env.UPDATE_SCREENSHOTS === '1' ? path.join(SHOTS, 'settings-email-tracking-phone.png') : '/tmp/sb-settings-email-tracking-phone.png', fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
