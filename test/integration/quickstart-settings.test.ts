/**
 * The quick start as a newcomer uses it (issue 19): the settings `npm start` writes under .data
 * make the README's `npx switchboard …` commands work without exporting anything, and the demo
 * workflow's e-mails reach the built-in mail catcher instead of failing "e-mail is not configured".
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchChromium } from '../helpers/browser.js';
import { eventually } from '../helpers/eventually.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { createTestDatabase } from '../helpers/test-db.js';

const root = path.resolve(import.meta.dirname, '../..');

/** A documented command, run as typed in the project folder: only PATH, HOME and the data folder. */
const npx = (dataDir: string, args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('npx', ['switchboard', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SB_DATA: dataDir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

const readSettings = (file: string): Record<string, string> =>
  Object.fromEntries(readFileSync(file, 'utf8').split('\n').map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));

describe('quick start settings (.data) and the mail catcher', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let settings: Record<string, string>;
  let t: TestRuntime;
  let base: string;
  let demoPassword: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sb-quickstart-'));
    // The quick start's own bootstrap, on this test's database (no install, no local servers).
    const file = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['scripts/quickstart.sh', 'settings'], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SB_DATA: dataDir, SB_SKIP_INSTALL: '1', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL! },
      }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())));
    });
    expect(file).toBe(path.join(dataDir, 'switchboard.env'));
    expect(statSync(file).mode & 0o077).toBe(0);
    settings = readSettings(file);
    expect(settings).toMatchObject({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, SMTP_URL: 'catcher', PUBLIC_URL: 'http://localhost:3000' });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('README commands work as written: npx switchboard migrate / demo / accounts create / users create', async () => {
    const migrated = await npx(dataDir, ['migrate']);
    expect(migrated.stderr).not.toMatch(/invalid configuration/);
    expect(migrated.code).toBe(0);
    const demo = await npx(dataDir, ['demo']);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/Demo account created/);
    demoPassword = /demo@switchboard\.local \/ (\S+)/.exec(demo.stdout)![1]!;

    const acme = await npx(dataDir, ['accounts', 'create', '--name', 'Acme', '--owner-email', 'ops@acme.test']);
    expect(acme.code).toBe(0);
    const [, accountId, key] = /account (\S+) \(Acme\)\nAPI key \(shown once\): (sb_\S+)/.exec(acme.stdout) ?? [];
    expect(key).toBeDefined();
    const admin = await npx(dataDir, ['users', 'create', '--account', accountId!, '--email', 'ops@acme.test']);
    expect(admin.code).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(admin.stdout)?.[1];
    expect(admin.stdout).toContain('sign in at http://localhost:3000/');

    // The same settings run the gateway (on a free port): the key and the dashboard password work there.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestRuntime(
      { REDIS_URL: settings.REDIS_URL!, SMTP_URL: settings.SMTP_URL!, SECRET_KEY: readFileSync(path.join(dataDir, 'secret-key'), 'utf8').trim(), PORT: String(port), PUBLIC_URL: base },
      { web: true, worker: true },
      { databaseUrl: settings.DATABASE_URL! },
    );
    expect((await t.http().get('/v1/account').set('authorization', `Bearer ${key}`).expect(200)).body).toMatchObject({ name: 'Acme' });
    expect((await t.rt.services.users.verifyLogin('ops@acme.test', password!)).role).toBe('admin');
    await t.rt.listen();
  }, 120_000);

  it('activating the demo workflow "Site alert" e-mails its recipients through the mail catcher, shown by the API', async () => {
    const accountId = (await t.rt.infra.db.query(`SELECT id FROM accounts WHERE settings @> '{"demo": true}'`)).rows[0].id as string;
    const { key } = await t.rt.services.accounts.createKey(accountId, 'test');
    const api = (m: 'get' | 'post', url: string) => t.http()[m](url).set('authorization', `Bearer ${key}`);
    const site = (await api('get', '/v1/workflows').expect(200)).body.data.find((w: { name: string }) => w.name === 'Site alert');
    const activation = (await api('post', `/v1/workflows/${site.id}/activations`).send({ placeholders: { site: 'Depot 4', details: 'Gas leak — évacuez' } }).expect(201)).body;

    const emails = await eventually(async () => {
      const d = (await api('get', `/v1/activations/${activation.id}`).expect(200)).body;
      const mail = d.recipients.flatMap((r: { name: string; deliveries: Array<{ channel: string; status: string }> }) =>
        r.deliveries.filter((x) => x.channel === 'email').map((x) => ({ name: r.name, ...x })));
      return mail.length === 3 && mail.every((x: { status: string }) => !['queued', 'sending', 'pending'].includes(x.status)) ? mail : null;
    }, 'the three e-mail deliveries to finish', 30_000);
    expect(emails.map((m: { name: string; status: string; errorCode?: string | null }) => [m.name, m.status, m.errorCode ?? null]).sort()).toEqual([
      ['Alex Rivera', 'sent', null], ['Jordan Patel', 'sent', null], ['Sam Chen', 'sent', null],
    ]);

    const caught = (await api('get', '/v1/simulator/emails').expect(200)).body;
    expect(caught.catcher).toBe(true);
    expect(caught.data.map((m: { to: string[] }) => m.to[0]).sort()).toEqual(['alex@demo.switchboard.local', 'jordan@demo.switchboard.local', 'sam@demo.switchboard.local']);
    for (const m of caught.data) {
      expect(m).toMatchObject({ subject: 'Alert at Depot 4', text: 'Alert at Depot 4: Gas leak — évacuez', activationId: activation.id, from: 'switchboard@localhost' });
    }
    const sam = (await api('get', '/v1/simulator/emails?to=SAM%40demo.switchboard.local').expect(200)).body.data;
    expect(sam).toHaveLength(1);
    // Another account sees none of them.
    expect((await t.http().get('/v1/simulator/emails').set('authorization', `Bearer ${(await t.rt.services.accounts.createAccount({ name: 'other' })).key}`).expect(200)).body.data).toEqual([]);
  }, 60_000);

  it('the dashboard Outbox page shows the caught e-mails (phone width)', async () => {
    const chrome = await launchChromium({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    try {
      const page = await chrome.context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      // The 401 of /auth/me before signing in is expected; any other console error is not.
      page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });
      await page.goto(`${base}/#/outbox`);
      await page.getByLabel('E-mail').fill('demo@switchboard.local');
      await page.getByLabel('Password').fill(demoPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor();
      const mails = page.getByRole('article');
      await mails.first().waitFor();
      expect(await mails.count()).toBe(3);
      await page.getByRole('article', { name: 'E-mail to sam@demo.switchboard.local: Alert at Depot 4' }).getByText('Alert at Depot 4: Gas leak — évacuez').waitFor();
      await page.getByRole('heading', { name: 'Texts and calls', level: 2 }).waitFor();
      expect(await page.getByRole('cell', { name: 'Alert at Depot 4: Gas leak — évacuez' }).count()).toBe(3);
      if (process.env.OUTBOX_SHOT) await page.screenshot({ path: process.env.OUTBOX_SHOT, fullPage: true });
    } finally {
      await chrome.close();
    }
    expect(errors).toEqual([]);
  }, 60_000);
});
