/**
 * The prompt library in the dashboard (issue 16), in headless Chromium against a full runtime: a
 * prompt created on the Prompts page by labels and roles (the API's field error beside its field),
 * edited into version 2 with its history shown, then picked in a workflow's notification action
 * and saved by id; an axe-core scan of each page and a phone-width screenshot.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { addContacts, addGroup } from '../helpers/carrier-fixtures.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';

const PASSWORD = 'prompt-desk-2026';

describe('prompts dashboard in headless Chromium', () => {
  let base: string;
  let page: Page;
  let acct: TestAccount;
  let pageErrors: string[] = [];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ base, page, acct, pageErrors, close } = await openDashboard({
      roles: { web: true, worker: false }, viewport: { width: 1200, height: 860 }, timeout: 10_000,
      accountName: 'River Watch', user: { email: 'desk@river.test', name: 'Desk', password: PASSWORD },
      seed: async ({ t, acct }) => {
        await addGroup(t, acct.account.id, 'Wardens', await addContacts(t, acct.account.id, [{ name: 'Wanda', phone: '+14155550141' }]));
      },
    }));
  }, 60_000);

  afterAll(async () => close?.());

  it('creates a prompt (the API\'s error beside its field), edits it into version 2 and shows its history', async () => {
    await page.getByRole('link', { name: 'Prompts', exact: true }).click();
    await page.getByRole('heading', { name: 'Prompts', level: 1 }).waitFor();
    await page.getByText('No saved prompts yet.').waitFor();
    await page.getByLabel('Name').fill('Flood advice');
    await page.getByLabel('Prompt text').fill('Advise residents near [[river]] in one sentence.');
    await page.getByLabel('Temperature (optional)').fill('7');
    await page.getByRole('button', { name: 'Save prompt' }).click();
    const err = page.locator('[data-field="settings.temperature"] .field-error');
    await expect.poll(() => err.textContent(), { timeout: 5000 }).toMatch(/2/);
    expect(await acct.api.get('/v1/prompts').expect(200).then((r) => r.body.data)).toEqual([]);

    await page.getByLabel('Temperature (optional)').fill('0.3');
    await page.getByLabel('Model (optional)').fill('tiny-1');
    await page.getByRole('button', { name: 'Save prompt' }).click();
    await page.getByText('Saved Flood advice (version 1).').waitFor();
    expect((await acct.api.get('/v1/prompts').expect(200)).body.data).toEqual([
      expect.objectContaining({ name: 'Flood advice', version: 1, text: 'Advise residents near [[river]] in one sentence.', settings: { model: 'tiny-1', temperature: 0.3 } }),
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Edit Flood advice' }).click();
    await page.getByRole('heading', { name: 'Edit Flood advice (version 1)' }).waitFor();
    await page.getByLabel('Prompt text').fill('Warn residents near [[river]] in one sentence.');
    await page.getByRole('button', { name: 'Save prompt' }).click();
    await page.getByText('Saved Flood advice (version 2).').waitFor();
    await page.getByRole('button', { name: 'History of Flood advice' }).click();
    const history = page.getByRole('region', { name: 'Versions of Flood advice' });
    await history.getByText('Version 2').waitFor();
    expect(await history.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('Advise residents near [[river]]'), expect.stringContaining('Warn residents near [[river]]'),
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: '/tmp/sb-prompts-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1200, height: 860 });
  });

  it('picks the saved prompt in a workflow\'s notification action; the workflow pins its current version', async () => {
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page.getByRole('link', { name: 'New workflow' }).click();
    await page.getByRole('heading', { name: 'New workflow' }).waitFor();
    await page.getByLabel('Name').fill('Flood alert');
    await page.getByRole('checkbox', { name: 'SMS' }).check();
    await page.getByRole('checkbox', { name: /Wardens/ }).check();
    await page.getByLabel('Message').fill('Flood warning: {{craig_prompt_output}}');
    await page.getByRole('checkbox', { name: 'Add AI-generated text (prompt)' }).check();
    const picker = page.getByLabel('Saved prompt');
    await expect.poll(() => picker.locator('option').allTextContents()).toEqual(['— write the prompt below —', 'Flood advice (version 2)']);
    await expect(page.getByLabel('Prompt', { exact: true }).count()).resolves.toBe(1);
    await picker.selectOption({ label: 'Flood advice (version 2)' });
    await expect.poll(() => page.getByLabel('Prompt', { exact: true }).count()).toBe(0); // the saved prompt's text is used
    await page.getByRole('checkbox', { name: 'Append the answer to the message' }).uncheck();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Create workflow' }).click();
    await page.getByText('Saved “Flood alert” (version 1).').waitFor();

    const prompt = (await acct.api.get('/v1/prompts').expect(200)).body.data[0];
    const wf = (await acct.api.get('/v1/workflows?limit=10').expect(200)).body.data.find((w: { name: string }) => w.name === 'Flood alert');
    expect(wf.actions[0]).toMatchObject({
      message: 'Flood warning: {{craig_prompt_output}}',
      prompt: { promptId: prompt.id, promptVersion: 2, text: 'Warn residents near [[river]] in one sentence.', settings: { model: 'tiny-1', temperature: 0.3 }, appendToMessage: false },
    });
    expect(wf.placeholders).toEqual(['river']);
    // Reloaded, the editor shows the saved prompt chosen.
    await page.reload();
    await expect.poll(() => page.getByLabel('Saved prompt').inputValue()).toBe(prompt.id);
    expect(pageErrors).toEqual([]);
  });

  it('deletes a prompt only after the page\'s own dialog is confirmed; keeping it changes nothing', async () => {
    await page.goto(`${base}/#/prompts`);
    await page.getByRole('heading', { name: 'Prompts', level: 1 }).waitFor();
    const del = page.getByRole('button', { name: 'Delete Flood advice' });
    await del.click();
    const ask = page.getByRole('dialog', { name: 'Delete the prompt “Flood advice”?' });
    await ask.getByText('Workflows saved with it keep their version.').waitFor();
    await page.keyboard.press('Escape');
    await ask.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Delete Flood advice');
    expect((await acct.api.get('/v1/prompts').expect(200)).body.data.map((p: { name: string }) => p.name)).toEqual(['Flood advice']);
    await del.click();
    await ask.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No saved prompts yet.').waitFor();
    expect((await acct.api.get('/v1/prompts').expect(200)).body.data).toEqual([]);
  });
});
