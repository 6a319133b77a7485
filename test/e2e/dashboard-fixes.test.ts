/**
 * Dashboard defects of issue 19, each driven in headless Chromium against a full runtime (web +
 * workers) whose Twilio is the local carrier emulator, so failures carry real carrier codes:
 * readable schedule times, failure reasons in words (REST and websocket alike), an error summary
 * that names fields as the page labels them, a confirmation before pausing, and the activation
 * page at phone width, each with an axe-core scan. Screenshots go to docs/screenshots/ only with
 * UPDATE_SCREENSHOTS=1.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPTS } from '../../ivr/activation-line.js';
import { SMS_TEXT } from '../../ivr/sms-replies.js';
import { seriousA11yViolations } from '../helpers/axe.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { addTwilioLine } from '../helpers/carrier-fixtures.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
const PASSWORD = 'storm-desk-2026';
const ANA = { name: 'Ana Ortiz', phone: '+14155550101' };
const BEN = { name: 'Ben Okafor', phone: '+14155550102' }; // accepted, then undelivered: 30003
const CHEN = { name: 'Chen Wei', phone: '+14155550103' }; // refused up front: 21211

/** "Mon 7 Dec 2026, 09:00 (Europe/London)", computed here independently of the page. */
const expectedLocal = (utc: string, timeZone: string) => {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(utc)).map((p) => [p.type, p.value]));
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} (${timeZone})`;
};

/** The page's text less the version history's raw JSON (where `null` is a value). */
const visibleText = (page: Page) => page.evaluate(() => {
  const main = document.querySelector('main')!.cloneNode(true) as HTMLElement;
  for (const pre of Array.from(main.querySelectorAll('pre'))) pre.remove();
  return main.textContent ?? '';
});

describe('dashboard fixes (issue 19) in headless Chromium', () => {
  let env: RuntimeWithCarrier;
  let base: string;
  let page: Page;
  let acct: TestAccount;
  let wf: { id: string; actions: Array<{ id: string }> };
  let plain: { id: string };
  let activationId: string;
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ env, base, page, acct, pageErrors, shot, close } = await openDashboard({
      start: (o) => startRuntimeWithCarrier(o, { web: true, worker: true }),
      viewport: { width: 1200, height: 820 }, shots: { prefix: 'fixes-' },
      accountName: 'Storm Coast Volunteer Rescue', user: { email: 'desk@storm.test', name: 'Dana Dispatch', password: PASSWORD },
      seed: async ({ env, acct }) => {
        const line = await addTwilioLine(env.t, acct.account.id, { ...env.creds, phone: '+14155550199' });
        env.carrier.setBehaviour(BEN.phone, { messageOutcome: 'undelivered', messageErrorCode: 30003, acceptDelayMs: 2500 });
        env.carrier.setBehaviour(CHEN.phone, { error: { status: 400, code: 21211 } });
        const group = (await acct.api.post('/v1/groups').send({ name: 'Crew' }).expect(201)).body;
        const ids: string[] = [];
        for (const p of [ANA, BEN, CHEN]) ids.push((await acct.api.post('/v1/contacts').send(p).expect(201)).body.id);
        await acct.api.post(`/v1/groups/${group.id}/members`).send({ contactIds: ids }).expect(200);
        wf = (await acct.api.post('/v1/workflows').send({
          name: 'Storm call-out',
          codeActivation: { lineId: line.id, code: 'STRM' },
          schedule: { type: 'weekly', days: ['mon', 'thu'], time: '09:00', timezone: 'Europe/London' },
          actions: [{ type: 'notification', groupIds: [group.id], message: 'Storm warning: report to the station.', channels: ['sms', 'email', 'voice', 'push'] }],
        }).expect(201)).body;
        plain = (await acct.api.post('/v1/workflows').send({
          name: 'No schedule', actions: [{ type: 'notification', groupIds: [group.id], message: 'Hello.', channels: ['sms'] }],
        }).expect(201)).body;
      },
    }));
  }, 60_000);

  afterAll(async () => close?.());

  it('shows the next scheduled runs as readable local times in the schedule\'s zone, and never a literal null', async () => {
    const preview = (await acct.api.get(`/v1/workflows/${wf.id}/schedule/preview?count=5`).expect(200)).body;
    await page.goto(`${base}/#/workflows/${wf.id}`);
    const card = page.getByRole('region', { name: 'Next scheduled runs' });
    await card.getByRole('listitem').first().waitFor();
    const items = await card.getByRole('listitem').allTextContents();
    expect(items).toEqual(preview.occurrences.map((o: { utc: string }) => expectedLocal(o.utc, 'Europe/London')));
    expect(items[0]).toMatch(/^(Mon|Thu) \d{1,2} [A-Z][a-z]{2} \d{4}, 09:00 \(Europe\/London\)$/);
    // The machine-readable instant stays available to assistive tech and scripts.
    expect(await card.locator('time').first().getAttribute('datetime')).toBe(preview.occurrences[0].utc);
    expect(await visibleText(page)).not.toMatch(/\bnull\b|\d{4}-\d\d-\d\dT/);
    await card.scrollIntoViewIfNeeded();
    await shot('workflow-schedule');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.goto(`${base}/#/workflows/${plain.id}`);
    await page.getByRole('region', { name: 'Version history' }).waitFor();
    expect(await visibleText(page)).not.toMatch(/\bnull\b/);
  });

  it('shows failure reasons in words with the carrier code beside them, the same live and after a reload', async () => {
    const res = await acct.api.post(`/v1/workflows/${wf.id}/activations`).send({}).expect(201);
    activationId = res.body.id;
    await page.goto(`${base}/#/activations/${activationId}`);
    const cellOf = (who: string, channel: string) => page.locator(`tr[data-recipient="${who}"] td[data-channel="${channel}"]`);
    await cellOf(BEN.name, 'sms').waitFor();
    // Ben's carrier holds the message for 2.5 s: it is not failed yet when the page first renders,
    // so its failure arrives over the websocket.
    expect(await cellOf(BEN.name, 'sms').locator('[data-status="failed"]').count()).toBe(0);
    await cellOf(BEN.name, 'sms').getByText('Unreachable destination handset (30003)').waitFor({ timeout: 20_000 });
    await cellOf(CHEN.name, 'sms').getByText('Invalid phone number (21211)').waitFor({ timeout: 20_000 });
    await cellOf(ANA.name, 'email').getByText('No e-mail address (no_email)').waitFor();
    await page.locator('[data-status="delivered"]').first().waitFor({ timeout: 20_000 });

    await page.reload();
    await cellOf(BEN.name, 'sms').getByText('Unreachable destination handset (30003)').waitFor();
    await cellOf(CHEN.name, 'sms').getByText('Invalid phone number (21211)').waitFor();
    expect(await page.locator('main').textContent()).not.toMatch(/(^|[^(\d])(30003|21211)(?!\))/);
    expect(await seriousA11yViolations(page)).toEqual([]);

    const detail = (await acct.api.get(`/v1/activations/${activationId}`).expect(200)).body;
    const sms = (name: string) => detail.recipients.find((r: { name: string }) => r.name === name).deliveries.find((d: { channel: string }) => d.channel === 'sms');
    expect(sms(BEN.name)).toMatchObject({ status: 'failed', errorCode: '30003', failureCode: '30003', failureReason: 'Unreachable destination handset' });
    expect(sms(CHEN.name)).toMatchObject({ status: 'failed', errorCode: '21211', failureCode: '21211', failureReason: 'Invalid phone number' });
    expect(sms(ANA.name)).toMatchObject({ failureCode: null, failureReason: null });
  });

  it('names each field in the error summary as the page labels it, with a link that focuses it', async () => {
    await page.goto(`${base}/#/workflows/new`);
    await page.getByRole('heading', { name: 'New workflow' }).waitFor();
    await page.getByRole('button', { name: 'Create workflow' }).click();
    const summary = page.locator('.error-summary [role="alert"]');
    await summary.waitFor();
    const text = (await summary.textContent()) ?? '';
    expect(text).not.toMatch(/actions\.\d|codeActivation\.|schedule\./);
    const link = summary.getByRole('link', { name: 'Action 1 (SMS notification) — Message: may not be empty' });
    await link.waitFor();
    await summary.getByRole('link', { name: /^Name: / }).waitFor();
    await shot('workflow-error-summary');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await link.click();
    expect(await page.evaluate(() => document.activeElement?.closest('[data-field]')?.getAttribute('data-field'))).toBe('actions.0.message');
    expect(page.url()).toMatch(/#\/workflows\/new$/); // the link did not navigate away
  });

  it('asks before pausing, says what pausing does, and pauses only when confirmed', async () => {
    await page.goto(`${base}/#/workflows/${wf.id}`);
    await page.getByRole('heading', { name: 'Edit Storm call-out' }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause Storm call-out?' });
    await dialog.waitFor();
    const said = (await dialog.textContent()) ?? '';
    // The words the dialog quotes are the ones the caller and the texter really get.
    expect(said).toContain(`Callers who key STRM (7876) hear “${PROMPTS.wrongCode}”, as for a wrong code.`);
    expect(said).toContain(`Texts with STRM get “${SMS_TEXT.unknownCode.split('.')[0]}…”`);
    expect(said).toContain('Scheduled runs are skipped');
    expect(said).toContain('Activations already under way carry on.');
    await shot('workflow-pause-confirm');
    expect(await seriousA11yViolations(page)).toEqual([]);
    // Focus starts on the safe choice; Escape and "Keep it active" both leave it active.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it active');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Pause' }).click();
    await dialog.getByRole('button', { name: 'Keep it active' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await acct.api.get(`/v1/workflows/${wf.id}`).expect(200)).body.status).toBe('active');

    await page.getByRole('button', { name: 'Pause' }).click();
    await dialog.getByRole('button', { name: 'Pause workflow' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect((await acct.api.get(`/v1/workflows/${wf.id}`).expect(200)).body.status).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await acct.api.get(`/v1/workflows/${wf.id}`).expect(200)).body.status).toBe('active');
  });

  it('fits the activation page at phone width: no table cell past the screen, "Sign out" on one line', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/activations/${activationId}`);
    await page.locator(`tr[data-recipient="${CHEN.name}"] td[data-channel="sms"]`).getByText('Invalid phone number (21211)').waitFor();
    await shot('activation-phone');
    expect(await seriousA11yViolations(page)).toEqual([]);
    const out = await page.evaluate(() => Array.from(document.querySelectorAll('main th, main td'))
      .map((c) => ({ text: c.textContent, r: c.getBoundingClientRect() }))
      .filter(({ r }) => r.left < 0 || r.right > window.innerWidth)
      .map(({ text, r }) => `${text} [${Math.round(r.left)}, ${Math.round(r.right)}]`));
    expect(out).toEqual([]);
    // Stacked on screen, still a table to assistive tech: rows, row headers, labelled columns.
    await page.getByRole('row').filter({ hasText: CHEN.name }).getByRole('rowheader').waitFor();
    expect(await page.getByRole('columnheader', { name: 'SMS' }).count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    const signOutLines = await page.evaluate(() => {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById('logout')!);
      return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
    });
    expect(signOutLines).toBe(1);
    const box = (await page.getByRole('button', { name: 'Sign out' }).boundingBox())!;
    const lineHeight = await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById('logout')!).lineHeight));
    expect(box.height).toBeLessThanOrEqual(lineHeight + 1);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1200, height: 820 });
  });

  it('raised no script errors or content-security-policy violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
