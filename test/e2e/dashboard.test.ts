/**
 * The dashboard in real headless Chromium against a full runtime (web + workers, simulator
 * carrier) listening on an ephemeral port with PUBLIC_URL set to it: sign in, create a workflow
 * with a notification, activate it with placeholders and watch the recipients turn delivered
 * live over the websocket, then place a softphone call that keys the code and see the
 * activation appear. Screenshots of the main pages are taken on every run (rendering errors
 * fail the test) but written to docs/screenshots/ only with UPDATE_SCREENSHOTS=1, so a test run
 * never rewrites committed files.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDashboard, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import type { TestRuntime } from '../helpers/runtime.js';
const PASSWORD = 'dispatch-desk-2024';
const PEOPLE = [
  { name: 'Ana Ortiz', phone: '+14155550101' },
  { name: 'Ben Okafor', phone: '+14155550102' },
  { name: 'Chen Wei', phone: '+14155550103' },
];

describe('dashboard in headless Chromium', () => {
  let t: TestRuntime;
  let base: string;
  let page: Page;
  let acct: TestAccount;
  let line: { id: string; phoneNumber: string };
  // Script errors and CSP violations (reported as console errors) fail the run at the end.
  let pageErrors: string[] = [];
  let shot: DashboardSession['shot'];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    // Signed in by the first test, which is about the sign-in page.
    ({ t, base, page, acct, pageErrors, shot, close } = await openDashboard({
      viewport: { width: 1200, height: 820 }, shots: { prefix: null }, signIn: false,
      accountName: 'Harbour Rescue', user: { email: 'dispatch@harbour.test', name: 'Dana Dispatch', password: PASSWORD },
      seed: async ({ acct }) => {
        line = (await acct.api.post('/v1/lines').send({ phoneNumber: '+14155550199', name: 'Harbour line', provider: 'simulator' }).expect(201)).body;
        const group = (await acct.api.post('/v1/groups').send({ name: 'Fire team', description: 'Volunteer firefighters' }).expect(201)).body;
        const ids: string[] = [];
        for (const p of PEOPLE) ids.push((await acct.api.post('/v1/contacts').send(p).expect(201)).body.id);
        await acct.api.post(`/v1/groups/${group.id}/members`).send({ contactIds: ids }).expect(200);
        await acct.api.post('/v1/workflows').send({
          name: 'Evacuate pier', description: 'Called in by phone from the pier',
          codeActivation: { lineId: line.id, code: 'RESQ' },
          actions: [{ type: 'notification', groupIds: [group.id], message: 'Evacuate the pier now.', channels: ['sms'] }],
        }).expect(201);
      },
    }));
  });

  afterAll(async () => close?.());

  it('signs in', async () => {
    await page.goto(base);
    await page.getByRole('heading', { name: 'Sign in to Switchboard' }).waitFor();
    await shot('sign-in');
    await page.getByLabel('E-mail').fill('dispatch@harbour.test');
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong e-mail or password' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
    await expect(page.locator('#who').textContent()).resolves.toBe('Dana Dispatch · Harbour Rescue');
    await page.getByText('Code RESQ on Harbour line +14155550199').waitFor();
  });

  it('creates a workflow with a notification, showing the API\'s messages next to the fields', async () => {
    await page.getByRole('link', { name: 'New workflow' }).click();
    await page.getByRole('heading', { name: 'New workflow' }).waitFor();
    await page.getByLabel('Name').fill('Fire on the quay');
    await page.getByLabel('Description').fill('Dispatch fills in where');
    await page.getByRole('checkbox', { name: 'SMS' }).check();
    await page.getByRole('button', { name: 'Create workflow' }).click();

    // The API's own details[] land next to their fields.
    const msgErr = page.locator('[data-field="actions.0.message"] > .field-error');
    // The error span exists (empty) before the API answers: wait for its text, not for the element.
    await expect.poll(() => msgErr.textContent(), { timeout: 5000 }).toBe('may not be empty');
    await expect(page.locator('[data-field="actions.0.groupIds"] > .field-error').textContent()).resolves.toBe('choose at least one group');
    expect(await page.getByLabel('Message').getAttribute('aria-invalid')).toBe('true');
    await shot('workflow-validation');

    await page.getByRole('checkbox', { name: /Fire team/ }).check();
    await page.getByLabel('Message').fill('Fire at [[location]]. Bring [[equipment]] to the muster point.');
    await page.getByRole('button', { name: 'Create workflow' }).click();
    await page.getByText('Saved “Fire on the quay” (version 1).').waitFor();
    await page.getByText('Version 1 (current)').waitFor();
    const stored = (await acct.api.get('/v1/workflows?limit=10').expect(200)).body.data.find((w: { name: string }) => w.name === 'Fire on the quay');
    expect(stored).toMatchObject({ description: 'Dispatch fills in where', placeholders: ['location', 'equipment'], actions: [{ type: 'notification', channels: ['sms'] }] });
  });

  it('activates it with placeholders and watches every recipient turn delivered live', async () => {
    await page.getByRole('link', { name: 'Activate', exact: true }).click();
    await page.getByRole('heading', { name: 'Activate Fire on the quay' }).waitFor();
    await page.getByRole('button', { name: 'Send now' }).click();
    await expect(page.locator('[data-field="placeholders.location"] > .field-error').textContent()).resolves.toBe('is required');
    await page.getByLabel('location').fill('berth 7');
    await page.getByLabel('equipment').fill('breathing sets');
    await expect(page.locator('[data-testid="preview-0"]').textContent()).resolves.toBe('Fire at berth 7. Bring breathing sets to the muster point.');
    await shot('activate');
    await page.getByRole('button', { name: 'Send now' }).click();
    await page.waitForURL(/#\/activations\/[0-9a-f-]{36}$/);
    const delivered = page.locator('td[data-channel="sms"] [data-status="delivered"]');
    await expect.poll(() => delivered.count(), { timeout: 20_000 }).toBe(PEOPLE.length);
    for (const p of PEOPLE) await page.locator(`tr[data-recipient="${p.name}"] [data-status="delivered"]`).waitFor();
    await page.getByText('completed').first().waitFor({ timeout: 10_000 });
    await shot('activation-live');

    const activationId = page.url().split('/').pop()!;
    const a = (await acct.api.get(`/v1/activations/${activationId}`).expect(200)).body;
    expect(a).toMatchObject({ source: 'dashboard', placeholders: { location: 'berth 7', equipment: 'breathing sets' } });
  });

  it('places a softphone call that keys the code, and the activation appears in history', async () => {
    await page.getByRole('link', { name: 'Softphone' }).click();
    await page.getByRole('heading', { name: 'Softphone', level: 1 }).waitFor();
    await page.getByLabel('Line', { exact: true }).selectOption(line.id);
    await page.getByLabel('Call from (your number)').fill(PEOPLE[0]!.phone);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    const log = page.getByRole('list', { name: 'Call transcript' });
    await log.getByText('Welcome to Switchboard. Please enter your four character code.').waitFor();
    await page.getByRole('group', { name: 'Keypad' }).waitFor();
    await page.keyboard.type('RESQ');
    await log.getByText('Evacuate pier has been activated. Reaching 3 people. Goodbye.').waitFor();
    await log.getByText('You pressed 7377').waitFor();
    await shot('softphone');

    await page.getByRole('link', { name: 'History' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Evacuate pier' });
    await row.getByText('ivr').waitFor({ timeout: 10_000 });
    await shot('history');
    await row.getByRole('link', { name: 'Details' }).click();
    await expect.poll(() => page.locator('[data-status="delivered"]').count(), { timeout: 20_000 }).toBe(PEOPLE.length);
  });

  it('shows phone lines with their greeting and linked workflows', async () => {
    await page.getByRole('link', { name: 'Phone lines' }).click();
    const card = page.getByRole('listitem').filter({ hasText: '+14155550199' });
    await card.getByText('Welcome to Switchboard. Please enter your four character code.').waitFor();
    await card.getByRole('link', { name: 'Evacuate pier' }).waitFor();
    await shot('lines');
  });

  it('shows a tracking line\'s forwarding list, and the call tracking page with workflows and their log', async () => {
    const tline = (await acct.api.post('/v1/lines').send({
      phoneNumber: '+14155550198', name: 'Billboard line', provider: 'simulator', mode: 'tracking',
      settings: { tracking: { source: 'Billboard', forwardTo: ['+14155550111', '+14155550112'], ringStrategy: 'simultaneous' } },
    }).expect(201)).body;
    const wf = (await acct.api.post('/v1/tracking-workflows').send({
      name: 'Missed call text-back', trigger: 'missed', conditions: [{ type: 'source', lineIds: [tline.id] }],
      actions: [{ type: 'sms_caller', message: 'Sorry we missed you' }],
    }).expect(201)).body;
    const call = await t.rt.infra.db.query(
      `INSERT INTO calls (account_id, line_id, provider_call_id, direction, from_number, to_number, status) VALUES ($1, $2, 'CA' || md5(random()::text), 'inbound', '+14155550177', $3, 'completed') RETURNING id`,
      [acct.account.id, tline.id, tline.phoneNumber],
    );
    await t.rt.infra.db.query(
      `INSERT INTO tracking_logs (account_id, call_id, workflow_id, workflow_name, trigger, caller, line_id, source, matched, actions)
       VALUES ($1, $2, $3, 'Missed call text-back', 'missed', '+14155550177', $4, 'Billboard', true, $5)`,
      [acct.account.id, call.rows[0].id, wf.id, tline.id, JSON.stringify([{ actionId: 'sms_caller-1', type: 'sms_caller', result: 'skipped', reason: 'opted_out_sms' }])],
    );

    await page.getByRole('link', { name: 'Switchboard' }).click();
    await page.getByRole('link', { name: 'Phone lines' }).click();
    const card = page.getByRole('listitem').filter({ hasText: '+14155550198' });
    // Both numbers as list items, rung together: not the raw array text.
    await card.getByText('All at once:').waitFor();
    expect(await card.getByRole('listitem').allTextContents()).toEqual(['+14155550111', '+14155550112']);
    expect(await card.textContent()).not.toContain('+14155550111,+14155550112');

    await page.getByRole('link', { name: 'Call tracking' }).click();
    await page.getByRole('heading', { name: 'Call tracking', level: 1 }).waitFor();
    const item = page.getByRole('region', { name: 'Post-call workflows' }).getByRole('listitem').filter({ hasText: 'Missed call text-back' });
    await item.getByText('after a missed call').waitFor();
    await item.getByText('When: came in on Billboard line (+14155550198)').waitFor();
    await item.getByText('Then: text the caller').waitFor();
    const run = page.getByRole('region', { name: 'Post-call runs' }).getByRole('listitem', { name: 'Missed call text-back · +14155550177' });
    await run.waitFor();
    expect(await run.getByRole('list', { name: 'Actions' }).getByRole('listitem').allTextContents()).toEqual(['Text the caller: skipped · opted out sms']);
    await shot('tracking');
  });

  it('works at phone width, with every form control labelled', async () => {
    await page.setViewportSize({ width: 390, height: 780 });
    await page.getByRole('link', { name: 'Switchboard' }).click();
    await page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('workflows-phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Softphone' }).waitFor();
    await page.setViewportSize({ width: 1200, height: 820 });
    await page.getByRole('link', { name: 'Workflows' }).click();
    await shot('workflows');
    await page.getByRole('link', { name: 'Edit Fire on the quay' }).click();
    await page.getByRole('heading', { name: 'Edit Fire on the quay' }).waitFor();
    const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label')).map((el) => el.outerHTML));
    expect(unlabelled).toEqual([]);
    await shot('workflow-edit');
  });

  it('asks for confirmation before a large activation', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ name: `Volunteer ${i + 1}`, phone: `+1415555${String(1000 + i)}`, groups: ['Volunteers'] }));
    await acct.api.post('/v1/groups').send({ name: 'Volunteers' }).expect(201);
    const imported = await acct.api.post('/v1/contacts/import').send(rows);
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    const vols = (await acct.api.get('/v1/groups?limit=50').expect(200)).body.data.find((g: { name: string }) => g.name === 'Volunteers');
    const wf = (await acct.api.post('/v1/workflows').send({
      name: 'Call-out', actions: [{ type: 'notification', groupIds: [vols.id], message: 'All volunteers to the station.', channels: ['sms'] }],
    }).expect(201)).body;
    // 32 members: one off duty and one do-not-contact are not reached, so the count is exact: 30.
    for (const [i, patch] of [[31, { onDuty: false }], [32, { doNotContact: true }]] as const) {
      const c = (await acct.api.post('/v1/contacts').send({ name: `Volunteer ${i}`, phone: `+1415555${1000 + i - 1}` }).expect(201)).body;
      await acct.api.post(`/v1/groups/${vols.id}/members`).send({ contactIds: [c.id] }).expect(200);
      await acct.api.patch(`/v1/contacts/${c.id}`).send(patch).expect(200);
    }
    expect((await acct.api.get(`/v1/workflows/${wf.id}/audience`).expect(200)).body).toEqual({ people: 30, actions: [{ actionId: wf.actions[0].id, people: 30 }] });
    await page.goto(`${base}/#/workflows/${wf.id}/activate`);
    await page.getByText('Reaches 30 people now').waitFor();
    await page.getByRole('button', { name: 'Send now' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Confirm a large activation' });
    await dialog.waitFor();
    await shot('activate-confirm');
    await dialog.getByRole('button', { name: 'Go back' }).click();
    expect((await acct.api.get(`/v1/activations?workflowId=${wf.id}`).expect(200)).body.data).toHaveLength(0);
    await page.getByRole('button', { name: 'Send now' }).click();
    await dialog.getByRole('button', { name: 'Yes, notify 30 people' }).click();
    await page.waitForURL(/#\/activations\//);
    await expect.poll(() => page.locator('[data-status="delivered"]').count(), { timeout: 20_000 }).toBe(30);
    await expect.poll(() => page.locator('[data-status="skipped"]').count()).toBe(1); // the do-not-contact volunteer, recorded
    expect((await acct.api.get(`/v1/activations?workflowId=${wf.id}`).expect(200)).body.data).toHaveLength(1);
  });

  it('round-trips every field of every action type and a schedule through the editor unchanged', async () => {
    const groups = (await acct.api.get('/v1/groups?limit=50').expect(200)).body.data;
    const g = groups.find((x: { name: string }) => x.name === 'Fire team').id;
    const def = {
      name: 'Everything', description: 'All action types',
      schedule: { type: 'monthly', time: '07:30', months: [1, 4, 7, 10], weekday: { ordinal: 'last', day: 'fri' }, timezone: 'Europe/Lisbon' },
      actions: [
        { type: 'notification', name: 'Tell the team', groupIds: [g], includeOffDuty: true, subject: 'Drill', message: 'Quarterly drill at [[place]].', channels: ['sms', 'email', 'voice'],
          prompt: { text: 'Write one safety tip.', appendToMessage: false }, poll: { question: 'Can you come?', options: ['Yes', 'No', 'Late'], durationMinutes: 90 } },
        { type: 'conference', name: 'Bridge', groupIds: [g], includeOffDuty: false, lineId: line.id, intro: 'Drill bridge for [[place]].', retryWithOffDuty: true },
        { type: 'pager', groupIds: [g], includeOffDuty: false, lineId: line.id, message: '911ww#' },
        { type: 'webhook', name: 'Log it', method: 'POST', url: 'https://hooks.example.com/drill', authorization: 'Bearer s3cret', body: '{"place":"[[place]]"}' },
      ],
    };
    const created = (await acct.api.post('/v1/workflows').send(def).expect(201)).body;
    await page.goto(`${base}/#/workflows/${created.id}`);
    await page.getByRole('heading', { name: 'Edit Everything' }).waitFor();
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Saved “Everything” (version 2).').waitFor();
    const after = (await acct.api.get(`/v1/workflows/${created.id}`).expect(200)).body;
    const strip = (w: Record<string, unknown>) => ({ ...w, version: 0, updatedAt: 0 });
    expect(strip(after)).toEqual(strip(created));
    expect(after.actions[3].authorizationSet).toBe(true);
  });

  it('does not overwrite a version someone else saved while the editor was open, and says so', async () => {
    const groups = (await acct.api.get('/v1/groups?limit=50').expect(200)).body.data;
    const g = groups.find((x: { name: string }) => x.name === 'Fire team').id;
    const body = (message: string) => ({ name: 'Shift change', actions: [{ type: 'notification', groupIds: [g], message, channels: ['sms'] }] });
    const created = (await acct.api.post('/v1/workflows').send(body('Shift starts at 7.')).expect(201)).body;
    await page.goto(`${base}/#/workflows/${created.id}`);
    await page.getByRole('heading', { name: 'Edit Shift change' }).waitFor();
    // Another dispatcher saves version 2 meanwhile.
    await acct.api.put(`/v1/workflows/${created.id}`).send({ ...body('Shift starts at 8.'), actions: [{ ...body('Shift starts at 8.').actions[0], id: created.actions[0].id }] }).expect(200);
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Someone saved version 2 of this workflow while you were editing, so your changes were not saved.', { exact: false }).waitFor();
    const after = (await acct.api.get(`/v1/workflows/${created.id}`).expect(200)).body;
    expect(after).toMatchObject({ version: 2, actions: [{ message: 'Shift starts at 8.' }] });
  });

  it('raised no script errors or content-security-policy violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
