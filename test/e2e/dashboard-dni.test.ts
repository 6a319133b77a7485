/**
 * Website numbers (DNI) in the dashboard, in headless Chromium driven by labels and roles: a
 * source created on the Call tracking page and read back through the API, a bad referrer host
 * and a taken source shown beside their fields, the source edited and deleted, the DNI settings
 * saved (a bad origin beside its field) and the key replaced after a confirmation; at 390 px with
 * an axe scan (screenshot in /tmp, docs/screenshots with UPDATE_SCREENSHOTS=1).
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';

const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const PASSWORD = 'dni-desk-2026';
const NUMBERS = ['+13125550181', '+13125550182', '+13125550183'];

describe('website numbers (DNI) editing on the Call tracking page', { timeout: 90_000 }, () => {
  let page: Page;
  let acct: TestAccount;
  let base: string;
  const lineIds: string[] = [];
  let pageErrors: string[] = [];
  let close: DashboardSession['close'] | undefined;
  const card = (): Locator => page.getByRole('region', { name: 'Website numbers (DNI)' });
  const errorOf = (form: Locator, label: string) => form.locator('.field, fieldset').filter({ has: page.getByLabel(label) }).locator('.field-error');

  beforeAll(async () => {
    ({ base, page, acct, pageErrors, close } = await openDashboard({
      roles: { web: true, worker: false }, viewport: { width: 1200, height: 860 }, timeout: 8000, console: false, acceptDialogs: true,
      accountName: 'Lakeside Roofing', user: { email: 'desk@lakeside.test', name: 'Dana Desk', password: PASSWORD },
      seed: async ({ acct }) => {
        for (const [i, phoneNumber] of NUMBERS.entries()) {
          const line = (await acct.api.post('/v1/lines').send({ phoneNumber, provider: 'simulator', name: `Web ${i + 1}` }).expect(201)).body;
          await acct.api.patch(`/v1/lines/${line.id}`).send({ mode: 'tracking', settings: { tracking: { forwardTo: ['+13125550199'] } } }).expect(200);
          lineIds.push(line.id);
        }
        await acct.api.post('/v1/tracking-pools').send({ source: 'organic', default: true, lineIds: [lineIds[2]] }).expect(201);
      },
      ready: (p) => p.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'attached' }),
    }));
  }, 90_000);
  afterAll(async () => close?.());

  it('creates a source in the page (a bad referrer host, then a taken name, beside their fields) and the API has it', async () => {
    await page.goto(`${base}/#/tracking`);
    await card().getByRole('button', { name: 'Add a source' }).click();
    const form = card().getByRole('form', { name: 'New source' });
    await form.getByLabel('Source name').fill('organic');
    await form.getByLabel('utm_source values').fill('google\nadwords');
    await form.getByLabel('Google Ads click (gclid)').check();
    await form.getByLabel('Referring sites').fill('google.com\nnot a host!');
    await form.getByLabel(`${NUMBERS[0]} Web 1`).check();
    expect(await form.getByLabel(`${NUMBERS[2]} Web 3 (in organic)`).isDisabled()).toBe(true);
    await form.getByRole('button', { name: 'Add source' }).click();
    const hostErr = errorOf(form, 'Referring sites');
    await hostErr.filter({ hasText: 'must be a host name such as google.com' }).waitFor();
    expect(await form.getByLabel('Referring sites').getAttribute('aria-invalid')).toBe('true');
    // The same words as the API answers for the same value.
    const api = await acct.api.post('/v1/tracking-pools').send({ source: 'x', lineIds: [lineIds[0]], match: { referrerHosts: ['google.com', 'not a host!'] } }).expect(400);
    expect(api.body.details).toEqual([{ path: 'match.referrerHosts.1', message: await hostErr.textContent() }]);

    await form.getByLabel('Referring sites').fill('google.com');
    await form.getByRole('button', { name: 'Add source' }).click();
    await errorOf(form, 'Source name').filter({ hasText: 'a pool for this source already exists' }).waitFor();
    expect((await acct.api.get('/v1/tracking-pools').expect(200)).body.data).toHaveLength(1); // nothing written

    await form.getByLabel('Source name').fill('Google');
    await form.getByRole('button', { name: 'Add source' }).click();
    await card().getByText('Saved source “Google”.').waitFor();
    const pools = (await acct.api.get('/v1/tracking-pools').expect(200)).body.data;
    expect(pools.find((p: { source: string }) => p.source === 'Google')).toMatchObject({
      default: false, match: { utmSources: ['google', 'adwords'], clickIds: ['gclid'], referrerHosts: ['google.com'] },
      lines: [{ id: lineIds[0], phoneNumber: NUMBERS[0], name: 'Web 1' }],
    });
    const rows = await card().getByRole('table', { name: 'Number pools per source' }).locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toContain(
      `Google utm_source=google or utm_source=adwords or Google Ads click or from google.com ${NUMBERS[0]} Web 1 Edit Delete`);
  });

  it('edits the source (lines, match) and deletes it', async () => {
    await card().getByRole('button', { name: 'Edit source Google' }).click();
    const form = card().getByRole('form', { name: 'Edit source Google' });
    expect(await form.getByLabel('Source name').inputValue()).toBe('Google');
    expect(await form.getByLabel('utm_source values').inputValue()).toBe('google\nadwords');
    await form.getByLabel('utm_source values').fill('');
    await form.getByLabel('Google Ads click (gclid)').uncheck();
    await form.getByLabel('Microsoft Ads click (msclkid)').check();
    await form.getByLabel(`${NUMBERS[1]} Web 2`).check();
    // The same "Saved" line may still show from creating the source: wait for this save's answer.
    const put = page.waitForResponse((r) => r.request().method() === 'PUT' && /\/v1\/tracking-pools\//.test(r.url()));
    await form.getByRole('button', { name: 'Save source' }).click();
    expect((await put).status()).toBe(200);
    await card().getByText('Saved source “Google”.').waitFor();
    const pool = (await acct.api.get('/v1/tracking-pools').expect(200)).body.data.find((p: { source: string }) => p.source === 'Google');
    // utm_source left empty: the API's default, the source's own name.
    expect(pool.match).toEqual({ utmSources: ['google'], clickIds: ['msclkid'], referrerHosts: ['google.com'] });
    expect(pool.lines.map((l: { id: string }) => l.id).sort()).toEqual([lineIds[0], lineIds[1]].sort());

    // Asked in the page's own dialog: keeping it deletes nothing, and focus goes back to the button.
    await card().getByRole('button', { name: 'Delete source Google' }).click();
    const ask = page.getByRole('dialog', { name: 'Delete the source “Google”?' });
    await ask.getByRole('button', { name: 'Keep it' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Delete source Google');
    expect((await acct.api.get('/v1/tracking-pools').expect(200)).body.data).toHaveLength(2);
    await card().getByRole('button', { name: 'Delete source Google' }).click();
    await ask.getByRole('button', { name: 'Delete' }).click();
    await card().getByText('Deleted source “Google”.').waitFor();
    expect((await acct.api.get('/v1/tracking-pools').expect(200)).body.data.map((p: { source: string }) => p.source)).toEqual(['organic']);
  });

  it('saves the DNI settings (a bad origin beside its field) and replaces the key after confirming', async () => {
    const form = card().getByRole('form', { name: 'Website settings' });
    await form.getByLabel('Allowed sites').fill('https://www.lakeside.test\nwww.lakeside.test/contact');
    await form.getByLabel('Session length (minutes)').fill('45');
    await form.getByRole('button', { name: 'Save website settings' }).click();
    await errorOf(form, 'Allowed sites').filter({ hasText: 'must be a web origin' }).waitFor();
    expect((await acct.api.get('/v1/dni').expect(200)).body).toMatchObject({ allowedOrigins: [], sessionMinutes: 30 });

    await form.getByLabel('Allowed sites').fill('https://www.lakeside.test');
    await form.getByRole('button', { name: 'Save website settings' }).click();
    await card().getByText('Website settings saved.').waitFor();
    const before = (await acct.api.get('/v1/dni').expect(200)).body;
    expect(before).toMatchObject({ allowedOrigins: ['https://www.lakeside.test'], sessionMinutes: 45 });

    // Cancel keeps the key; confirming replaces it and the page shows the new snippet.
    await card().getByRole('button', { name: 'Replace key…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Replace the website key?' });
    await dialog.getByRole('button', { name: 'Keep the current key' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await acct.api.get('/v1/dni').expect(200)).body.key).toBe(before.key);
    await card().getByRole('button', { name: 'Replace key…' }).click();
    await page.keyboard.press('Shift+Tab'); // from "Keep" back to "Replace key", by keyboard
    await page.keyboard.press('Enter');
    await card().getByText('Key replaced.', { exact: false }).waitFor();
    const after = (await acct.api.get('/v1/dni').expect(200)).body;
    expect(after.key).not.toBe(before.key);
    expect(await card().locator('pre').textContent()).toBe(after.snippet);
  });

  it('works at 390 px with no serious accessibility violation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await card().getByRole('button', { name: 'Add a source' }).click();
    await card().getByRole('form', { name: 'New source' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await card().screenshot({ path: UPDATE ? path.join(SHOTS, 'tracking-dni-edit-phone.png') : '/tmp/sb-tracking-dni-edit-phone.png' });
    expect(pageErrors).toEqual([]);
  });
});
