/**
 * Dynamic Number Insertion end to end: a plain web page on 127.0.0.1 (another origin than
 * Switchboard) embeds the snippet served at PUBLIC_URL/dni.js; headless Chromium arrives with
 * different utm_source values and sees the number of that source's pool swapped into the text
 * and the tel: links, kept on reload and on the next page. Then the carrier emulator calls the
 * number shown, and the post-call workflow whose `source` condition names that source texts the
 * caller (the other source's workflow does not). Also the dashboard's "Website numbers" card.
 * Screenshot to docs/screenshots/ only with UPDATE_SCREENSHOTS=1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { openDashboard, signIn, type DashboardSession, type TestAccount } from '../helpers/dashboard-session.js';
import { eventually } from '../helpers/eventually.js';

const SHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
/** (312) 555-0100, written here independently of the server. */
const national = (e164: string) => `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`;

describe('website numbers (DNI): each visitor sees their source\'s number, and the call records that source', () => {
  let env: RuntimeWithCarrier;
  let base: string;
  let site: Server;
  let siteUrl: string;
  let page: Page;
  let acct: TestAccount;
  let key: string;
  const line: Record<'google' | 'newsletter' | 'organic', LineFixture> = {} as never;
  const wf: Record<string, string> = {};
  const desk = uniqueNumber();
  let pageErrors: string[] = [];
  let close: DashboardSession['close'] | undefined;

  beforeAll(async () => {
    ({ env, base, page, acct, pageErrors, close } = await openDashboard({
      start: (o) => startRuntimeWithCarrier(o, { web: true, worker: true }),
      overrides: { DNI_RATE_LIMIT: '40', DELIVERY_BACKOFF_MS: '50', SWEEP_INTERVAL_MS: '300', EVENTS_SWEEP_INTERVAL_MS: '100' },
      viewport: { width: 1200, height: 820 }, console: false, accountName: 'Bayside Plumbing',
      seed: async ({ env, base, acct }) => {
        for (const name of ['google', 'newsletter', 'organic'] as const) {
          line[name] = await addTwilioLine(env.t, acct.account.id, {
            ...env.creds, mode: 'tracking', settings: { tracking: { source: 'Website line', forwardTo: [desk] } },
          });
        }
        key = (await acct.api.get('/v1/dni').expect(200)).body.key;
        site = createServer((req, res) => {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          // A page without the snippet, to clear the site's storage between visitors with nothing in flight.
          if (req.url === '/blank') return void res.end('<!doctype html><html lang="en"><title>blank</title></html>');
          res.end(`<!doctype html><html lang="en"><head><title>Bayside Plumbing ${req.url}</title>
<script src="${base}/dni.js?key=${key}" async></script></head>
<body><main><h1>Bayside Plumbing</h1>
<p>Call us: <a id="call" href="tel:+18005550100" data-switchboard-number>(800) 555-0100</a></p>
<p>Or dial <span id="plain" class="switchboard-number" data-switchboard-format="e164">+18005550100</span></p></main></body></html>`);
        });
        await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
        siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
        await acct.api.put('/v1/dni').send({ allowedOrigins: [siteUrl], sessionMinutes: 30 }).expect(200);
        const pool = (body: object) => acct.api.post('/v1/tracking-pools').send(body).expect(201);
        await pool({ source: 'google', lineIds: [line.google.id], match: { clickIds: ['gclid'] } });
        await pool({ source: 'newsletter', lineIds: [line.newsletter.id] });
        await pool({ source: 'organic', default: true, lineIds: [line.organic.id] });
        const create = async (body: object) => (await acct.api.post('/v1/tracking-workflows').send(body).expect(201)).body.id as string;
        wf.google = await create({
          name: 'Google callers', trigger: 'answered', conditions: [{ type: 'source', campaigns: ['google'] }],
          actions: [{ type: 'sms_caller', message: 'Thanks for calling from Google ({{utm_campaign}}).' }],
        });
        wf.newsletter = await create({
          name: 'Newsletter readers', trigger: 'answered', conditions: [{ type: 'source', campaigns: ['newsletter'] }],
          actions: [{ type: 'sms_caller', message: 'Thanks, newsletter reader!' }],
        });
      },
    }));
  }, 60_000);

  afterAll(async () => {
    await close?.();
    await new Promise((r) => (site ? site.close(r) : r(null)));
  });

  /** Waits until the snippet swapped the marked numbers, then reads what the visitor sees. */
  const shown = async (expected: string) => {
    await page.getByRole('link', { name: national(expected) }).waitFor({ timeout: 10_000 });
    return {
      text: await page.locator('#call').textContent(), href: await page.locator('#call').getAttribute('href'),
      plain: await page.locator('#plain').textContent(),
      visitor: await page.evaluate((k) => JSON.parse(localStorage.getItem(`switchboard-dni:${k}`) ?? '{}').visitor as string, key),
    };
  };
  const newVisitor = async () => {
    await page.goto(`${siteUrl}/blank`);
    await page.evaluate(() => localStorage.clear());
  };
  const assignments = async (visitorToken: string) => (await env.t.rt.infra.db.query(
    'SELECT source, line_id, utm_campaign, reused FROM dni_assignments WHERE visitor_id = $1 ORDER BY assigned_at', [visitorToken.split('.')[0]],
  )).rows;

  let firstGoogle = '';
  it('a visitor from a Google ad sees the Google number in the text and the tel: link, and keeps it on reload and on the next page', async () => {
    await newVisitor();
    await page.goto(`${siteUrl}/?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc123`);
    const first = await shown(line.google.phone);
    expect(first).toMatchObject({ text: national(line.google.phone), href: `tel:${line.google.phone}`, plain: line.google.phone });
    firstGoogle = first.visitor;
    await page.reload();
    expect(await shown(line.google.phone)).toEqual(first);
    await page.goto(`${siteUrl}/services`); // no utm parameters on the next page: same session, same number
    expect(await shown(line.google.phone)).toEqual(first);
    expect(await assignments(first.visitor)).toEqual([{ source: 'google', line_id: line.google.id, utm_campaign: 'spring', reused: false }]);
  });

  it('a newsletter reader sees the newsletter number; a visitor with no source sees the organic one', async () => {
    await newVisitor();
    await page.goto(`${siteUrl}/offer?utm_source=Newsletter&utm_campaign=may`, { referer: 'http://mail.example.com/inbox' });
    const news = await shown(line.newsletter.phone);
    expect(news).toMatchObject({ href: `tel:${line.newsletter.phone}`, plain: line.newsletter.phone });
    await newVisitor();
    await page.goto(`${siteUrl}/`);
    const organic = await shown(line.organic.phone);
    expect(organic).toMatchObject({ href: `tel:${line.organic.phone}`, plain: line.organic.phone });
    expect(await assignments(organic.visitor)).toEqual([{ source: 'organic', line_id: line.organic.id, utm_campaign: null, reused: false }]);
  });

  it('with every Google number held, the next Google visitor is shown the least recently assigned one, recorded as reused', async () => {
    await newVisitor();
    await page.goto(`${siteUrl}/?utm_source=google&utm_medium=cpc&utm_campaign=summer&gclid=xyz789`);
    const second = await shown(line.google.phone);
    expect(second.visitor).not.toBe(firstGoogle);
    expect(await assignments(second.visitor)).toEqual([{ source: 'google', line_id: line.google.id, utm_campaign: 'summer', reused: true }]);
  });

  const texts = (to: string) => env.carrier.messages.filter((m) => m.to === to && m.direction === 'outbound-api').map((m) => ({ from: m.from, body: m.body }));
  const callTo = async (to: string) => {
    const caller = uniqueNumber();
    const call = await env.carrier.placeInboundCall({
      from: caller, to, statusCallback: `${base}/webhooks/twilio/status`, dial: { [desk]: { status: 'completed', talkSeconds: 30 } },
    });
    const logs = await eventually(async () => {
      const id = (await env.t.rt.infra.db.query('SELECT id FROM calls WHERE provider_call_id = $1', [call.callSid])).rows[0]?.id;
      const l = id ? (await acct.api.get(`/v1/tracking-logs?callId=${id}`).expect(200)).body.data as Array<Record<string, any>> : [];
      return l.length === 2 && l.every((x) => x.status === 'done') ? l : null;
    }, 'both post-call workflows evaluated');
    return { caller, call, logs: Object.fromEntries(logs.map((l) => [l.workflowId, l])) };
  };

  it('a call to the Google number belongs to the latest Google session: the Google workflow texts the caller, the newsletter one does not', async () => {
    const { caller, call, logs } = await callTo(line.google.phone);
    expect(logs[wf.google!]).toMatchObject({ matched: true, source: 'google' });
    expect(logs[wf.newsletter!]).toMatchObject({ matched: false, reason: 'conditions.0 (source): source "google" (line ' + line.google.id + ') is not listed' });
    await eventually(async () => texts(caller).length > 0, 'the Google thank-you text');
    expect(texts(caller)).toEqual([{ from: line.google.phone, body: 'Thanks for calling from Google (summer).' }]);
    const stored = (await acct.api.get(`/v1/calls?caller=${encodeURIComponent(caller)}`).expect(200)).body.data;
    expect(stored).toEqual([expect.objectContaining({
      callSid: call.callSid, source: 'google', lineId: line.google.id,
      visitor: expect.objectContaining({
        utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'summer', clickIdType: 'gclid', clickId: 'xyz789', referrerHost: null,
        landingPage: `${siteUrl}/`, reused: true,
      }),
    })]);
    const row = await env.t.rt.infra.db.query('SELECT source FROM calls WHERE provider_call_id = $1', [call.callSid]);
    expect(row.rows[0].source).toBe('google');
  });

  it('a call to the newsletter number fires the newsletter workflow only, with the referrer and landing page kept', async () => {
    const { caller, logs } = await callTo(line.newsletter.phone);
    expect(logs[wf.newsletter!]).toMatchObject({ matched: true, source: 'newsletter' });
    expect(logs[wf.google!]).toMatchObject({ matched: false });
    await eventually(async () => texts(caller).length > 0, 'the newsletter thank-you text');
    expect(texts(caller)).toEqual([{ from: line.newsletter.phone, body: 'Thanks, newsletter reader!' }]);
    const [stored] = (await acct.api.get(`/v1/calls?caller=${encodeURIComponent(caller)}`).expect(200)).body.data;
    expect(stored).toMatchObject({
      source: 'newsletter',
      visitor: { utmSource: 'Newsletter', utmCampaign: 'may', referrerHost: 'mail.example.com', landingPage: `${siteUrl}/offer`, clickId: null, reused: false },
    });
  });

  it('the page ran without script errors', () => {
    expect(pageErrors).toEqual([]);
  });

  it('the Call tracking page shows the snippet to copy and the sources set up', async () => {
    await acct.api.post('/v1/users').send({ email: 'desk@bayside.test', name: 'Dana Desk', password: 'bayside-desk-2026', role: 'admin' }).expect(201);
    await signIn(page, base, 'desk@bayside.test', 'bayside-desk-2026', (p) => p.getByRole('heading', { level: 1 }).first().waitFor());
    await page.goto(`${base}/#/tracking`);
    const card = page.getByRole('region', { name: 'Website numbers (DNI)' });
    await card.getByRole('button', { name: 'Copy snippet' }).waitFor();
    expect(await card.locator('pre').textContent()).toBe(`<script src="${base}/dni.js?key=${key}" async></script>`);
    const rows = await card.getByRole('table', { name: 'Number pools per source' }).locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual([
      `google utm_source=google or Google Ads click ${line.google.phone} Ops line Edit Delete`,
      `newsletter utm_source=newsletter ${line.newsletter.phone} Ops line Edit Delete`,
      `organic default every other visitor ${line.organic.phone} Ops line Edit Delete`,
    ]);
    expect(await card.textContent()).toContain(`Allowed sites: ${siteUrl}.`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await card.screenshot({ path: UPDATE ? path.join(SHOTS, 'tracking-dni.png') : '/tmp/sb-tracking-dni.png' });
  });
});
