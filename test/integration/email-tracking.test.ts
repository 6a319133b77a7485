/**
 * E-mail open and click tracking (issue 16) through the whole product: a workflow e-mail goes
 * through the action engine to a real SMTP server process; the test reads the pixel and link URLs
 * from the received HTML and fetches them as a mail client would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activationStatus, addGroupOf, addPeople, addWorkflow } from '../helpers/engine-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { startSmtpServer, type ReceivedMail, type SmtpServerProcess } from '../helpers/smtp-server.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

const BROWSER_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Thunderbird/128.0';
const GMAIL_PROXY_UA = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const TEXT = 'Your quote is ready: https://shop.example.test/quote?id=7&lang=en.\nQuestions? https://help.example.test/';

describe('e-mail open and click tracking', () => {
  let smtp: SmtpServerProcess;
  let t: TestRuntime;
  let on: Acct;
  let off: Acct;
  let n = 0;
  const q = (sql: string, args: unknown[] = []) => t.rt.infra.db.query(sql, args);

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await startTestRuntime({
      SMTP_URL: smtp.url, SMTP_FROM: 'Switchboard <alerts@switchboard.test>', SWEEP_INTERVAL_MS: '300', EVENTS_SWEEP_INTERVAL_MS: '100',
      RULES_POLL_INTERVAL_MS: '100',
    });
    on = await createTestAccount(t);
    off = await createTestAccount(t);
    await on.api.patch('/v1/account').send({ settings: { emailTracking: { opens: true, clicks: true } } }).expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  /** E-mails one new contact through a workflow; returns the received e-mail and its delivery. */
  const mailOne = async (a: Acct) => {
    const address = `reader${++n}-${Date.now()}@example.test`;
    const [contactId] = await addPeople(t, a.account.id, [{ name: `Reader ${n}`, email: address }]);
    const g = await addGroupOf(t, a.account.id, `Readers ${n}`, [contactId!]);
    const wf = await addWorkflow(t, a.account.id, {
      name: `Quote ${n}`, actions: [{ id: 'n1', type: 'notification', groupIds: [g], includeOffDuty: true, subject: 'Your quote', message: TEXT, channels: ['email'] }],
    });
    const act = (await a.api.post(`/v1/workflows/${wf}/activations`).send({}).expect(201)).body.id as string;
    await eventually(async () => (await activationStatus(t, act)) === 'completed', 'activation completed');
    const mail = await eventually(async () => smtp.messages().find((m) => m.to.includes(address)), 'e-mail received');
    const delivery = (await q(`SELECT * FROM deliveries WHERE activation_id = $1 AND channel = 'email'`, [act])).rows[0];
    return { mail, delivery, contactId: contactId!, workflowId: wf, activationId: act };
  };
  /** The path (and query) of a URL the e-mail points at, to fetch from the test server. */
  const local = (url: string) => {
    const u = new URL(url);
    expect(u.origin).toBe('http://switchboard.test');
    return u.pathname + u.search;
  };
  const pixelOf = (m: ReceivedMail) => {
    const src = /<img src="([^"]+)"/.exec(m.html ?? '')?.[1];
    expect(src).toMatch(/^http:\/\/switchboard\.test\/t\/o\/[A-Za-z0-9_-]{44}\.gif$/);
    return local(src!.replace(/&amp;/g, '&'));
  };
  const linksOf = (m: ReceivedMail) => [...(m.html ?? '').matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((x) => ({ href: x[1]!.replace(/&amp;/g, '&'), text: x[2]!.replace(/&amp;/g, '&') }));
  const events = (type: string, deliveryId: string) =>
    q(`SELECT * FROM events WHERE type = $1 AND data->>'deliveryId' = $2 ORDER BY occurred_at`, [type, deliveryId]).then((r) => r.rows);
  const tracking = (deliveryId: string) => q('SELECT * FROM email_tracking WHERE delivery_id = $1', [deliveryId]).then((r) => r.rows[0]);
  const fetchAs = (path: string, ua = BROWSER_UA) => t.http().get(path).set('user-agent', ua);

  it('is off by default: the e-mail stays plain text, with no pixel and its links untouched', async () => {
    const { mail, delivery } = await mailOne(off);
    expect(mail.html).toBeNull();
    expect(mail.text).toBe(TEXT);
    expect(mail.headers['content-type']).toMatch(/^text\/plain/);
    expect(await tracking(delivery.id)).toBeUndefined();
  });

  it('refuses a malformed emailTracking setting with a 400 naming the field, and keeps the old one', async () => {
    const bad = await on.api.patch('/v1/account').send({ settings: { emailTracking: { opens: 'yes', clicks: true } } }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'settings.emailTracking.opens', message: 'must be true or false' })]);
    const extra = await on.api.patch('/v1/account').send({ settings: { emailTracking: { opens: true, clicks: true, pixels: 2 } } }).expect(400);
    expect(extra.body.details[0].path).toMatch(/^settings\.emailTracking/);
    expect((await on.api.get('/v1/account').expect(200)).body.settings.emailTracking).toEqual({ opens: true, clicks: true });
  });

  it('an open (pixel fetched like a mail client) raises email.opened once; repeats are counted, not raised', async () => {
    const { mail, delivery, contactId, workflowId, activationId } = await mailOne(on);
    expect(mail.text).toBe(TEXT); // the text part keeps the original links
    const pixel = pixelOf(mail);
    // Six fetches at once, half of them served by a second web process on the same database: one event.
    const web2 = await startTestRuntime({ REDIS_PREFIX: t.config.REDIS_PREFIX }, { web: true, worker: false }, { databaseUrl: t.config.DATABASE_URL });
    const first = await Promise.all(Array.from({ length: 6 }, (_x, i) => (i % 2 ? web2.http() : t.http()).get(pixel).set('user-agent', BROWSER_UA)))
      .finally(() => web2.close());
    for (const r of first) {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('image/gif');
      expect(r.headers['cache-control']).toContain('no-store');
      expect([r.body.subarray(0, 6).toString('latin1'), r.body.readUInt16LE(6), r.body.readUInt16LE(8)]).toEqual(['GIF89a', 1, 1]); // 1×1
    }
    const raised = await eventually(async () => ((await events('email.opened', delivery.id)).length ? events('email.opened', delivery.id) : null), 'email.opened');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      account_id: on.account.id, contact_id: contactId, idempotency_key: `email.opened:${delivery.id}`,
      data: expect.objectContaining({ deliveryId: delivery.id, activationId, workflowId, actionId: 'n1', machineOpen: false, userAgent: BROWSER_UA }),
    });
    await fetchAs(pixel).expect(200);
    const row = await tracking(delivery.id);
    expect(row).toMatchObject({ account_id: on.account.id, open_count: 7, machine_open: false, opened_event_id: raised[0].id, click_count: 0 });
    expect(row.last_opened_at.getTime()).toBeGreaterThanOrEqual(row.first_opened_at.getTime());
    expect(await events('email.opened', delivery.id)).toHaveLength(1);

    const api = (await on.api.get(`/v1/deliveries/${delivery.id}/email-tracking`).expect(200)).body;
    expect(api).toMatchObject({ deliveryId: delivery.id, openCount: 7, machineOpen: false, clickCount: 0, firstClickedAt: null });
    expect(new Date(api.lastOpenedAt).getTime()).toBe(row.last_opened_at.getTime());
    await off.api.get(`/v1/deliveries/${delivery.id}/email-tracking`).expect(404); // another account's e-mail
    const bad = await on.api.get('/v1/deliveries/nope/email-tracking').expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'params.id', message: 'must be a UUID' })]);
  });

  it('a click redirects (302) to exactly the original URL and raises email.clicked once', async () => {
    const { mail, delivery } = await mailOne(on);
    const links = linksOf(mail);
    expect(links.map((l) => l.text)).toEqual(['https://shop.example.test/quote?id=7&lang=en', 'https://help.example.test/']);
    for (const l of links) expect(l.href).toMatch(/^http:\/\/switchboard\.test\/t\/c\/[A-Za-z0-9_-]{44}\?u=/);
    const click = local(links[0]!.href);
    const r = await fetchAs(click).expect(302);
    expect(r.headers.location).toBe('https://shop.example.test/quote?id=7&lang=en');
    await fetchAs(local(links[1]!.href)).expect(302, /^$/).expect('location', 'https://help.example.test/');
    await fetchAs(click).expect(302);

    const clicked = await eventually(async () => ((await events('email.clicked', delivery.id)).length ? events('email.clicked', delivery.id) : null), 'email.clicked');
    expect(clicked).toEqual([expect.objectContaining({ data: expect.objectContaining({ url: 'https://shop.example.test/quote?id=7&lang=en', machineClick: false }) })]);
    // Images were never loaded, but a click means the e-mail was opened.
    expect(await events('email.opened', delivery.id)).toEqual([expect.objectContaining({ data: expect.objectContaining({ via: 'click' }) })]);
    expect(await tracking(delivery.id)).toMatchObject({ click_count: 3, open_count: 0, first_clicked_url: 'https://shop.example.test/quote?id=7&lang=en' });
  });

  it('a tampered or unknown token, or another target URL, is a bare 404 and never a redirect', async () => {
    const { mail, delivery } = await mailOne(on);
    const pixel = pixelOf(mail);
    const click = local(linksOf(mail)[0]!.href);
    const token = /\/t\/c\/([^?]+)/.exec(click)![1]!;
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const notFound = (r: { status: number; body: unknown; headers: Record<string, string> }) => {
      expect(r.status).toBe(404);
      expect(r.headers.location).toBeUndefined();
      expect(r.body).toMatchObject({ error: 'not_found', message: 'not found', details: null });
    };
    notFound(await fetchAs(pixel.replace(/\/o\/(.)/, (_m, c: string) => `/o/${c === 'A' ? 'B' : 'A'}`))); // another delivery id
    notFound(await fetchAs(pixel.replace(/(.)\.gif$/, (_m, c: string) => `${c === 'A' ? 'B' : 'A'}.gif`))); // another signature
    notFound(await fetchAs(`/t/o/${token}.gif`)); // a click token is not an open token
    notFound(await fetchAs('/t/o/not-a-token.gif'));
    notFound(await fetchAs(`/t/c/${flip(token, 30)}?u=${encodeURIComponent('https://shop.example.test/quote?id=7&lang=en')}`));
    notFound(await fetchAs(`/t/c/${token}?u=${encodeURIComponent('https://evil.example.test/phish')}`)); // open redirect refused
    notFound(await fetchAs(`/t/c/${token}?u=${encodeURIComponent('https://shop.example.test/quote?id=8&lang=en')}`));
    notFound(await fetchAs(`/t/c/${token}`));
    expect(await tracking(delivery.id)).toBeUndefined();
    expect(await events('email.opened', delivery.id)).toEqual([]);
  });

  it('marks an open by Google\'s image proxy as a machine open, on the row and on the event', async () => {
    const { mail, delivery } = await mailOne(on);
    await fetchAs(pixelOf(mail), GMAIL_PROXY_UA).expect(200);
    const [ev] = await eventually(async () => ((await events('email.opened', delivery.id)).length ? events('email.opened', delivery.id) : null), 'email.opened');
    expect(ev.data).toMatchObject({ machineOpen: true, machineReason: 'google_image_proxy' });
    expect(await tracking(delivery.id)).toMatchObject({ machine_open: true, machine_reason: 'google_image_proxy', open_count: 1 });
  });

  it('a rule on email.opened that ignores machine opens performs its action for a person\'s open only', async () => {
    const rule = (await on.api.post('/v1/rules').send({
      name: 'Engaged readers', eventType: 'email.opened',
      conditions: [{ field: 'event.machineOpen', operator: 'equals', value: false }],
      actions: [{ type: 'change_status', status: 'engaged' }],
    }).expect(201)).body.id as string;
    const machine = await mailOne(on);
    const person = await mailOne(on);
    await fetchAs(pixelOf(machine.mail), GMAIL_PROXY_UA).expect(200);
    await fetchAs(pixelOf(person.mail)).expect(200);
    const status = (id: string) => q('SELECT status FROM contacts WHERE id = $1', [id]).then((r) => r.rows[0].status as string);
    await eventually(async () => (await status(person.contactId)) === 'engaged', 'the reader marked engaged');
    // Both events evaluated (nothing pending) before asserting the machine open did nothing.
    const evaluations = () => q(
      `SELECT e.data->>'deliveryId' AS delivery, l.outcome FROM rule_logs l JOIN events e ON e.id = l.event_id
        WHERE l.rule_id = $1 AND l.kind = 'evaluation' AND e.data->>'deliveryId' = ANY($2)`,
      [rule, [machine.delivery.id, person.delivery.id]],
    ).then((r) => Object.fromEntries(r.rows.map((x) => [x.delivery, x.outcome])));
    await eventually(async () => Object.keys(await evaluations()).length === 2, 'both opens evaluated');
    expect(await evaluations()).toEqual({ [machine.delivery.id]: 'not_matched', [person.delivery.id]: 'matched' });
    expect(await status(machine.contactId)).toBe('active');
  });
});
