import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toEvent } from '../../src/events/events-repo.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

/** Issue 19, rules: exact loop protection under concurrency, GET /v1/revenue, text `between`. */
describe('rules fixes (issue 19)', () => {
  let t: TestRuntime;
  let a: Acct;
  let n = 0;
  const q = (sql: string, args: unknown[] = []) => t.rt.infra.db.query(sql, args);
  const newRule = async (acct: Acct, body: Record<string, unknown>) =>
    (await acct.api.post('/v1/rules').send({ name: `rule ${++n}`, ...body }).expect(201)).body.id as string;
  const newContact = async (acct: Acct, name: string) =>
    (await q('INSERT INTO contacts (account_id, name) VALUES ($1, $2) RETURNING id', [acct.account.id, name])).rows[0].id as string;

  beforeAll(async () => {
    // Event and rule-action workers run (log_revenue end to end); a bigger pool lets many evaluations overlap.
    t = await startTestRuntime({ DATABASE_POOL_SIZE: '24', EVENTS_SWEEP_INTERVAL_MS: '100', RULES_POLL_INTERVAL_MS: '100' }, { web: true, worker: true });
    a = await createTestAccount(t);
  });
  afterAll(async () => t?.close());

  it('loop protection stops at exactly 100 while many looping evaluations run at once', async () => {
    const rule = await newRule(a, { eventType: 'lead.looped', actions: [{ type: 'change_status', status: 'touched' }] });
    // 160 events the rule's own action raised, for 160 contacts (so no per-contact lock serialises them).
    const events = (await q(
      `WITH c AS (INSERT INTO contacts (account_id, name) SELECT $1, 'looper ' || g FROM generate_series(1, 160) g RETURNING id)
       INSERT INTO events (account_id, type, contact_id, data, source, caused_by_rule, chain_depth)
       SELECT $1, 'lead.looped', c.id, '{}', 'internal', $2, 1 FROM c RETURNING *`,
      [a.account.id, rule],
    )).rows.map(toEvent);
    const consumer = t.rt.services.rulesEngine.ruleConsumer;
    await Promise.all(events.map((e) => consumer.handle(e)));

    const r = (await a.api.get(`/v1/rules/${rule}`).expect(200)).body;
    expect(r).toMatchObject({ enabled: false, loopCount: 100, disabledReason: 'loop_detected' });
    const cuts = (await q(
      `SELECT (detail->>'loopCount')::int AS count, (detail->>'disabled')::boolean AS disabled FROM rule_logs
        WHERE rule_id = $1 AND kind = 'evaluation' AND outcome = 'loop_cut' AND (detail->>'counted')::boolean IS DISTINCT FROM false`,
      [rule],
    )).rows;
    // Each counted iteration has its own number 1..100, and exactly one of them disabled the rule.
    expect(cuts.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(cuts.filter((c) => c.disabled)).toEqual([{ count: 100, disabled: true }]);
    const notes = (await a.api.get('/v1/account/notifications').expect(200)).body.data.filter((x: { data: { ruleId?: string } }) => x.data.ruleId === rule);
    expect(notes).toEqual([expect.objectContaining({ kind: 'rule_disabled', data: { ruleId: rule, loopCount: 100 } })]);
    // Nothing the rule would do was scheduled.
    expect((await q('SELECT count(*)::int AS n FROM rule_pending_actions WHERE rule_id = $1', [rule])).rows[0].n).toBe(0);
  });

  it('accepts between on a text field through the API and evaluates it in lexical order', async () => {
    const b = await createTestAccount(t);
    const bad = await b.api.post('/v1/rules').send({
      name: 'bad', eventType: 'lead.sorted', conditions: [{ field: 'event.surname', operator: 'between', value: ['m', 'a'] }],
      actions: [{ type: 'change_status', status: 'x' }],
    }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'conditions.0.value', message: 'low must not be greater than high' })]);
    const rule = await newRule(b, {
      eventType: 'lead.sorted', conditions: [{ field: 'event.surname', operator: 'between', value: ['A', 'M'] }],
      actions: [{ type: 'change_status', status: 'first_half' }],
    });
    const early = await newContact(b, 'Ada');
    const late = await newContact(b, 'Zed');
    await b.api.post('/v1/events').send({ type: 'lead.sorted', contact: { id: early }, data: { surname: 'lovelace' } }).expect(202);
    await b.api.post('/v1/events').send({ type: 'lead.sorted', contact: { id: late }, data: { surname: 'Turing' } }).expect(202);
    const outcomes = await eventually(async () => {
      const r = (await q(`SELECT contact_id, outcome FROM rule_logs WHERE rule_id = $1 AND kind = 'evaluation'`, [rule])).rows;
      return r.length === 2 ? Object.fromEntries(r.map((x) => [x.contact_id, x.outcome])) : null;
    }, 'both evaluations');
    expect(outcomes).toEqual({ [early]: 'matched', [late]: 'not_matched' });
    await eventually(async () => (await q('SELECT status FROM contacts WHERE id = $1', [early])).rows[0].status === 'first_half', 'status change');
  });

  describe('GET /v1/revenue', () => {
    let c: Acct;
    let rule1: string;
    let rule2: string;
    let ann: string;
    let bob: string;
    beforeAll(async () => {
      c = await createTestAccount(t);
      rule1 = await newRule(c, { eventType: 'invoice.paid', actions: [{ type: 'log_revenue', amountField: 'event.amount', currency: 'USD', note: 'paid' }] });
      rule2 = await newRule(c, { eventType: 'deal.won', actions: [{ type: 'log_revenue', amount: 50, currency: 'EUR' }] });
      ann = await newContact(c, 'Ann');
      bob = await newContact(c, 'Bob');
    });

    const revenue = (qs = '') => c.api.get(`/v1/revenue${qs}`);

    it('returns entries a rule logged, newest first, with totals per currency; filters by contact, rule and dates', async () => {
      await c.api.post('/v1/events').send({ type: 'invoice.paid', contact: { id: ann }, data: { amount: 120.5 } }).expect(202);
      await c.api.post('/v1/events').send({ type: 'invoice.paid', contact: { id: bob }, data: { amount: '79.50' } }).expect(202);
      await c.api.post('/v1/events').send({ type: 'deal.won', contact: { id: ann } }).expect(202);
      await eventually(async () => (await revenue().expect(200)).body.data.length === 3, 'three revenue entries');
      // Spread them over three days so the date filter has something to cut.
      await q(`UPDATE revenue_entries SET created_at = CASE WHEN contact_id = $2 THEN '2025-03-02T10:00:00Z'::timestamptz
                 WHEN rule_id = $3 THEN '2025-03-03T10:00:00Z'::timestamptz ELSE '2025-03-01T10:00:00Z'::timestamptz END
               WHERE account_id = $1`, [c.account.id, bob, rule2]);

      const all = (await revenue().expect(200)).body;
      expect(all.data).toEqual([
        { id: expect.any(String), contactId: ann, ruleId: rule2, amount: 50, currency: 'EUR', note: '', createdAt: '2025-03-03T10:00:00.000Z' },
        { id: expect.any(String), contactId: bob, ruleId: rule1, amount: 79.5, currency: 'USD', note: 'paid', createdAt: '2025-03-02T10:00:00.000Z' },
        { id: expect.any(String), contactId: ann, ruleId: rule1, amount: 120.5, currency: 'USD', note: 'paid', createdAt: '2025-03-01T10:00:00.000Z' },
      ]);
      expect(all.totals).toEqual([{ currency: 'EUR', sum: 50, count: 1 }, { currency: 'USD', sum: 200, count: 2 }]);
      expect(all.nextCursor).toBeNull();

      expect((await revenue(`?contactId=${ann}`).expect(200)).body.totals).toEqual([{ currency: 'EUR', sum: 50, count: 1 }, { currency: 'USD', sum: 120.5, count: 1 }]);
      const byRule = (await revenue(`?ruleId=${rule1}&contactId=${bob}`).expect(200)).body;
      expect(byRule.data.map((e: { amount: number }) => e.amount)).toEqual([79.5]);
      expect(byRule.totals).toEqual([{ currency: 'USD', sum: 79.5, count: 1 }]);
      // from inclusive, to exclusive.
      const range = (await revenue('?from=2025-03-02T10:00:00Z&to=2025-03-03T10:00:00Z').expect(200)).body;
      expect(range.data.map((e: { contactId: string }) => e.contactId)).toEqual([bob]);
      expect(range.totals).toEqual([{ currency: 'USD', sum: 79.5, count: 1 }]);
      expect((await revenue('?from=2025-04-01').expect(200)).body).toEqual({ data: [], totals: [], nextCursor: null });
    });

    it('pages with limit and cursor; totals cover every page', async () => {
      const first = (await revenue('?limit=2').expect(200)).body;
      expect(first.data).toHaveLength(2);
      expect(first.totals).toEqual([{ currency: 'EUR', sum: 50, count: 1 }, { currency: 'USD', sum: 200, count: 2 }]);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = (await revenue(`?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`).expect(200)).body;
      expect(second.data.map((e: { amount: number }) => e.amount)).toEqual([120.5]);
      expect(second.nextCursor).toBeNull();
    });

    it('is scoped to the account', async () => {
      const other = await createTestAccount(t);
      expect((await other.api.get('/v1/revenue').expect(200)).body).toEqual({ data: [], totals: [], nextCursor: null });
      expect((await other.api.get(`/v1/revenue?contactId=${ann}`).expect(200)).body.data).toEqual([]);
    });

    it('refuses bad filters with a 400 naming the field', async () => {
      const cases: Array<[string, string]> = [
        ['?contactId=nope', 'querystring.contactId'],
        ['?ruleId=123', 'querystring.ruleId'],
        ['?from=yesterday', 'querystring.from'],
        ['?to=2025-13-45', 'querystring.to'],
        ['?limit=0', 'querystring.limit'],
        ['?limit=501', 'querystring.limit'],
        ['?cursor=garbage', 'cursor'],
        ['?from=2025-03-05&to=2025-03-01', 'to'],
      ];
      for (const [qs, path] of cases) {
        const res = await revenue(qs);
        expect(res.status, qs).toBe(400);
        expect(res.body.details, qs).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      }
    });

    it('is documented in OpenAPI with a summary, operationId and response schema', async () => {
      const doc = (await t.http().get('/docs/json').expect(200)).body;
      const op = doc.paths['/v1/revenue'].get;
      expect(op).toMatchObject({ operationId: 'listRevenue', summary: expect.any(String), tags: ['rules'] });
      expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['contactId', 'cursor', 'from', 'limit', 'ruleId', 'to']);
      const schema = op.responses['200'].content['application/json'].schema;
      expect(Object.keys(schema.properties).sort()).toEqual(['data', 'nextCursor', 'totals']);
    });
  });
});
