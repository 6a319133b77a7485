/**
 * Issue 17 in headless Chromium: an admin adds a Twilio line on the Phone lines page, sees what
 * the check of its number found, presses Check, then Set up webhooks (with a confirmation that
 * names exactly what changes) — against the carrier emulator, through the official SDK. Another
 * number of the same Twilio account stays as it was. Screenshots go to docs/screenshots/ only
 * with UPDATE_SCREENSHOTS=1.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { openDashboard, type DashboardSession } from '../helpers/dashboard-session.js';
const PASSWORD = 'line-setup-desk-2024';

describe('Phone lines page: check and set up a Twilio number', () => {
  let env: RuntimeWithCarrier;
  let base: string;
  let page: Page;
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ env, base, page, pageErrors, shot, close } = await openDashboard({
      start: (o) => startRuntimeWithCarrier(o, { web: true, worker: false }),
      viewport: { width: 1200, height: 900 }, shots: { prefix: 'lines-' },
      accountName: 'Harbour Rescue', user: { email: 'lines@harbour.test', name: 'Lee Lines', password: PASSWORD },
      seed: async ({ env, acct }) => {
        await acct.api.post('/v1/carrier-connections').send({ name: 'Harbour Twilio', ...env.creds }).expect(201);
      },
    }));
  });

  afterAll(async () => close?.());

  it('adds a line and shows what the check found; Check reads again; Set up changes only that number', async () => {
    const mine = env.carrier.addNumber({ phoneNumber: '+14155550160', voiceUrl: 'https://old-host.example/voice', smsUrl: 'https://old-host.example/sms' });
    const other = env.carrier.addNumber({ phoneNumber: '+14155550161', voiceUrl: 'https://other-app.example/voice' });
    const otherBefore = structuredClone(other);

    await page.getByRole('link', { name: 'Phone lines' }).click();
    await page.getByRole('button', { name: 'Add line' }).click();
    const form = page.getByRole('form', { name: 'Add a phone line' });
    await form.getByLabel('Phone number').fill('+14155550160');
    await form.getByLabel('Name').fill('Harbour desk');
    await form.getByLabel('Messaging Service SID').fill('MG123');
    await form.getByRole('checkbox', { name: /Set up this number's webhooks/ }).uncheck();
    await form.getByRole('button', { name: 'Add line' }).click();
    await expect.poll(() => form.locator('[data-field="messagingServiceSid"] > .field-error').textContent()).toContain('MG followed by 32');
    await form.getByLabel('Messaging Service SID').fill('');
    await form.getByRole('button', { name: 'Add line' }).click();

    const card = page.getByRole('listitem').filter({ hasText: 'Harbour desk · +14155550160' });
    const findings = card.getByRole('region', { name: 'Twilio check of +14155550160' });
    await findings.getByText('2 problems, 2 warnings with +14155550160.').waitFor();
    expect(await findings.locator('[data-code]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code'))))
      .toEqual(['public_url_not_https', 'voice_url_elsewhere', 'sms_url_elsewhere', 'status_callback_missing']);
    await findings.getByText(`Calls to +14155550160 go to https://old-host.example/voice, not to this gateway (${base}/webhooks/twilio/voice)`).waitFor();
    expect(mine.voiceUrl).toBe('https://old-host.example/voice'); // no consent: nothing changed
    expect(await seriousA11yViolations(page)).toEqual([]);
    await shot('lines-check');

    // Someone fixes the SMS URL in the console; Check reads the number again.
    mine.smsUrl = `${base}/webhooks/twilio/sms`;
    await card.getByRole('button', { name: 'Check' }).click();
    await findings.getByText('1 problem, 2 warnings with +14155550160.').waitFor();

    await card.getByRole('button', { name: 'Set up webhooks' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set up +14155550160 in Twilio?' });
    await dialog.getByText('and of no other number').waitFor();
    await dialog.getByText(`${base}/webhooks/twilio/voice`).waitFor();
    await dialog.getByText('now: https://old-host.example/voice').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await shot('lines-setup-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(mine.voiceUrl).toBe('https://old-host.example/voice');

    await card.getByRole('button', { name: 'Set up webhooks' }).click();
    await dialog.getByRole('button', { name: 'Set up webhooks' }).click();
    await findings.getByText('Webhooks set up. No problem, 1 warning with +14155550160.').waitFor();
    expect(mine).toMatchObject({
      voiceUrl: `${base}/webhooks/twilio/voice`, voiceMethod: 'POST', smsUrl: `${base}/webhooks/twilio/sms`, smsMethod: 'POST', statusCallback: `${base}/webhooks/twilio/status`,
    });
    expect(other).toEqual(otherBefore);

    await page.setViewportSize({ width: 390, height: 844 });
    await card.getByRole('button', { name: 'Check' }).click();
    await findings.getByText('No problem, 1 warning with +14155550160.').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await shot('lines-check-phone');
    expect(pageErrors).toEqual([]);
  });
});
