/**
 * Linking a dashboard user to a contact on the Users page (PUT /v1/users/:id/contact), in headless
 * Chromium driven by labels and roles: the responder view tells an unlinked member to ask an admin;
 * the admin searches the contact, links it (a contact already linked to another user is refused
 * beside the field), the member's My alerts then shows their alerts; unlinking sends null. At 390 px
 * with axe (screenshot in /tmp, docs/screenshots with UPDATE_SCREENSHOTS=1).
 */
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { freePort, launchChromium } from '../helpers/browser.js';
import { signIn as signInAt, watchPage } from '../helpers/dashboard-session.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const ADMIN = { email: 'admin@riverside.test', password: 'riverside-admin-2026' };
const MEMBER = { email: 'sam@riverside.test', password: 'riverside-sam-2026' };

describe('linking a dashboard user to a contact', { timeout: 90_000 }, () => {
  let t: TestRuntime;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let other: Awaited<ReturnType<typeof launchChromium>>;
  let admin: Page;
  let member: Page;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let base: string;
  let samId: string;
  let adminId: string;
  const contact: Record<string, string> = {};
  const pageErrors: string[] = [];

  const signIn = async (ctx: BrowserContext, who: { email: string; password: string }) => {
    const page = await ctx.newPage();
    watchPage(page, pageErrors, { timeout: 8000, console: false });
    await signInAt(page, base, who.email, who.password, (p) => p.getByRole('button', { name: 'Sign out' }).waitFor());
    return page;
  };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestRuntime({ PORT: String(port), PUBLIC_URL: base }, { web: true, worker: false });
    await t.rt.listen();
    acct = await createTestAccount(t, 'Riverside Clinic');
    for (const [name, phone] of [['Sam Rivera', '+13125550301'], ['Sam Okafor', '+13125550302'], ['Lee Chen', '+13125550303']]) {
      contact[name!] = (await acct.api.post('/v1/contacts').send({ name, phone }).expect(201)).body.id;
    }
    adminId = (await acct.api.post('/v1/users').send({ ...ADMIN, name: 'Ada Admin', role: 'admin' }).expect(201)).body.id;
    samId = (await acct.api.post('/v1/users').send({ ...MEMBER, name: 'Sam Rivera', role: 'member' }).expect(201)).body.id;
    // Lee Chen is already the admin's own contact.
    await acct.api.put(`/v1/users/${adminId}/contact`).send({ contactId: contact['Lee Chen'] }).expect(200);
    chrome = await launchChromium({ viewport: { width: 1200, height: 860 } });
    admin = await signIn(chrome.context, ADMIN);
    // A second browser profile, so the member's session cookie does not replace the admin's.
    other = await launchChromium({ viewport: { width: 390, height: 844 } });
    member = await signIn(other.context, MEMBER);
  }, 90_000);
  afterAll(async () => {
    await other?.close();
    await chrome?.close();
    await t?.close();
  });

  it('My alerts tells an unlinked member to ask an admin', async () => {
    await member.goto(`${base}/#/responder`);
    await member.getByText('Ask an admin to link you to your contact (Users page, Link contact).', { exact: false }).waitFor();
    expect(await seriousA11yViolations(member)).toEqual([]);
  });

  it('the admin finds and links the contact; one already linked to another user is refused beside the field', async () => {
    await admin.goto(`${base}/#/users`);
    const sam = admin.getByRole('listitem', { name: /^Sam Rivera/ });
    await sam.getByText('not linked to a contact').waitFor();
    expect((await acct.api.get(`/v1/users/${samId}`).expect(200)).body.contactId).toBeNull();
    await sam.getByRole('button', { name: 'Link contact to Sam Rivera' }).click();
    const form = sam.getByRole('form', { name: 'Contact of Sam Rivera' });
    // Searching asks the server: only the matching contacts are offered.
    await form.getByLabel('Find a contact').fill('Lee');
    await admin.waitForFunction(() => Array.from(document.querySelectorAll('select[size] option'), (o) => o.textContent).join('|') === 'Lee Chen · +13125550303');
    await form.getByRole('listbox', { name: 'Contact', exact: true }).selectOption({ label: 'Lee Chen · +13125550303' });
    await form.getByRole('button', { name: 'Link contact' }).click();
    const err = form.locator('[data-field="contactId"] .field-error');
    await err.filter({ hasText: 'this contact is already linked to another user' }).waitFor();
    expect(await form.getByRole('listbox', { name: 'Contact', exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect((await acct.api.get(`/v1/users/${samId}`).expect(200)).body.contactId).toBeNull();

    await form.getByLabel('Find a contact').fill('Sam');
    await admin.waitForFunction(() => document.querySelectorAll('select[size] option').length === 2);
    await form.getByRole('listbox', { name: 'Contact', exact: true }).selectOption({ label: 'Sam Rivera · +13125550301' });
    await form.getByRole('button', { name: 'Link contact' }).click();
    await sam.getByText('Alerts in My alerts: Sam Rivera · +13125550301').waitFor();
    expect((await acct.api.get(`/v1/users/${samId}`).expect(200)).body.contactId).toBe(contact['Sam Rivera']);
    expect(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Change contact of Sam Rivera');

    await admin.setViewportSize({ width: 390, height: 844 });
    await sam.getByRole('button', { name: 'Change contact of Sam Rivera' }).click();
    await sam.getByRole('form', { name: 'Contact of Sam Rivera' }).waitFor();
    expect(await seriousA11yViolations(admin)).toEqual([]);
    expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await admin.screenshot({ path: UPDATE ? path.join(SHOTS, 'users-contact-phone.png') : '/tmp/sb-users-contact-phone.png', fullPage: true });
  });

  it('the member now sees their alerts view; unlinking by keyboard sends null', async () => {
    await member.reload();
    await member.getByRole('heading', { name: 'Alerts sent to me', level: 2 }).waitFor();
    await member.getByText('No alerts yet.').waitFor();

    const unlink = admin.getByRole('form', { name: 'Contact of Sam Rivera' }).getByRole('button', { name: 'Unlink' });
    await unlink.focus();
    await admin.keyboard.press('Enter');
    await admin.getByRole('listitem', { name: /^Sam Rivera/ }).getByText('not linked to a contact').waitFor();
    expect((await acct.api.get(`/v1/users/${samId}`).expect(200)).body.contactId).toBeNull();
    await member.reload();
    await member.getByText('Ask an admin to link you', { exact: false }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
