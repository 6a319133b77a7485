/**
 * Leaving a page before it has loaded, in headless Chromium: the page left behind finishes its
 * request later and must not draw over the page the user went to. The contact page is held at its
 * first request (Playwright routing), the user goes to Workflows, then the contact's answer is let
 * through; once the left page has gone on to its next request (so it has drawn whatever it would
 * draw), Workflows is still the only page shown.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';

describe('dashboard navigation while a page is still loading', () => {
  let page: Page;
  let base: string;
  let acct: TestAccount;
  let pageErrors: string[] = [];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ page, base, acct, pageErrors, close } = await openDashboard({
      roles: { web: true, worker: false },
      viewport: { width: 390, height: 844 },
      accountName: 'Harbour Ambulance',
      user: { email: 'desk@harbour.test', name: 'Dee Desk', password: 'harbour-desk-2026' },
    }));
  }, 90_000);
  afterAll(async () => {
    await close?.();
  });

  it('a page left while loading never replaces the page the user went to', async () => {
    const contactId = (await acct.api.post('/v1/contacts').send({ name: 'Nia Nightshift', phone: '+14155550177' }).expect(201)).body.id;
    const contactUrl = `${base}/v1/contacts/${contactId}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached!: () => void;
    const requested = new Promise<void>((resolve) => { reached = resolve; });
    await page.route(contactUrl, async (route) => {
      reached();
      await held;
      await route.continue();
    });

    await page.goto(`${base}/#/contacts/${contactId}`);
    await requested; // the contact page is waiting for its contact
    await page.goto(`${base}/#/workflows`);
    await page.getByRole('heading', { level: 1, name: 'Workflows' }).waitFor();

    // Let the left page's answer through; its next request shows it drew what it meant to draw.
    const lateNext = page.waitForRequest((r) => r.url().startsWith(`${contactUrl}/messages`));
    release();
    await lateNext;
    await page.unroute(contactUrl);

    const headings = await page.getByRole('main').getByRole('heading', { level: 1 }).allTextContents();
    expect(headings).toEqual(['Workflows']);
    expect(await page.getByRole('main').getByText('Nia Nightshift').count()).toBe(0);
    expect(page.url()).toBe(`${base}/#/workflows`);
    expect(pageErrors).toEqual([]);
  });
});
