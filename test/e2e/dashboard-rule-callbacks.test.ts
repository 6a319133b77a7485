/**
 * The rule editor's inputs for callback and sequence actions, and the Callbacks page, in headless
 * Chromium driven by labels and roles against a full runtime (web + workers): a rule with a
 * schedule_callback (line, agent group, whisper, a 2-day delay) and an enroll_sequence (sequence
 * picked from a list, placeholders) built in the page — a bad agent number shown beside its field —,
 * saved, reloaded unchanged and compared with GET /v1/rules/:id; an event that books the callback;
 * the callback moved and cancelled on the Callbacks page. 390 px and axe on both pages.
 * Screenshots go to docs/screenshots/ only with UPDATE_SCREENSHOTS=1.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import { eventually } from '../helpers/eventually.js';
const PASSWORD = 'callback-desk-2026';
const WHISPER = 'New lead {{contact.name}}: press nothing, we connect you.';

describe('rule editor: callback and sequence actions; the Callbacks page', { timeout: 120_000 }, () => {
  let base: string;
  let page: Page;
  let acct: TestAccount;
  let lineId: string;
  let groupId: string;
  let seqId: string;
  let anaId: string;
  let ruleId: string;
  let savedActions: unknown[];
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;
  const action = (n: number): Locator => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(`^Action ${n} \\(`) }) });

  beforeAll(async () => {
    ({ base, page, acct, pageErrors, shot, close } = await openDashboard({
      overrides: { RULES_POLL_INTERVAL_MS: '100', EVENTS_SWEEP_INTERVAL_MS: '100' },
      viewport: { width: 1200, height: 860 }, timeout: 10_000, acceptDialogs: true, shots: { prefix: '', fullPage: true },
      accountName: 'Harbor Solar', user: { email: 'desk@harbor.test', name: 'Dana Desk', password: PASSWORD },
      seed: async ({ acct }) => {
        lineId = (await acct.api.post('/v1/lines').send({ phoneNumber: '+13125550241', provider: 'simulator', name: 'Sales line' }).expect(201)).body.id;
        groupId = (await acct.api.post('/v1/groups').send({ name: 'Sales desk' }).expect(201)).body.id;
        await acct.api.post('/v1/groups').send({ name: 'Night shift' }).expect(201);
        seqId = (await acct.api.post('/v1/sequences').send({
          name: 'Solar welcome', steps: [{ type: 'delay', delay: { amount: 1, unit: 'days' } }, { type: 'send', send: { channel: 'sms', message: 'Hi [[offer]]' } }],
        }).expect(201)).body.id;
        anaId = (await acct.api.post('/v1/contacts').send({ name: 'Ana Ortiz', phone: '+13125550242' }).expect(201)).body.id;
      },
    }));
  }, 90_000);

  afterAll(async () => close?.());

  it('builds a rule with a schedule_callback and an enroll_sequence action; a bad agent number is shown beside its field', async () => {
    await page.goto(`${base}/#/rules/new`);
    await page.getByLabel('Name').fill('Call new solar leads back');
    await page.getByRole('combobox', { name: 'Event', exact: true }).selectOption('__other');
    await page.getByLabel('Event type').fill('lead.created');
    await page.getByRole('region', { name: 'Action set 1' }).getByLabel('When').selectOption('delay');
    await page.getByRole('region', { name: 'Action set 1' }).getByLabel('Days').fill('2');
    await action(1).getByLabel('Type').selectOption('schedule_callback');
    const cb = action(1);
    expect(await cb.getByLabel('Other fields (JSON)').count()).toBe(0);
    await cb.getByLabel('Call from line').selectOption(lineId);
    await cb.getByLabel('Connect to').selectOption('number');
    await cb.getByLabel('Agent number').fill('5551234');
    await cb.getByLabel('Whisper to the agent').fill(WHISPER);
    await page.getByRole('button', { name: 'Add action to set 1' }).click();
    await action(2).getByLabel('Type').selectOption('enroll_sequence');
    await action(2).getByLabel('Sequence').selectOption({ label: 'Solar welcome' });
    await action(2).getByLabel('Placeholders').fill('offer=10% off');
    await page.getByRole('button', { name: 'Create rule' }).click();

    const err = cb.locator('[data-field="actions.0.agentNumber"] .field-error');
    await err.filter({ hasText: 'must be an E.164 number' }).waitFor();
    expect(await cb.getByLabel('Agent number').getAttribute('aria-invalid')).toBe('true');
    expect((await acct.api.get('/v1/rules').expect(200)).body.data).toEqual([]);

    await cb.getByLabel('Connect to').selectOption('group');
    await cb.getByLabel('Agent group').selectOption({ label: 'Sales desk' });
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText('Saved “Call new solar leads back”.').waitFor();
    ruleId = /#\/rules\/([\w-]+)/.exec(page.url())![1]!;
    const rule = (await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body;
    const timing = { type: 'delay', days: 2, hours: 0, minutes: 0 };
    expect(rule.actions).toEqual([
      { id: 'a1', type: 'schedule_callback', active: true, skipIfLiveCall: false, timing, lineId, agentGroupId: groupId, whisper: WHISPER },
      { id: 'a2', type: 'enroll_sequence', active: true, skipIfLiveCall: false, timing, sequenceId: seqId, placeholders: { offer: '10% off' } },
    ]);
    savedActions = rule.actions;
  });

  it('reloads the rule unchanged: the same inputs, and saving again stores the same actions', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Edit Call new solar leads back', level: 1 }).waitFor();
    const cb = action(1);
    expect(await cb.getByLabel('Type').inputValue()).toBe('schedule_callback');
    expect(await cb.getByLabel('Call from line').inputValue()).toBe(lineId);
    expect(await cb.getByLabel('Connect to').inputValue()).toBe('group');
    expect(await cb.getByLabel('Agent group').inputValue()).toBe(groupId);
    expect(await cb.getByLabel('Whisper to the agent').inputValue()).toBe(WHISPER);
    expect(await action(2).getByLabel('Sequence').inputValue()).toBe(seqId);
    expect(await action(2).getByLabel('Placeholders').inputValue()).toBe('offer=10% off');
    expect(await page.getByRole('region', { name: 'Action set 1' }).getByLabel('Days').inputValue()).toBe('2');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Saved “Call new solar leads back”.').waitFor();
    expect((await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body.actions).toEqual(savedActions);

    await page.setViewportSize({ width: 390, height: 844 });
    await action(1).getByLabel('Whisper to the agent').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('rule-edit-callback-phone');
    await page.setViewportSize({ width: 1200, height: 860 });
  });

  it('offers update_callback and unenroll_sequence inputs too', async () => {
    await page.getByRole('button', { name: 'Add action to set 1' }).click();
    await action(3).getByLabel('Type').selectOption('update_callback');
    await action(3).getByLabel('Which callback').selectOption('event');
    await action(3).getByLabel('Move by hours').fill('3');
    await action(3).getByLabel('Move by minutes').fill('30');
    await page.getByRole('button', { name: 'Add action to set 1' }).click();
    await action(4).getByLabel('Type').selectOption('unenroll_sequence');
    await action(4).getByLabel('Sequence').selectOption(seqId);
    await page.getByRole('button', { name: 'Save rule' }).click();
    // (The flash of the last save is still on the page: wait for the stored rule instead.)
    const actions = await eventually(async () => {
      const stored = (await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body.actions;
      return stored.length === 4 ? stored : null;
    }, 'four actions saved');
    expect(actions.slice(2)).toMatchObject([
      { type: 'update_callback', operation: 'move', callbackId: 'event.callbackId', moveBy: { days: 0, hours: 3, minutes: 30 } },
      { type: 'unenroll_sequence', sequenceId: seqId },
    ]);
    // Back to the two actions the callback test below expects.
    await acct.api.patch(`/v1/rules/${ruleId}`).send({ actions: savedActions }).expect(200);
  });

  it('lists the callback the rule booked, moves it and cancels it on the Callbacks page', async () => {
    await acct.api.post('/v1/events').send({ type: 'lead.created', contact: { id: anaId }, data: {} }).expect(202);
    const booked = await eventually(async () => {
      const list = (await acct.api.get(`/v1/callbacks?contactId=${anaId}`).expect(200)).body.data;
      return list.length === 1 ? list[0] : null;
    }, 'the callback booked');
    expect(booked).toMatchObject({ status: 'scheduled', ruleId, lineId, agentGroupId: groupId, whisper: 'New lead Ana Ortiz: press nothing, we connect you.' });

    await page.goto(`${base}/#/rules`);
    await page.getByRole('link', { name: 'Callbacks' }).click();
    await page.getByRole('heading', { name: 'Callbacks', level: 1 }).waitFor();
    const item = page.getByRole('listitem', { name: /Callback to Ana Ortiz/ });
    await item.getByText('agents: agent group Sales desk').waitFor();

    await item.getByRole('button', { name: 'Move callback to Ana Ortiz' }).click();
    const move = item.getByRole('form', { name: 'Move callback to Ana Ortiz' });
    await move.getByLabel('New time').fill('2031-03-04T09:30');
    await move.getByRole('button', { name: 'Save time' }).click();
    await move.waitFor({ state: 'detached' });
    const moved = (await acct.api.get(`/v1/callbacks/${booked.id}`).expect(200)).body;
    expect(new Date(moved.dueAt).getTime()).toBe(await page.evaluate(() => new Date('2031-03-04T09:30').getTime()));

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('callbacks-phone');

    await item.getByRole('button', { name: 'Cancel callback to Ana Ortiz' }).click();
    const ask = page.getByRole('dialog', { name: 'Cancel the callback to Ana Ortiz?' });
    await ask.getByRole('button', { name: 'Cancel callback' }).click();
    await item.getByText('cancelled').waitFor();
    expect((await acct.api.get(`/v1/callbacks/${booked.id}`).expect(200)).body.status).toBe('cancelled');
    expect(await item.getByRole('button', { name: 'Cancel callback to Ana Ortiz' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
