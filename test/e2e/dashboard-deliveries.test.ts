/**
 * Delivery records on the dashboard (issue 19), in headless Chromium against a full runtime whose
 * Twilio is the local carrier emulator: the activation page shows each send's carrier SID (live
 * and after a reload) and how many deliveries await the carrier; the history page shows each
 * activation's deliveries per status. Each page gets an axe-core scan. Screenshots go to
 * docs/screenshots/ only with UPDATE_SCREENSHOTS=1.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { addTwilioLine } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import { activationStatus } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
const PASSWORD = 'tide-desk-2026';
const ANA = { name: 'Ana Ortiz', phone: '+14155550111' };
const BEN = { name: 'Ben Okafor', phone: '+14155550112' }; // accepted, then undelivered: 30003

describe('dashboard: carrier SIDs and delivery counts (issue 19)', () => {
  let env: RuntimeWithCarrier;
  let base: string;
  let page: Page;
  let acct: TestAccount;
  let wf: { id: string };
  let anaId: string;
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ env, base, page, acct, pageErrors, shot, close } = await openDashboard({
      start: (o) => startRuntimeWithCarrier(o, { web: true, worker: true }),
      viewport: { width: 1200, height: 820 }, shots: { prefix: 'deliveries-' },
      accountName: 'Tide Watch', user: { email: 'desk@tide.test', name: 'Dana Dispatch', password: PASSWORD },
      seed: async ({ env, acct }) => {
        await addTwilioLine(env.t, acct.account.id, { ...env.creds, phone: '+14155550198' });
        env.carrier.setBehaviour(BEN.phone, { messageOutcome: 'undelivered', messageErrorCode: 30003 });
        const group = (await acct.api.post('/v1/groups').send({ name: 'Crew' }).expect(201)).body;
        const ids: string[] = [];
        for (const p of [ANA, BEN]) ids.push((await acct.api.post('/v1/contacts').send(p).expect(201)).body.id);
        await acct.api.post(`/v1/groups/${group.id}/members`).send({ contactIds: ids }).expect(200);
        anaId = ids[0]!;
        wf = (await acct.api.post('/v1/workflows').send({
          name: 'High tide', actions: [{ type: 'notification', groupIds: [group.id], message: 'High tide: move the boats.', channels: ['sms'] }],
        }).expect(201)).body;
      },
    }));
  }, 60_000);

  afterAll(async () => close?.());

  const sidOf = (to: string) => env.carrier.messages.find((m) => m.to === to && m.direction === 'outbound-api')?.sid;
  const cellOf = (who: string) => page.locator(`tr[data-recipient="${who}"] td[data-channel="sms"]`);

  it("shows each text's carrier SID in its delivery cell, live and after a reload", async () => {
    const id = (await acct.api.post(`/v1/workflows/${wf.id}/activations`).send({}).expect(201)).body.id as string;
    await page.goto(`${base}/#/activations/${id}`);
    await cellOf(ANA.name).waitFor();
    await eventually(async () => (await activationStatus(env.t, id)) === 'completed', 'activation completed');
    const [ana, ben] = [sidOf(ANA.phone)!, sidOf(BEN.phone)!];
    expect(ana).toMatch(/^SM[0-9a-f]{32}$/);
    // Live (the websocket's delivery events carry the SID): no reload needed.
    await cellOf(ANA.name).getByText(ana).waitFor({ timeout: 10_000 });
    await cellOf(BEN.name).getByText(ben).waitFor({ timeout: 10_000 });
    await page.reload();
    await cellOf(ANA.name).getByText(ana).waitFor();
    expect(await cellOf(ANA.name).locator('.sid').textContent()).toBe(`Carrier id: ${ana}`);
    expect(await cellOf(BEN.name).textContent()).toContain('failed');
    const summary = page.locator('.progress-summary');
    expect(await summary.textContent()).toContain('0Awaiting the carrier');
    await shot('activation-carrier-sid');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 780 });
    await shot('activation-carrier-sid-phone');
    await page.setViewportSize({ width: 1200, height: 820 });
  });

  it('shows each activation\'s deliveries per status in the history', async () => {
    await page.goto(`${base}/#/history`);
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'High tide' }).first();
    await row.waitFor();
    const header = await page.getByRole('columnheader').allTextContents();
    const cells = await row.getByRole('cell').allTextContents();
    const col = (name: string) => cells[header.indexOf(name)];
    expect(col('Status')).toBe('completed');
    expect(col('Deliveries')).toBe('delivered · 1 failed · 1');
    await shot('history-counts');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it("lists the workflow's text in the contact's conversation history with its carrier status", async () => {
    await page.goto(`${base}/#/contacts/${anaId}`);
    const transcript = page.getByRole('list', { name: `Messages with ${ANA.name}` });
    await transcript.waitFor();
    const items = await transcript.getByRole('listitem').allTextContents();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatch(new RegExp(`^To ${ANA.name} · sms · .+ · delivered(High tide: move the boats\\.)$`));
    expect(await page.getByText('No messages yet.').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
