/**
 * The sequences dashboard (issue 15) in headless Chromium, driven by labels and roles, against a
 * gateway whose Twilio is the carrier emulator and whose sequence clock is manual (days pass in
 * milliseconds): build a sequence on the timeline, reorder steps by mouse drag and by keyboard,
 * start from a template, enroll and run a contact, see per-contact status and history, API errors
 * beside their fields, quiet hours on the settings page; every page at 390 px with an axe scan.
 * Screenshots go to docs/screenshots/ only with UPDATE_SCREENSHOTS=1.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { seriousA11yViolations } from '../helpers/axe.js';
import { freePort } from '../helpers/browser.js';
import { addTwilioLine, type LineFixture } from '../helpers/carrier-fixtures.js';
import { openPage, screenshots, signIn, type Chrome, type DashboardSession } from '../helpers/dashboard-session.js';
import { addContact, HOUR, newAccount, startSequenceEnv, type SequenceEnv } from '../integration/sequence-harness.js';

const PASSWORD = 'timeline-desk-2026';
const ANA = { name: 'Ana Ortiz', phone: '+14155550111' };
const BEN = { name: 'Ben Okafor', phone: '+14155550112' };

describe('sequences dashboard in headless Chromium', { timeout: 60_000 }, () => {
  let env: SequenceEnv;
  let carrier: CarrierEmulator;
  let base: string;
  let chrome: Chrome;
  let page: Page;
  let acct: Awaited<ReturnType<typeof newAccount>>;
  let line: LineFixture;
  const ids: Record<string, string> = {};
  let pageErrors: string[] = [];
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
  let shot: DashboardSession['shot'];
  const step = (n: number) => page.getByRole('listitem', { name: new RegExp(`^Step ${n}:`) });
  const stepsOf = async (id: string) => (await acct.api.get(`/v1/sequences/${id}`).expect(200)).body.steps as Array<Record<string, any>>;
  const open = async (hash: string, heading: string | RegExp) => {
    await page.goto('about:blank');
    await page.goto(`${base}/${hash}`);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  };
  const threeTexts = async (name: string) => (await acct.api.post('/v1/sequences').send({
    name, lineId: line.id,
    steps: ['A', 'B', 'C'].map((x) => ({ id: `t-${x.toLowerCase()}`, type: 'send', name: `Text ${x}`, send: { channel: 'sms', message: `Message ${x}` } })),
  }).expect(201)).body;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', publicUrl: base, callbackDelayMs: 5 });
    env = await startSequenceEnv({ TWILIO_API_URL: carrier.url, PORT: String(port), PUBLIC_URL: base }, { web: true, worker: true });
    carrier.setGateway(await env.rt.listen(), base);
    acct = await newAccount(env, { timezone: 'America/New_York' });
    line = await addTwilioLine(env as never, acct.id, { ...creds, phone: '+14155550199' });
    ids.ana = await addContact(env, acct.id, ANA);
    ids.ben = await addContact(env, acct.id, BEN);
    await acct.api.post('/v1/users').send({ email: 'desk@timeline.test', name: 'Dana Desk', password: PASSWORD, role: 'admin' }).expect(201);

    ({ chrome, page, pageErrors } = await openPage({ viewport: { width: 1280, height: 900 }, timeout: 8000 }));
    shot = screenshots(page, { prefix: 'seq-', fullPage: true });
    await signIn(page, base, 'desk@timeline.test', PASSWORD,
      (p) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sequences' }).waitFor({ state: 'attached' }));
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await env?.close();
    await carrier?.close();
  });

  it('builds a sequence from scratch (send SMS, delay, branch on reply, send), saves it, and sees it unchanged after a reload', async () => {
    await open('#/sequences/new', 'New sequence');
    await page.getByLabel(/^Name/).fill('Quote follow-up');
    await page.getByLabel('Default line').selectOption({ label: 'Ops line +14155550199' });
    const add = async (type: string) => {
      await page.getByLabel('New step type').selectOption({ label: type });
      await page.getByRole('button', { name: 'Add step' }).click();
    };
    await add('Send');
    await step(1).getByLabel('Message').fill('Hi {{first_name}}, want a quote for [[job]]?');
    await add('Delay');
    await step(2).getByLabel('Amount').fill('2');
    await step(2).getByLabel('Unit').selectOption('hours');
    await add('Branch');
    await step(3).getByLabel('Branch on').selectOption({ label: 'SMS reply (replied)' });
    await step(3).getByLabel(/Wait for it/).check();
    await step(3).getByLabel('Amount').fill('1');
    await add('Send');
    await step(4).getByLabel('Step name (optional)').fill('Thanks');
    await step(4).getByLabel('Message').fill('Thanks, we will call you.');
    await step(3).getByLabel('If it happened, go to').selectOption({ label: 'Step 4: Thanks (s4)' });
    await step(3).getByLabel('Otherwise, go to').selectOption({ label: 'the end (complete)' });
    await page.getByLabel('New exit condition').selectOption({ label: 'External event (event)' });
    await page.getByRole('button', { name: 'Add exit condition' }).click();
    await page.getByLabel('Event type').fill('job.booked');
    await page.getByRole('button', { name: 'Create sequence' }).click();
    await page.getByRole('heading', { name: 'Edit Quote follow-up', level: 1 }).waitFor();
    await expect.poll(() => page.getByRole('main').getByText('Created “Quote follow-up” (version 1).').count()).toBe(1);

    const list = (await acct.api.get('/v1/sequences').expect(200)).body.data;
    const seq = list.find((s: { name: string }) => s.name === 'Quote follow-up');
    ids.built = seq.id;
    expect(seq).toMatchObject({ lineId: line.id, currentVersion: 1, exits: [{ type: 'event', eventType: 'job.booked' }] });
    expect(seq.steps).toEqual([
      { id: 's1', type: 'send', send: { channel: 'sms', message: 'Hi {{first_name}}, want a quote for [[job]]?' } },
      { id: 's2', type: 'delay', delay: { amount: 2, unit: 'hours' } },
      { id: 's3', type: 'branch', branch: { condition: { type: 'replied' }, within: { amount: 1, unit: 'days' }, then: 's4', else: 'end' } },
      { id: 's4', type: 'send', name: 'Thanks', send: { channel: 'sms', message: 'Thanks, we will call you.' } },
    ]);

    await page.reload();
    await page.getByRole('heading', { name: 'Edit Quote follow-up', level: 1 }).waitFor();
    expect(await page.getByRole('listitem', { name: /^Step \d:/ }).count()).toBe(4);
    expect(await step(1).getByLabel('Message').inputValue()).toBe('Hi {{first_name}}, want a quote for [[job]]?');
    expect(await step(2).getByLabel('Amount').inputValue()).toBe('2');
    expect(await step(2).getByLabel('Unit').inputValue()).toBe('hours');
    expect(await step(3).getByLabel('Branch on').inputValue()).toBe('replied');
    expect(await step(3).getByLabel(/Wait for it/).isChecked()).toBe(true);
    expect(await step(3).getByLabel('If it happened, go to').inputValue()).toBe('s4');
    expect(await step(3).getByLabel('Otherwise, go to').inputValue()).toBe('end');
    expect(await step(4).getByLabel('Message').inputValue()).toBe('Thanks, we will call you.');
    expect(await page.getByLabel('Event type').inputValue()).toBe('job.booked');
    // Saving unchanged writes version 2 and says plainly what happens to contacts already enrolled.
    await expect.poll(() => page.getByRole('main').getByText('Contacts already enrolled keep the version they enrolled under').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByRole('main').getByText(/Saved “Quote follow-up” as version 2\. Contacts already enrolled keep the version they enrolled under; new enrollments get version 2\./).waitFor();
    expect((await stepsOf(seq.id)).map((s) => s.id)).toEqual(['s1', 's2', 's3', 's4']);
    const history = page.getByRole('region', { name: 'Version history' });
    const v1 = history.getByRole('group').filter({ hasText: /^Version 1 ·/ });
    await v1.getByText(/^Version 1 ·/).click();
    await v1.getByText('Branch on SMS reply (wait up to 1 days): then step s4, else end').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('reorders steps by dragging with the mouse, and the saved order is the new one', async () => {
    const seq = await threeTexts('Drag order');
    await page.setViewportSize({ width: 1280, height: 2000 }); // the whole timeline on screen: a mouse drags what it can see
    await open(`#/sequences/${seq.id}`, 'Edit Drag order');
    const handle = step(3).locator('.drag-handle');
    const from = (await handle.boundingBox())!;
    const to = (await step(1).boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    // A person's drag: small moves over time, up past the first step's middle, then a pause before letting go.
    const x = from.x + from.width / 2;
    const y0 = from.y + from.height / 2;
    for (let i = 1; i <= 20; i++) {
      await page.mouse.move(x, y0 + (to.y + 10 - y0) * (i / 20));
      await page.waitForTimeout(16);
    }
    await page.waitForTimeout(100);
    await page.mouse.up();
    await expect.poll(async () => (await page.getByRole('listitem', { name: /^Step \d:/ }).allInnerTexts()).length).toBe(3);
    expect(await page.getByRole('listitem', { name: /^Step 1:/ }).getAttribute('aria-label')).toBe('Step 1: Text C');
    await expect.poll(() => page.locator('#announce').textContent()).toMatch(/“Text C” is now step 1 of 3/);
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByRole('main').getByText(/as version 2/).waitFor();
    expect((await stepsOf(seq.id)).map((s) => s.id)).toEqual(['t-c', 't-a', 't-b']);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('reorders steps by keyboard (Alt+Arrow on a focused step, Move up), announced, and the saved order is the new one', async () => {
    const seq = await threeTexts('Keyboard order');
    await open(`#/sequences/${seq.id}`, 'Edit Keyboard order');
    await step(1).focus();
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => page.locator('#announce').textContent()).toBe('step “Text A” is now step 2 of 3.');
    // Focus follows the moved step, so a second press moves it again.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Step 2: Text A');
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => page.locator('#announce').textContent()).toBe('step “Text A” is now step 3 of 3.');
    await page.getByRole('button', { name: 'Move up step 3' }).click();
    expect(await page.getByRole('listitem', { name: /^Step \d:/ }).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))))
      .toEqual(['Step 1: Text B', 'Step 2: Text A', 'Step 3: Text C']);
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByRole('main').getByText(/as version 2/).waitFor();
    expect((await stepsOf(seq.id)).map((s) => s.id)).toEqual(['t-b', 't-a', 't-c']);
  });

  it('starts a sequence from a built-in template, and keeps a custom template of its own', async () => {
    await open('#/sequences', 'Sequences');
    await page.getByRole('link', { name: 'Use template Post-Job Review Request' }).click();
    await page.getByRole('heading', { name: 'New sequence from “Post-Job Review Request”', level: 1 }).waitFor();
    expect(await page.getByRole('listitem', { name: /^Step \d:/ }).count()).toBe(6);
    await page.getByLabel(/^Name/).fill('Reviews');
    await page.getByRole('button', { name: 'Create sequence' }).click();
    await page.getByRole('heading', { name: 'Edit Reviews', level: 1 }).waitFor();
    const seq = (await acct.api.get('/v1/sequences').expect(200)).body.data.find((s: { name: string }) => s.name === 'Reviews');
    expect(seq.steps.map((s: { id: string }) => s.id)).toEqual(['wait-24h', 'review-sms', 'replied', 'review-email', 'wait-day-7', 'final-ask']);
    expect(seq.exits).toEqual([{ type: 'event', eventType: 'review.left' }, { type: 'opted_out' }]);

    await page.getByRole('button', { name: 'Save as template' }).click();
    await page.getByRole('heading', { name: 'Edit template Reviews', level: 1 }).waitFor();
    await page.getByLabel(/^Name/).fill('Our reviews');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('main').getByText('Saved template “Our reviews”.').waitFor();
    const mine = (await acct.api.get('/v1/sequence-templates').expect(200)).body.data.filter((t: { builtIn: boolean }) => !t.builtIn);
    expect(mine.map((t: { name: string }) => t.name)).toEqual(['Our reviews']);
    await shot('sequence-template');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await open('#/sequence-templates/new-lead-follow-up', 'Template: New Lead Follow-Up');
    await page.getByRole('main').getByText('Built-in templates are read-only.').waitFor();
    expect(await page.getByRole('button', { name: 'Save template' }).count()).toBe(0);
    expect(await step(1).getByLabel('Message').isDisabled()).toBe(true);
  });

  it('enrolls a contact, runs the sequence through the carrier, and shows per-contact status and history; unenrolls another', async () => {
    await acct.api.patch(`/v1/sequences/${ids.built}`).send({ name: 'Quote run' }).expect(200);
    await open(`#/sequences/${ids.built}/contacts`, 'Quote run: contacts');
    await page.getByLabel('Ana Ortiz').check();
    await page.getByLabel('Ben Okafor').check();
    await page.getByLabel('[[job]]').fill('a new boiler');
    await page.getByRole('button', { name: 'Enroll' }).click();
    await page.getByRole('main').getByText('Enrolled 2 contact(s).').waitFor();

    await env.tick();
    const texts = (to: string) => carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api').map((m) => m.body);
    await carrier.waitFor(() => texts(ANA.phone).length === 1 && texts(BEN.phone).length === 1, 10_000);
    expect(texts(ANA.phone)).toEqual(['Hi Ana, want a quote for a new boiler?']);
    await page.reload();
    const status = page.getByRole('region', { name: 'Contacts in this sequence' });
    const anaRow = status.getByRole('row', { name: /Ana Ortiz/ });
    await anaRow.getByText('Step 2 of 4: Delay (s2)').waitFor();
    await anaRow.getByText('in a delay').waitFor();
    const next = await anaRow.locator('time').getAttribute('datetime');
    expect(new Date(next!).getTime()).toBe(env.clock.now().getTime() + 2 * HOUR);

    await status.getByRole('button', { name: 'Unenroll Ben Okafor' }).click();
    await status.getByRole('row', { name: /Ben Okafor/ }).getByText('unenrolled (api)', { exact: false }).waitFor();

    const reply = await carrier.sendInboundSms({ from: ANA.phone, to: line.phone, body: 'Yes please' });
    expect(reply.status).toBe(200);
    await env.advance(2 * HOUR);
    await carrier.waitFor(() => texts(ANA.phone).length === 2, 10_000);
    expect(texts(ANA.phone)[1]).toBe('Thanks, we will call you.');
    expect(texts(BEN.phone)).toHaveLength(1);

    await page.reload();
    await status.getByRole('row', { name: /Ana Ortiz/ }).getByText('finished every step', { exact: false }).waitFor();
    const hist = page.getByRole('region', { name: 'Execution history' });
    await hist.getByRole('cell', { name: 'replied: yes → s4' }).waitFor();
    await hist.getByLabel('What happened').selectOption('sent');
    await expect.poll(async () => (await hist.getByRole('row').allInnerTexts()).length).toBe(4); // header + 3 sends
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('sequence-contacts-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 900 });

    await hist.getByRole('button', { name: 'Purge history' }).click();
    await hist.getByRole('button', { name: 'Yes, delete history' }).click();
    await hist.getByText(/Deleted \d+ history entries\./).waitFor();
    expect((await acct.api.get(`/v1/sequences/${ids.built}/history`).expect(200)).body.data).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows the API\'s error next to the field it names (a negative delay; equal quiet hours)', async () => {
    await open(`#/sequences/${ids.built}`, 'Edit Quote run');
    await step(2).getByLabel('Amount').fill('-1');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    const amount = step(2).getByLabel('Amount');
    await expect.poll(() => amount.getAttribute('aria-invalid')).toBe('true');
    const errId = (await amount.getAttribute('aria-describedby'))!.split(' ').find((x) => x.endsWith('-err'))!;
    expect(await page.locator(`#${errId}`).textContent()).toBe('may not be negative');
    await page.getByRole('link', { name: 'Step 2 — Amount: may not be negative' }).waitFor();
    expect((await acct.api.get(`/v1/sequences/${ids.built}`).expect(200)).body.currentVersion).toBe(2);

    await open('#/settings', 'Account settings');
    await page.getByLabel('Hold sequence sends during quiet hours').check();
    await page.getByLabel('Quiet hours start').fill('21:30');
    await page.getByLabel('Quiet hours end').fill('21:30');
    await page.getByRole('button', { name: 'Save quiet hours' }).click();
    const end = page.getByLabel('Quiet hours end');
    await expect.poll(() => end.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('main').getByText('must differ from start').waitFor();
    await page.getByLabel('Quiet hours end').fill('07:00');
    await page.getByRole('button', { name: 'Save quiet hours' }).click();
    await page.getByRole('main').getByText('Saved: quiet hours 21:30 to 07:00.').waitFor();
    expect((await acct.api.get('/v1/account').expect(200)).body.settings.quietHours).toEqual({ start: '21:30', end: '07:00' });
  });

  it('every new page is usable at 390 px (no sideways scroll) with no serious or critical axe violation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const pages: Array<[string, string | RegExp, string]> = [
      ['#/sequences', 'Sequences', 'sequences-phone'],
      [`#/sequences/${ids.built}`, 'Edit Quote run', 'sequence-edit-phone'],
      [`#/sequences/${ids.built}/contacts`, 'Quote run: contacts', 'sequence-contacts-enroll-phone'],
      ['#/sequence-templates/payment-overdue-escalation', 'Template: Payment Overdue Escalation', 'sequence-template-phone'],
      ['#/settings', 'Account settings', 'settings-phone'],
    ];
    for (const [hash, heading, name] of pages) {
      await open(hash, heading);
      await page.waitForLoadState('networkidle');
      await expect.poll(() => page.getByRole('main').getByText('Loading…').count()).toBe(0);
      expect({ hash, width: await page.evaluate(() => document.documentElement.scrollWidth) }).toEqual({ hash, width: 390 });
      await shot(name);
      expect({ hash, violations: await seriousA11yViolations(page) }).toEqual({ hash, violations: [] });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await open('#/sequences', 'Sequences');
    await page.getByRole('table').getByRole('link', { name: 'Quote run', exact: true }).waitFor();
    await shot('sequences');
    await open(`#/sequences/${ids.built}`, 'Edit Quote run');
    await page.getByRole('region', { name: 'Version history' }).getByRole('listitem').first().waitFor();
    await shot('sequence-edit');
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
