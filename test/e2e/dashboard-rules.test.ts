/**
 * The rules dashboard (issue 15) in real headless Chromium against a full runtime (web + workers):
 * a rule built from scratch by labels and roles, the API's field error beside its field, the rule
 * read back unchanged, an event raised through the API and its evaluation in the Logs tab with each
 * condition's result and each action's outcome, a delayed action flushed with the button, Active
 * switches on the list, the account-wide log, phone width and an axe-core scan of each page.
 * Screenshots go to docs/screenshots/ only with UPDATE_SCREENSHOTS=1.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorsByType } from '../../src/rules/conditions.js';
import { seriousA11yViolations } from '../helpers/axe.js';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import { eventually } from '../helpers/eventually.js';
const PASSWORD = 'rule-desk-2026';
const ANA = { name: 'Ana Ortiz', phone: '+14155550131' };

type Log = { kind: string; outcome: string; eventId: string; actionType: string | null; detail: Record<string, unknown> };

describe('rules dashboard (issue 15) in headless Chromium', () => {
  let base: string;
  let page: Page;
  let acct: TestAccount;
  let anaId: string;
  let ruleId: string;
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;
  const condition = (n: number): Locator => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Condition ${n}`, exact: true }) });
  const actionSet = (n: number): Locator => page.getByRole('region', { name: `Action set ${n}` });
  const action = (n: number): Locator => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(`^Action ${n} \\(`) }) });
  const logs = async (): Promise<Log[]> => (await acct.api.get(`/v1/rule-logs?ruleId=${ruleId}`).expect(200)).body.data;

  beforeAll(async () => {
    ({ base, page, acct, pageErrors, shot, close } = await openDashboard({
      viewport: { width: 1200, height: 860 }, timeout: 10_000, shots: { prefix: 'rules-', fullPage: true },
      accountName: 'Bayside Plumbing', user: { email: 'office@bayside.test', name: 'Olu Office', password: PASSWORD },
      seed: async ({ acct }) => {
        anaId = (await acct.api.post('/v1/contacts').send(ANA).expect(201)).body.id;
      },
    }));
  }, 60_000);

  afterAll(async () => close?.());

  it('serves the field catalogue the editor uses: the same operators per type the API validates with', async () => {
    const res = await acct.api.get('/v1/rules/fields').expect(200);
    expect(res.body.operatorsByType).toEqual(operatorsByType);
    expect(res.body.eventTypes.find((e: { type: string }) => e.type === 'call.ended').fields)
      .toContainEqual({ path: 'event.callCount', key: 'callCount', type: 'number' });
    expect(res.body.operators.find((o: { name: string }) => o.name === 'between')).toEqual({ name: 'between', value: 'range', types: ['text', 'number', 'date'] });
    const spec = (await acct.api.get('/docs/json').expect(200)).body;
    expect(spec.paths['/v1/rules/fields'].get).toMatchObject({ operationId: 'listRuleFields', summary: expect.any(String) });
  });

  it('builds a rule from scratch, shows the API\'s error beside the bad value, saves it and reads it back unchanged', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New rule', level: 1 }).waitFor();
    await page.getByLabel('Name').fill('Missed call follow-up');
    await page.getByRole('combobox', { name: 'Event', exact: true }).selectOption('call.ended');

    await page.getByRole('button', { name: 'Add condition' }).click();
    await condition(1).getByLabel('Field').selectOption('event.disposition');
    // A text field offers text operators only: no greater_than, but starts_with.
    const textOps = await condition(1).getByLabel('Operator').locator('option').allTextContents();
    expect(textOps).toEqual(operatorsByType.text.map((o) => o.replace(/_/g, ' ')));
    await condition(1).getByLabel('Operator').selectOption('equals');
    await condition(1).getByLabel('Value').fill('missed');

    await page.getByRole('button', { name: 'Add condition' }).click();
    await condition(2).getByLabel('Field').selectOption('event.callCount');
    expect(await condition(2).getByLabel('Operator').locator('option').allTextContents()).toEqual(operatorsByType.number.map((o) => o.replace(/_/g, ' ')));
    await condition(2).getByLabel('Operator').selectOption('between');
    const range = condition(2).getByRole('group', { name: 'Value: between (inclusive)' });
    expect(await range.getByLabel('From').getAttribute('type')).toBe('number');
    // Low above high: the API refuses it, and says so beside the range.
    await range.getByLabel('From').fill('5');
    await range.getByLabel('To').fill('1');

    await actionSet(1).getByLabel('When').selectOption('immediate');
    await action(1).getByLabel('Type').selectOption('change_status');
    await action(1).getByLabel('Status').fill('callback');
    await page.getByRole('button', { name: 'Add action set' }).click();
    await actionSet(2).getByLabel('When').selectOption('delay');
    await actionSet(2).getByLabel('Days').fill('2');
    await action(2).getByLabel('Type').selectOption('sms');
    await action(2).getByLabel('Message').fill('Sorry we missed you, {{contact.name}}');
    await action(2).getByLabel('Skip if live call').check();
    await page.getByLabel('Skip if pending: do not run again for a contact who still has actions waiting from this rule').check();
    await page.getByLabel('Schedule window').last().selectOption('always');

    await page.getByRole('button', { name: 'Create rule' }).click();
    await range.getByText('low must not be greater than high').waitFor();
    expect(await range.getByLabel('From').getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('alert').filter({ hasText: '1 field needs attention' }).getByRole('link', { name: 'Condition 2 — Value: between (inclusive): low must not be greater than high' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect((await acct.api.get('/v1/rules').expect(200)).body.data).toEqual([]);

    await range.getByLabel('From').fill('1');
    await range.getByLabel('To').fill('3');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText('Saved “Missed call follow-up”.').waitFor();
    ruleId = page.url().split('#/rules/')[1]!;
    const saved = (await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body;
    expect(saved).toMatchObject({
      name: 'Missed call follow-up', eventType: 'call.ended', enabled: true, scope: { type: 'account' }, skipIfPending: true, window: 'always', rolloutPercent: 100, stopIf: null,
      conditions: [{ field: 'event.disposition', operator: 'equals', value: 'missed' }, { field: 'event.callCount', operator: 'between', value: [1, 3] }],
      actions: [
        { type: 'change_status', status: 'callback', active: true, skipIfLiveCall: false, timing: { type: 'immediate' } },
        { type: 'sms', message: 'Sorry we missed you, {{contact.name}}', active: true, skipIfLiveCall: true, timing: { type: 'delay', days: 2, hours: 0, minutes: 0 } },
      ],
    });

    // Reload: the editor shows the stored rule, and saving it untouched changes nothing.
    await page.reload();
    await page.getByRole('heading', { name: 'Edit Missed call follow-up', level: 1 }).waitFor();
    expect(await page.getByLabel('Name').inputValue()).toBe('Missed call follow-up');
    expect(await condition(2).getByLabel('Operator').inputValue()).toBe('between');
    expect(await condition(2).getByLabel('From').inputValue()).toBe('1');
    expect(await actionSet(2).getByLabel('Days').inputValue()).toBe('2');
    expect(await action(2).getByLabel('Message').inputValue()).toBe('Sorry we missed you, {{contact.name}}');
    await shot('rule-edit');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Saved “Missed call follow-up”.').waitFor();
    const again = (await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body;
    expect({ ...again, updatedAt: null }).toEqual({ ...saved, updatedAt: null });
  });

  it('shows each evaluation in the rule\'s Logs tab with every condition\'s result and each action\'s outcome', async () => {
    const hit = (await acct.api.post('/v1/events').set('idempotency-key', 'call-1').send({ type: 'call.ended', contact: { id: anaId }, data: { disposition: 'missed', callCount: 2 } }).expect(202)).body.id;
    const miss = (await acct.api.post('/v1/events').set('idempotency-key', 'call-2').send({ type: 'call.ended', contact: { id: anaId }, data: { disposition: 'missed', callCount: 7 } }).expect(202)).body.id;
    await eventually(async () => {
      const l = await logs();
      return l.some((x) => x.eventId === hit && x.outcome === 'executed') && l.some((x) => x.eventId === miss && x.kind === 'evaluation');
    }, 'both events evaluated and the status changed');
    const l = await logs();
    expect(l.find((x) => x.eventId === miss && x.kind === 'evaluation')!.detail).toEqual({
      condition: 1, field: 'event.callCount',
      conditions: [{ field: 'event.disposition', operator: 'equals', matched: true }, { field: 'event.callCount', operator: 'between', matched: false }],
    });

    await page.getByRole('link', { name: 'Logs', exact: true }).click();
    await page.getByRole('heading', { name: 'Logs: Missed call follow-up', level: 1 }).waitFor();
    const cards = page.getByRole('article');
    await cards.first().waitFor();
    const matched = cards.filter({ has: page.getByRole('list', { name: 'Actions' }) });
    const conds = matched.getByRole('list', { name: 'Conditions' }).getByRole('listitem');
    expect(await conds.allTextContents()).toEqual(['matched Condition 1: event.disposition equals missed', 'matched Condition 2: event.callCount between 1 – 3']);
    const acts = await matched.getByRole('list', { name: 'Actions' }).getByRole('listitem').allTextContents();
    expect(acts).toEqual(expect.arrayContaining(['executed a1 · change status', expect.stringMatching(/^scheduled a2 · sms · due /)]));
    const failed = cards.filter({ hasText: 'not matched' });
    expect(await failed.getByRole('list', { name: 'Conditions' }).getByRole('listitem').allTextContents())
      .toEqual(['matched Condition 1: event.disposition equals missed', 'failed Condition 2: event.callCount between 1 – 3']);
    expect((await acct.api.get(`/v1/contacts/${anaId}`).expect(200)).body.status).toBe('callback');

    // The delayed SMS waits; the Flush button cancels it.
    const pending = page.getByRole('region', { name: 'Pending actions' });
    await pending.getByRole('cell', { name: 'a2 · sms' }).waitFor();
    await shot('rule-logs');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await pending.getByRole('button', { name: 'Flush pending actions' }).click();
    await pending.getByText('Flushed: 1 pending action cancelled.').waitFor();
    await pending.getByText('No action is waiting to run.').waitFor();
    const cancelled = (await acct.api.get(`/v1/rule-pending-actions?ruleId=${ruleId}&status=cancelled`).expect(200)).body.data;
    expect(cancelled.map((r: { actionType: string }) => r.actionType)).toEqual(['sms']);
    expect((await acct.api.get(`/v1/rule-pending-actions?ruleId=${ruleId}&status=pending`).expect(200)).body.data).toEqual([]);
  });

  it('switches a rule and one of its actions inactive from the list', async () => {
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor();
    await page.getByRole('switch', { name: 'Active: Missed call follow-up, action 2 (sms)' }).uncheck();
    await eventually(async () => (await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body.actions[1].active === false, 'action 2 inactive');
    await page.getByRole('switch', { name: 'Active: Missed call follow-up', exact: true }).uncheck();
    const rule = await eventually(async () => {
      const r = (await acct.api.get(`/v1/rules/${ruleId}`).expect(200)).body;
      return r.enabled === false ? r : null;
    }, 'rule disabled');
    expect(rule.actions.map((a: { active: boolean }) => a.active)).toEqual([true, false]);
    // Each switch changed only what it names: conditions and safeguards are as saved.
    expect(rule).toMatchObject({ conditions: [{ field: 'event.disposition' }, { field: 'event.callCount' }], skipIfPending: true, scope: { type: 'account' } });
    expect(await page.getByRole('switch', { name: 'Active: Missed call follow-up', exact: true }).isChecked()).toBe(false);
    await page.reload();
    await page.getByRole('switch', { name: 'Active: Missed call follow-up', exact: true }).waitFor();
    expect(await page.getByRole('switch', { name: 'Active: Missed call follow-up', exact: true }).isChecked()).toBe(false);
    await shot('rules');
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('shows a loop banner on a rule that loop protection cut, and the account-wide log with its filters', async () => {
    // A rule whose own action raises the event it reacts to: each loop is cut and logged.
    const loopy = (await acct.api.post('/v1/rules').send({
      name: 'Status echo', eventType: 'contact.status_changed',
      actions: [{ type: 'change_status', status: 'echo' }],
    }).expect(201)).body;
    await acct.api.patch(`/v1/contacts/${anaId}`).send({ status: 'new' }).expect(200);
    await eventually(async () => (await acct.api.get(`/v1/rule-logs?ruleId=${loopy.id}&outcome=loop_cut`).expect(200)).body.data.length > 0, 'a loop cut');
    await page.goto(`${base}/#/rules/${loopy.id}/logs`);
    await page.getByRole('heading', { name: 'Logs: Status echo', level: 1 }).waitFor();
    await page.getByText('Loop protection cut this rule 1 time').waitFor();
    await page.getByRole('note').filter({ hasText: 'Loop protection cut this evaluation' }).first().waitFor();

    await page.goto(`${base}/#/rule-logs`);
    await page.getByRole('heading', { name: 'Rule logs', level: 1 }).waitFor();
    const search = page.getByRole('search', { name: 'Filter rule logs' });
    await search.getByLabel('Action type').selectOption('sms');
    await search.getByRole('button', { name: 'Show' }).click();
    await eventually(async () => (await page.getByRole('article').count()) === 1, 'only the sms lines');
    expect(await page.getByRole('article').textContent()).toContain('Missed call follow-up');
    await page.setViewportSize({ width: 390, height: 844 });
    await search.getByLabel('Action type').selectOption('');
    await search.getByLabel('Contact').selectOption(anaId);
    await search.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('article').filter({ hasText: 'Status echo' }).first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('rule-logs-phone');
    expect(await seriousA11yViolations(page)).toEqual([]);

    for (const hash of ['#/rules', `#/rules/${ruleId}`]) {
      await page.goto(`${base}/${hash}`);
      await page.locator('h1').waitFor();
      await page.getByRole('button', { name: 'Menu' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
      expect(await seriousA11yViolations(page)).toEqual([]);
    }
    await shot('rule-edit-phone');
    expect(pageErrors).toEqual([]);
  });
});
