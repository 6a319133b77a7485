/**
 * The e-mail tracking switches on the dashboard's Account settings page (issue 16), in headless
 * Chromium driven by labels and roles: off by default, saved without touching the other
 * settings, at 390 px with an axe scan (screenshot in /tmp, docs/screenshots with UPDATE_SCREENSHOTS=1).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';

const PASSWORD = 'pixel-desk-2026';

describe('e-mail tracking on the account settings page', { timeout: 60_000 }, () => {
  let page: Page;
  let acct: TestAccount;
  let base: string;
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ base, page, acct, pageErrors, shot, close } = await openDashboard({
      roles: { web: true, worker: false }, viewport: { width: 1280, height: 860 }, timeout: 8000, console: false,
      shots: { prefix: '', fullPage: true }, user: { email: 'desk@pixel.test', name: 'Dana Desk', password: PASSWORD },
      seed: async ({ acct }) => {
        await acct.api.patch('/v1/account').send({ settings: { quietHours: { start: '21:00', end: '08:00' } } }).expect(200);
      },
      ready: (p) => p.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'attached' }),
    }));
  }, 60_000);
  afterAll(async () => close?.());

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
    await shot('settings-email-tracking-phone');
    expect(pageErrors).toEqual([]);
  });
});
