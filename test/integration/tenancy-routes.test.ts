/**
 * Cross-tenant isolation on every API route with an id in its path, enumerated from the app's
 * route table (a route added later is covered without being listed here): account A owns one
 * object of every kind (test/fuzz/seed-account.ts); each route is filled with A's ids, A gets a
 * 2xx on the reads (so the ids are real), then account B tries every method on it and gets a
 * 404 — and A's objects are all still there and unchanged afterwards.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutesWithIds, type Route } from '../fuzz/route-table.js';
import { resolveRoute, seedAccount, type Seeded } from '../fuzz/seed-account.js';
import { installWriteCounter, type WriteCounter } from '../fuzz/write-counter.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { createTestAccount, type TestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

/**
 * Routes whose parameter is not an account's object: the same for every tenant by design. (None
 * now: `/v1/sequence-templates/:key` is walked with A's custom template; the built-in templates,
 * keyed by slug, are shared by every account by design and are not walked.)
 */
const SHARED = new Set<string>([]);
/** Websocket upgrade routes are checked by their own tests (engine e2e: other account 404 on the stream). */
const NOT_HTTP = new Set(['GET /v1/activations/:id/stream']);
/**
 * The responder's own devices and alerts: for a signed-in dashboard user linked to a contact, never
 * for an API key (403 whatever the id, before any lookup), so this API-key walk cannot reach an
 * owner's object there. Here: B's key gets 403 on them and nothing changes; that another user, of
 * this account or another, gets 404 for someone else's device or alert is proved with signed-in
 * users in test/integration/web-push.test.ts.
 */
const SESSION_ONLY = new Set([
  'DELETE /v1/responder/push-subscriptions/:id',
  'POST /v1/responder/alerts/:deliveryId/acknowledge',
  'POST /v1/responder/alerts/:deliveryId/answer',
]);

/**
 * Routes that answer something other than 404 by design, and why: a softphone call is not a
 * stored object but a sealed state token bound to the account that placed it, so the other
 * account presenting the owner's own token for the owner's call is refused as a bad token.
 */
const EXPECTED: Record<string, { status: number; path: string }> = {
  'POST /v1/softphone/calls/:callSid/input': { status: 400, path: 'state' },
};

