/**
 * The setup the dashboard browser tests share: a runtime on a free port of 127.0.0.1 (PUBLIC_URL
 * naming it), headless Chromium with one page whose script errors are collected, an account with a
 * dashboard user signed in through the sign-in page, and a screenshot helper (docs/screenshots/
 * only with UPDATE_SCREENSHOTS=1). The pieces are exported for tests that need only some of them.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Config } from '../../src/config.js';
import type { Roles } from '../../src/main.js';
import { freePort, launchChromium } from './browser.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from './runtime.js';

export type Overrides = Partial<Record<keyof Config, string>>;
export type Chrome = Awaited<ReturnType<typeof launchChromium>>;
export type TestAccount = Awaited<ReturnType<typeof createTestAccount>>;

const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
// 4xx answers are expected (validation, sign-in): the browser logs each as a failed resource load.
const RESOURCE_4XX = /Failed to load resource: the server responded with a status of 4\d\d/;

export type PageWatch = {
  /** page.setDefaultTimeout in ms; Playwright's own default when absent. */
  timeout?: number;
  /**
   * Console errors count as page errors (the default), except failed 4xx resource loads and, given
   * a RegExp, messages it matches. false: only uncaught script errors count.
   */
  console?: boolean | RegExp;
  /** Accepts every confirm() / alert() the page opens. */
  acceptDialogs?: boolean;
};

/** Sets `page` up as `watch` says; its script errors (and console errors) go into `pageErrors`. */
export const watchPage = (page: Page, pageErrors: string[], watch: PageWatch = {}): void => {
  if (watch.timeout !== undefined) page.setDefaultTimeout(watch.timeout);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (watch.console !== false) {
    const extra = watch.console instanceof RegExp ? watch.console : null;
    page.on('console', (m) => {
      if (m.type() === 'error' && !RESOURCE_4XX.test(m.text()) && !extra?.test(m.text())) pageErrors.push(m.text());
    });
  }
  if (watch.acceptDialogs) page.on('dialog', (d) => void d.accept());
};

export type PageOptions = PageWatch & {
  viewport?: { width: number; height: number };
  /** Browser permissions granted to an origin before the page opens (e.g. ['notifications']). */
  permissions?: { origin: string; names: string[] };
};

/** Headless Chromium with one watched page. */
export const openPage = async (opts: PageOptions = {}): Promise<{ chrome: Chrome; page: Page; pageErrors: string[] }> => {
  const chrome = await launchChromium(opts.viewport ? { viewport: opts.viewport } : {});
  if (opts.permissions) await chrome.context.grantPermissions(opts.permissions.names, { origin: opts.permissions.origin });
  const page = await chrome.context.newPage();
  const pageErrors: string[] = [];
  watchPage(page, pageErrors, opts);
  return { chrome, page, pageErrors };
};

/** What shows once an admin is signed in: the Workflows page. */
export const workflowsShown = (page: Page) => page.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();

/** Signs in through the sign-in page at `base`, then waits for `ready` (default: the Workflows heading). */
export const signIn = async (page: Page, base: string, email: string, password: string, ready: (page: Page) => Promise<unknown> = workflowsShown): Promise<void> => {
  await page.goto(base);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await ready(page);
};

export type ShotOptions = {
  /** Without UPDATE_SCREENSHOTS=1 the file is /tmp/sb-<prefix><name>.png; null: taken, not written. */
  prefix: string | null;
  fullPage?: boolean;
};

/** `shot(name)`: a screenshot of `page` to docs/screenshots/<name>.png with UPDATE_SCREENSHOTS=1, else as `opts` says. */
export const screenshots = (page: Page, opts: ShotOptions) => {
  if (UPDATE) mkdirSync(SHOTS, { recursive: true });
  const full = opts.fullPage ? { fullPage: true } : {};
  return (name: string) => page.screenshot(UPDATE ? { path: path.join(SHOTS, `${name}.png`), ...full }
    : opts.prefix === null ? full : { path: `/tmp/sb-${opts.prefix}${name}.png`, ...full });
};

type Started = { t: TestRuntime; close(): Promise<void> };

export type DashboardUser = { email: string; name: string; password: string; role?: 'admin' | 'member' };

export type DashboardOptions<R extends Started> = Omit<PageOptions, 'permissions'> & {
  /** Browser permissions granted to the dashboard's origin before the page opens (e.g. ['notifications']). */
  permissions?: string[];
  /** Config beyond PORT and PUBLIC_URL (set to the free port). */
  overrides?: Overrides;
  /** startTestRuntime's roles (its default: web and worker). */
  roles?: Roles;
  /** Starts the runtime another way (e.g. startRuntimeWithCarrier); it must listen on `overrides.PORT`. */
  start?: (overrides: Overrides) => Promise<R>;
  accountName?: string;
  /** The dashboard user to create (role admin unless said) and sign in as; none when absent. */
  user?: DashboardUser;
  /** Fixtures to add before the browser opens and the user signs in (`userId`: the user's, when created). */
  seed?: (s: { env: R; t: TestRuntime; base: string; acct: TestAccount; userId?: string }) => Promise<void>;
  /** false: create the user but leave the page blank (the test signs in itself). */
  signIn?: boolean;
  /** What shows once signed in (default: the Workflows heading). */
  ready?: (page: Page) => Promise<unknown>;
  /** How `shot` names its files (default prefix ''). */
  shots?: ShotOptions;
};

export type DashboardSession<R extends Started = Started> = {
  env: R;
  t: TestRuntime;
  base: string;
  chrome: Chrome;
  page: Page;
  acct: TestAccount;
  pageErrors: string[];
  shot: (name: string) => Promise<Buffer>;
  /** Closes the browser, then the runtime. */
  close(): Promise<void>;
};

/**
 * A runtime on a free port, an account (with `user`, and what `seed` adds), and a page signed in as
 * `user`. Use in beforeAll; call `close()` in afterAll.
 */
export const openDashboard = async <R extends Started = Started>(opts: DashboardOptions<R> = {}): Promise<DashboardSession<R>> => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const overrides: Overrides = { PORT: String(port), PUBLIC_URL: base, ...opts.overrides };
  const start = opts.start ?? (async (o: Overrides) => {
    const t = await startTestRuntime(o, opts.roles);
    await t.rt.listen();
    return { t, close: () => t.close() } as Started as R;
  });
  const env = await start(overrides);
  let chrome: Chrome | undefined;
  const close = async () => {
    await chrome?.close();
    await env.close();
  };
  try {
    const acct = await createTestAccount(env.t, opts.accountName);
    let userId: string | undefined;
    if (opts.user) {
      const { email, name, password, role = 'admin' } = opts.user;
      userId = (await acct.api.post('/v1/users').send({ email, name, password, role }).expect(201)).body.id;
    }
    await opts.seed?.({ env, t: env.t, base, acct, userId });
    const opened = await openPage({ ...opts, permissions: opts.permissions && { origin: base, names: opts.permissions } });
    chrome = opened.chrome;
    const { page, pageErrors } = opened;
    if (opts.user && opts.signIn !== false) await signIn(page, base, opts.user.email, opts.user.password, opts.ready);
    return { env, t: env.t, base, chrome, page, acct, pageErrors, shot: screenshots(page, opts.shots ?? { prefix: '' }), close };
  } catch (err) {
    // A setup that fails half-way leaves nothing running: afterAll has no session to close.
    await close().catch(() => undefined);
    throw err;
  }
};
