/**
 * Every dashboard page, in headless Chromium, at phone width (390×844) and at desktop width
 * (1280×860), signed in as an admin of an account seeded with one object of every kind (so detail
 * pages show real content). The route table is read from web/js/app.js, so a page added there is
 * swept without touching this file; a route this file cannot fill an id for fails the run. For each
 * page: no serious or critical axe-core violation, no horizontal overflow, no console error or page
 * error, and the keyboard path a sighted keyboard user takes: Tab reaches the skip link (visible
 * when focused), Enter moves focus to the main content without leaving the page, the next Tab
 * reaches the main content's first interactive control, and every focused element shows a focus
 * ring. Problems are collected per page and asserted at the end, so one run names them all.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, type Seeded } from '../fuzz/seed-account.js';
import { seriousA11yViolations } from '../helpers/axe.js';
import { freePort, launchChromium } from '../helpers/browser.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const WEB = path.resolve(import.meta.dirname, '../../web');
const PASSWORD = 'sweep-every-page-2026';
/** SWEEP_SHOTS=<dir>: a full-page screenshot of every page at both widths, to look at. */
const SHOTS = process.env.SWEEP_SHOTS;
const VIEWPORTS = [{ width: 390, height: 844 }, { width: 1280, height: 860 }] as const;

/** The SPA's routes, read from the router's table: `[/^#\/rules\/([\w-]+)\/logs$/, 'rule-logs']`. */
const ROUTES = [...readFileSync(path.join(WEB, 'js/app.js'), 'utf8').matchAll(/\[\/(\^#[^\n]*?\$)\/, '([\w-]+)'\]/g)]
  .map(([, source, page]) => ({ source: source!, page: page!, re: new RegExp(source!) }));

/** A route's regex as a hash to open: `([\w-]+)` becomes the seeded id of that collection's object. */
const hashFor = (source: string, fixtures: Record<string, string>): string => {
  const pattern = source.replace(/^\^/, '').replace(/\$$/, '').replace(/\\\/\?$/, '').replace(/\\\//g, '/');
  return pattern.replace(/([\w-]+)\/\(\[\\w-\]\+\)/g, (_m, collection: string) => {
    const id = fixtures[collection];
    if (!id) throw new Error(`no fixture for #/${collection}/:id (route ${source}): add one to the sweep's fixtures`);
    return `${collection}/${id}`;
  });
};

type Problem = { hash: string; width: number; what: string };

describe('dashboard accessibility sweep: every route at 390 px and 1280 px', { timeout: 120_000 }, () => {
  let t: TestRuntime;
  let base: string;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let seeded: Seeded;
  const fixtures: Record<string, string> = {};
  const errors: string[] = [];
  const visited = new Set<string>();
  let signedOut = true;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestRuntime({ PORT: String(port), PUBLIC_URL: base, TWILIO_API_URL: 'http://127.0.0.1:9' });
    await t.rt.listen();
    const acct = await createTestAccount(t, 'Sweep Harbour');
    seeded = await seedAccount(t, acct);
    const user = (await acct.api.post('/v1/users').send({ email: 'sweep@harbour.test', name: 'Sam Sweep', password: PASSWORD, role: 'admin' }).expect(201)).body;
    // The seeded contact got the seeded activation's text: as that contact, "My alerts" lists it.
    await acct.api.put(`/v1/users/${user.id}/contact`).send({ contactId: seeded.ids.contact }).expect(200);
    const template = (await acct.api.post('/v1/sequence-templates').send({
      name: 'Quote chaser', description: 'Ours', steps: [{ id: 'ask', type: 'send', send: { channel: 'sms', message: 'Any news on the quote?' } }],
    }).expect(201)).body;
    await acct.api.post('/v1/prompts').send({ name: 'Summary', text: 'Summarise the call in one line' }).expect(201);
    Object.assign(fixtures, {
      workflows: seeded.ids.workflow, activations: seeded.ids.activation, tracking: seeded.ids.trackingWorkflow,
      rules: seeded.ids.rule, sequences: seeded.ids.sequence, 'sequence-templates': template.key ?? template.id,
      contacts: seeded.ids.contact,
    });

    chrome = await launchChromium({ viewport: VIEWPORTS[0] });
    page = await chrome.context.newPage();
    page.setDefaultTimeout(8000);
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Signed out, the app's session probe (GET /auth/me) answers 401: that is how it learns to show the sign-in page.
      const probe = signedOut && /status of 401/.test(m.text()) && m.location().url.endsWith('/auth/me');
      if (m.type() === 'error' && !probe) errors.push(`console: ${m.text()} ${m.location().url}`);
    });
  }, 90_000);

  afterAll(async () => {
    await chrome?.close();
    await t?.close();
  });

  /** Waits until the page has rendered: the previous page's marker is gone, an h1 is there, no "Loading…", and main is quiet. */
  const settled = async () => {
    await page.waitForFunction(() => !document.getElementById('sweep-marker') && document.querySelector('#main h1')
      && !Array.from(document.querySelectorAll('#main [role=status]')).some((e) => /Loading…$/.test(e.textContent ?? '')));
    await page.evaluate(() => new Promise<void>((resolve) => {
      let timer = setTimeout(done, 250);
      const obs = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, 250); });
      const cap = setTimeout(done, 3000);
      function done() { obs.disconnect(); clearTimeout(cap); resolve(); }
      obs.observe(document.getElementById('main')!, { subtree: true, childList: true, attributes: true, characterData: true });
    }));
  };

  /** Opens `hash` inside the running app, as a link would (the app's own router renders it). */
  const open = async (hash: string) => {
    await page.evaluate((h) => {
      const m = document.createElement('span');
      m.id = 'sweep-marker';
      document.getElementById('main')!.append(m);
      // Already there (the sign-in lands on #/workflows): the router renders again on hashchange.
      if (location.hash === h) dispatchEvent(new HashChangeEvent('hashchange'));
      else location.hash = h;
    }, hash);
    await settled();
  };

  /** Describes the focused element and whether it shows a focus indicator. */
  const focused = () => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { desc: 'body', ring: false, inMain: false, id: '', sweepFirst: false, radio: '' };
    const cs = getComputedStyle(el);
    const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
    const desc = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40)}"`;
    const radio = el instanceof HTMLInputElement && el.type === 'radio' ? el.name : '';
    return { desc, ring, inMain: !!el.closest('#main'), id: el.id, sweepFirst: el.hasAttribute('data-sweep-first'), radio };
  });

  /** Marks the first control in main a Tab should reach; returns its description, or null if the page has none. */
  const markFirstControl = () => page.evaluate(() => {
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
    const first = Array.from(document.querySelectorAll<HTMLElement>(`#main ${sel.split(', ').join(', #main ')}`)).find((el) =>
      el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.getClientRects().length > 0
      && getComputedStyle(el).visibility !== 'hidden' && !el.closest('[inert], [hidden]'));
    if (!first) return null;
    first.setAttribute('data-sweep-first', '');
    return first instanceof HTMLInputElement && first.type === 'radio' ? `radio:${first.name}` : first.tagName;
  });

  /** The keyboard path from the top of the page: skip link, into main, first control. */
  const keyboard = async (hash: string, problem: (what: string) => void) => {
    const first = await markFirstControl();
    // The top of the page, as after a fresh load: the next Tab goes to the first focusable element.
    await page.evaluate(() => { document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex'); window.scrollTo(0, 0); });
    await page.keyboard.press('Tab');
    let f = await focused();
    const skip = await page.evaluate(() => {
      const el = document.activeElement;
      const r = el?.getBoundingClientRect();
      return { isSkip: !!el?.matches('a.skip'), onScreen: !!r && r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.width > 0 };
    });
    if (!skip.isSkip) problem(`keyboard: first Tab reaches ${f.desc}, not the skip link`);
    else {
      if (!skip.onScreen) problem('keyboard: the focused skip link is not on screen');
      if (!f.ring) problem('keyboard: the focused skip link shows no focus ring');
      // A hash link (#main) would go through the hash router: count route changes while it is followed.
      await page.evaluate(() => {
        const w = window as unknown as { sweepHashes: string[] };
        w.sweepHashes = [];
        addEventListener('hashchange', () => w.sweepHashes.push(location.hash), { once: true });
      });
      await page.keyboard.press('Enter');
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30))));
      const hashes = await page.evaluate(() => (window as unknown as { sweepHashes: string[] }).sweepHashes);
      f = await focused();
      if (hashes.length) {
        problem(`keyboard: the skip link changes the route to ${hashes.join(', ')}`);
        await page.goto(`${base}/${hash}`);
        await settled();
        await markFirstControl();
        f = await focused();
      } else if (f.id !== 'main' && !f.inMain) problem(`keyboard: the skip link moves focus to ${f.desc}, not to the main content`);
    }
    if (!first) return;
    if (!(skip.isSkip && (f.id === 'main' || f.inMain))) await page.focus('#main h1');
    await page.keyboard.press('Tab');
    // Marked again: a live page (an activation's progress) may have drawn its rows anew since the
    // first mark, and Tab then reaches the new first control, a copy without the mark.
    await markFirstControl();
    f = await focused();
    const reached = f.sweepFirst || (first.startsWith('radio:') && f.radio === first.slice(6));
    if (!reached) problem(`keyboard: Tab from the main content reaches ${f.desc}, not its first control`);
    else if (!f.ring) problem(`keyboard: the focused ${f.desc} shows no focus ring`);
  };

  const check = async (hash: string, width: number, problems: Problem[]) => {
    const problem = (what: string) => problems.push({ hash, width, what });
    for (const v of await seriousA11yViolations(page)) problem(`axe ${v.id} (${v.impact}): ${v.help} — ${v.targets.slice(0, 4).join(' | ')}`);
    const overflow = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: innerWidth }));
    if (overflow.scroll > overflow.inner) problem(`overflow: scrollWidth ${overflow.scroll} > ${overflow.inner}`);
    // Nor a box inside it that only shows its content by scrolling sideways (a table wider than a phone).
    const sideways = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#main *'))
      .filter((el) => /auto|scroll/.test(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${el.scrollWidth}>${el.clientWidth}`));
    if (sideways.length) problem(`scrolls sideways: ${sideways.join(', ')}`);
    // A flex-basis meant for a row becomes a height once the row turns into a column at phone width: a blank gap.
    const tall = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#main *')).filter((el) => {
      const parent = el.parentElement ? getComputedStyle(el.parentElement) : null;
      return !!parent && parent.display.endsWith('flex') && parent.flexDirection.startsWith('column') && /^[1-9][\d.]*px$/.test(getComputedStyle(el).flexBasis);
    }).map((el) => `${el.tagName.toLowerCase()}.${el.className} flex-basis ${getComputedStyle(el).flexBasis}`));
    if (tall.length) problem(`flex-basis as height in a column: ${tall.join(', ')}`);
    await keyboard(hash, problem);
    const alerts = await page.locator('#main [role=alert]').allTextContents();
    if (alerts.length) problem(`shows an error instead of its content: ${alerts.join(' | ').slice(0, 200)}`);
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${width}-${hash.replace(/[^\w-]+/g, '_')}.png`), fullPage: true });
    for (const e of errors.splice(0)) problem(e);
  };

  it('the signed-out sign-in page, at both widths', async () => {
    const problems: Problem[] = [];
    for (const vp of VIEWPORTS) {
      await page.setViewportSize(vp);
      await page.goto(`${base}/#/login`);
      await settled();
      await check('#/login', vp.width, problems);
    }
    visited.add('#/login');
    expect(problems).toEqual([]);
  });

  it('every signed-in route, at both widths', async () => {
    // Signed in already when this test is retried.
    if (!(await page.getByRole('navigation', { name: 'Main' }).isVisible())) {
      await page.getByLabel('E-mail').fill('sweep@harbour.test');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).waitFor();
    signedOut = false;
    errors.splice(0);
    const hashes = ROUTES.filter((r) => r.page !== 'login').map((r) => {
      const hash = hashFor(r.source, fixtures);
      // The first route that matches is the one the router renders: a hash that lands elsewhere tests the wrong page.
      const hit = ROUTES.find((x) => x.re.test(hash));
      if (hit !== r) throw new Error(`${hash} (made for ${r.source}) is rendered by ${hit?.source ?? 'no route'}`);
      return hash;
    });
    const problems: Problem[] = [];
    for (const vp of VIEWPORTS) {
      await page.setViewportSize(vp);
      for (const hash of hashes) {
        try {
          await open(hash);
          await check(hash, vp.width, problems);
          visited.add(hash);
        } catch (err) {
          // One broken page is reported with the others; the next one starts from a fresh load.
          problems.push({ hash, width: vp.width, what: `did not render or check: ${(err as Error).message.split('\n')[0]}` });
          await page.goto(`${base}/#/workflows`);
          await settled();
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('at phone width the menu opens from the keyboard and its links take focus visibly', async () => {
    await page.setViewportSize(VIEWPORTS[0]);
    await open('#/workflows');
    const toggle = page.getByRole('button', { name: 'Menu' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Tab');
    const f = await focused();
    expect(f.desc).toMatch(/^a "My alerts"/);
    expect(f.ring).toBe(true);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'My alerts', level: 1 }).waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  });

  it('every nav link is a route, and every route was visited', async () => {
    const links = await page.locator('nav#nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    expect(links.filter((l) => !ROUTES.some((r) => r.re.test(l)))).toEqual([]);
    expect(ROUTES.length).toBeGreaterThan(20);
    const missed = ROUTES.filter((r) => ![...visited].some((hash) => ROUTES.find((x) => x.re.test(hash)) === r));
    expect(missed.map((r) => r.source)).toEqual([]);
  });
});