/** A body that passes validation where one is needed (with B's own ids), so a 404 is about the path's id. */
const bodyFor = (r: Route, a: Seeded['ids'], mine: Seeded['ids']): object | undefined => {
  const byPath: Record<string, object> = {
    'PATCH /v1/carrier-connections/:id': { name: 'mine now' },
    'PATCH /v1/lines/:id': { name: 'mine now' },
    'PATCH /v1/contacts/:id': { name: 'mine now' },
    'PATCH /v1/groups/:id': { name: 'mine now' },
    'POST /v1/groups/:id/members': { contactIds: [mine.contact] },
    'PUT /v1/workflows/:id': { name: 'mine now', actions: [{ type: 'webhook', url: 'https://evil.example.test/' }] },
    'POST /v1/workflows/:id/activations': {},
    'POST /v1/workflows/:id/actions/:actionId/test': {},
    'PATCH /v1/users/:id': { name: 'mine now' },
    'POST /v1/softphone/calls/:callSid/input': { state: a.callState, input: { kind: 'hangup' } },
    'PUT /v1/sequences/:id': { name: 'mine now', steps: [{ type: 'send', send: { channel: 'sms', message: 'x' } }] },
    'PATCH /v1/sequences/:id': { name: 'mine now' },
    'POST /v1/sequences/:id/steps': { type: 'send', send: { channel: 'sms', message: 'x' } },
    'PUT /v1/sequences/:id/steps/:stepId': { type: 'send', send: { channel: 'sms', message: 'x' } },
    'POST /v1/sequences/:id/enrollments': { contactIds: [mine.contact] },
    'POST /v1/sequences/:id/trigger': { contactId: mine.contact },
    'PATCH /v1/rules/:id': { name: 'mine now' },
    'POST /v1/rules/:id/flush': {},
    'POST /v1/lists/:id/members': { contactIds: [mine.contact] },
    'PUT /v1/tracking-workflows/:id': { name: 'mine now', trigger: 'answered', conditions: [], actions: [{ type: 'email_owners' }] },
    'PUT /v1/users/:id/contact': { contactId: mine.contact },
    'POST /v1/sequences/:id/enrollments/csv': { csv: `${mine.contact}\n` },
    'PUT /v1/sequence-templates/:key': { name: 'mine now', steps: [{ type: 'send', send: { channel: 'sms', message: 'x' } }] },
    'PATCH /v1/callbacks/:id': { dueAt: new Date(Date.now() + 86_400_000).toISOString() },
    'PUT /v1/prompts/:id': { name: 'mine now', text: 'Tell me their secrets.' },
    'PUT /v1/tracking-pools/:id': { source: 'mine-now', lineIds: [mine.trackLine] },
  };
  return byPath[`${r.method} ${r.path}`] ?? (['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined);
};

describe('tenant isolation on every API route with an id (from the route table)', () => {
  let env: RuntimeWithCarrier;
  let t: TestRuntime;
  let a: Acct;
  let b: Acct;
  let seeded: Seeded;
  let theirs: Seeded;
  let counter: WriteCounter;
  const targets: Array<Route & { url: string }> = [];
  const unresolved: string[] = [];
  const sessionOnly: Route[] = [];

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ WEBHOOK_TIMEOUT_MS: '200' }, { web: true, worker: false }); // line checks stay local
    t = env.t;
    a = await createTestAccount(t);
    b = await createTestAccount(t);
    seeded = await seedAccount(t, a, env);
    theirs = await seedAccount(t, b, env); // B has objects of its own too: a 404 is not just an empty account
    const get = (url: string) => a.api.get(url).then((r) => ({ status: r.status, body: r.body }));
    for (const r of apiRoutesWithIds(t.rt.app!)) {
      const key = `${r.method} ${r.path}`;
      if (SHARED.has(key) || NOT_HTTP.has(key)) continue;
      if (SESSION_ONLY.has(key)) {
        sessionOnly.push(r);
        continue;
      }
      const res = await resolveRoute(r.path, seeded, get);
      if ('url' in res) targets.push({ ...r, url: res.url });
      else unresolved.push(`${key}: ${res.missing}`);
    }
    counter = await installWriteCounter(t.rt.infra.db, ['api_keys.upd', 'outbox.upd']);
  }, 120_000);
  afterAll(async () => env?.close());

  it('fills every route with the owner\'s real ids (a new kind of object needs a fixture in seed-account.ts)', async () => {
    expect(unresolved).toEqual([]);
    expect(targets.length).toBeGreaterThan(60);
    const reads = targets.filter((r) => r.method === 'GET');
    const owner = await Promise.all(reads.map(async (r) => [`GET ${r.url}`, (await a.api.get(r.url)).status] as const));
    expect(owner.filter(([, s]) => s >= 300)).toEqual([]);
  });

  it('answers 404 to another account on every method of every route, and changes nothing', async () => {
    const before = await counter.snapshot();
    const wrong: string[] = [];
    for (const r of targets) {
      const m = r.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const body = bodyFor(r, seeded.ids, theirs.ids);
      const req = b.api[m](r.url);
      const res = await (body === undefined ? req : req.send(body));
      const special = EXPECTED[`${r.method} ${r.path}`];
      if (special) {
        if (res.status !== special.status || res.body?.details?.[0]?.path !== special.path) wrong.push(`${r.method} ${r.url} -> ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      } else if (res.status !== 404 || res.body?.error !== 'not_found') wrong.push(`${r.method} ${r.url} -> ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
    }
    expect(wrong).toEqual([]);
    expect(counter.diff(before, await counter.snapshot())).toEqual([]);
  }, 120_000);

  it('refuses an API key on the signed-in responder\'s routes (403 whatever the id), changing nothing', async () => {
    expect(sessionOnly.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...SESSION_ONLY].sort());
    const before = await counter.snapshot();
    for (const r of sessionOnly) {
      const url = r.path.replace(/:deliveryId/, seeded.ids.emailDelivery!).replace(/:id/, randomUUID());
      const m = r.method.toLowerCase() as 'post' | 'delete';
      const res = await (m === 'post' ? b.api.post(url).send({ option: 1 }) : b.api.delete(url));
      expect([res.status, res.body?.error], `${r.method} ${url}`).toEqual([403, 'forbidden']);
    }
    expect(counter.diff(before, await counter.snapshot())).toEqual([]);
  });

  it('still shows the owner every object, and lists never leak them to the other account', async () => {
    for (const r of targets.filter((x) => x.method === 'GET')) expect((await a.api.get(r.url)).status, r.url).toBeLessThan(300);
    const ownIds = Object.values(seeded.ids);
    const lists = [...new Set(targets.map((r) => r.path.split('/:')[0]!))].filter((p) => !p.includes(':'));
    for (const list of lists) {
      const res = await b.api.get(list);
      if (res.status !== 200) continue;
      const text = JSON.stringify(res.body);
      expect(ownIds.filter((id) => id.length > 8 && text.includes(id)), list).toEqual([]);
    }
  });
});
