import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivationService } from '../../src/engine/activation-service.js';
import { activationsRepo } from '../../src/engine/activations-repo.js';
import { createSecretBox } from '../../src/crypto.js';
import { createPool } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { buildEventsAndRules, startEventsAndRulesWorkers, type EventsAndRules } from '../../src/rules/rules-module.js';
import { eventually } from '../helpers/eventually.js';
import { planQueued } from '../helpers/plan-ready.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

/**
 * A worker process in miniature: its own PostgreSQL pool, its own Redis connections, its own
 * event and rule-action workers, sharing the database, the Redis prefix and the (manual) clock.
 */
const startWorkerSet = (t: TestRuntime, clock: ManualClock) => {
  const db = createPool(t.config.DATABASE_URL, 6);
  const redis = createRedis(t.config.REDIS_URL);
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const m: EventsAndRules = buildEventsAndRules({
    db, redis, config: t.config, logger, secrets: createSecretBox(t.config.SECRET_KEY), activations: createActivationService({ db, activations: activationsRepo }), clock, emailEnabled: true,
  });
  const w = startEventsAndRulesWorkers(m, { db, config: t.config, logger, consumers: [m.ruleConsumer] });
  return { m, db, async close() { await w.close(); await redis.quit(); await db.end(); } };
};

describe('rule engine end to end (two worker sets, manual clock)', () => {
  let t: TestRuntime;
  let a: Acct;
  let clock: ManualClock;
  let sets: Array<ReturnType<typeof startWorkerSet>> = [];
  let n = 0;
  const q = (sql: string, args: unknown[] = []) => t.rt.infra.db.query(sql, args);
  const newContact = async (over: Record<string, unknown> = {}) =>
    (await a.api.post('/v1/contacts').send({ name: `Lead ${++n}`, phone: `+1415555${String(1000 + n).slice(-4)}`, email: `lead${n}@example.test`, ...over }).expect(201)).body.id as string;
  const newRule = async (body: Record<string, unknown>) => (await a.api.post('/v1/rules').send({ name: `rule ${++n}`, ...body }).expect(201)).body.id as string;
  const post = (type: string, contactId: string | null, data: Record<string, unknown> = {}) =>
    a.api.post('/v1/events').send({ type, ...(contactId ? { contact: { id: contactId } } : {}), data }).expect(202).then((r) => r.body.id as string);
  const evaluations = (ruleId: string) => q(`SELECT outcome, count(*)::int AS n FROM rule_logs WHERE rule_id = $1 AND kind = 'evaluation' GROUP BY outcome`, [ruleId])
    .then((r) => Object.fromEntries(r.rows.map((x) => [x.outcome, x.n])) as Record<string, number>);
  const pending = (ruleId: string) => q('SELECT * FROM rule_pending_actions WHERE rule_id = $1 ORDER BY created_at', [ruleId]).then((r) => r.rows);
  const contactRow = (id: string) => q('SELECT * FROM contacts WHERE id = $1', [id]).then((r) => r.rows[0]);

  beforeAll(async () => {
    t = await startTestRuntime({ EVENTS_SWEEP_INTERVAL_MS: '100', RULES_POLL_INTERVAL_MS: '100' }, { web: true, worker: false });
    a = await createTestAccount(t);
    clock = createManualClock('2025-01-06T15:00:00Z'); // 15:00 UTC
    sets = [startWorkerSet(t, clock), startWorkerSet(t, clock)];
    await a.api.post('/v1/lines').send({ phoneNumber: '+14155550100', provider: 'simulator' }).expect(201);
  });
  afterAll(async () => {
    await Promise.allSettled(sets.map((s) => s.close()));
    await t?.close();
  });

  it('a missed call changes the status and texts the contact through an engine delivery; logs say what happened', async () => {
    const c = await newContact({ name: 'Ada' });
    const rule = await newRule({
      eventType: 'call.ended',
      conditions: [{ field: 'event.disposition', operator: 'equals', value: 'missed' }, { field: 'event.callCount', operator: 'between', value: [1, 3] }],
      actions: [{ type: 'change_status', status: 'callback' }, { type: 'sms', message: 'Sorry we missed you, {{contact.name}}!' }],
    });
    await post('call.ended', c, { disposition: 'answered', callCount: 1 });
    await post('call.ended', c, { disposition: 'missed', callCount: 4 });
    const hit = await post('call.ended', c, { disposition: 'missed', callCount: 2 });
    await eventually(async () => {
      const rows = await pending(rule);
      return rows.length === 2 && rows.every((r) => r.status === 'done');
    }, 'both pending actions done');
    expect(await evaluations(rule)).toEqual({ matched: 1, not_matched: 2 });
    expect((await contactRow(c)).status).toBe('callback');

    await planQueued(t.rt); // no engine workers here: the planner's part (what the worker does at once)
    const d = await q(`SELECT d.*, a.source, a.idempotency_key FROM deliveries d JOIN activations a ON a.id = d.activation_id WHERE d.contact_id = $1`, [c]);
    expect(d.rows).toHaveLength(1);
    expect(d.rows[0]).toMatchObject({ channel: 'sms', address: (await contactRow(c)).phone, status: 'pending', source: 'rule' });
    expect(d.rows[0].payload).toMatchObject({ body: 'Sorry we missed you, Ada!', from: '+14155550100' });
    const sms = (await pending(rule)).find((p) => p.action_type === 'sms');
    expect(d.rows[0].idempotency_key).toBe(`rule:${sms.id}`);

    // The status change raised contact.status_changed marked with the rule (loop protection).
    const ev = await q(`SELECT * FROM events WHERE contact_id = $1 AND type = 'contact.status_changed'`, [c]);
    expect(ev.rows).toEqual([expect.objectContaining({ caused_by_rule: rule, chain_depth: 1, data: { from: 'active', to: 'callback' } })]);

    const hist = await a.api.get(`/v1/contacts/${c}/rule-history`).expect(200);
    expect(hist.body.data.filter((l: { eventId: string }) => l.eventId === hit).map((l: { kind: string; outcome: string; actionType: string | null }) => `${l.kind}:${l.outcome}:${l.actionType}`).sort())
      .toEqual(['action:executed:change_status', 'action:executed:sms', 'action:scheduled:change_status', 'action:scheduled:sms', 'evaluation:matched:null']);
    const smsLogs = await a.api.get(`/v1/rule-logs?actionType=sms&contactId=${c}&outcome=executed`).expect(200);
    expect(smsLogs.body.data).toEqual([expect.objectContaining({ actionType: 'sms', detail: expect.objectContaining({ channel: 'sms', deliveryId: d.rows[0].id }) })]);
  });

  it('suppresses a rule triggered more than 9 times for one contact within 3 minutes, across two worker sets', async () => {
    const c = await newContact();
    const rule = await newRule({ eventType: 'lead.touched', actions: [{ type: 'update_field', field: 'contact.custom.touches', operation: 'add', value: 1 }] });
    await Promise.all(Array.from({ length: 15 }, () => post('lead.touched', c)));
    await eventually(async () => {
      const e = await evaluations(rule);
      return (e.matched ?? 0) + (e.rate_limited ?? 0) === 15;
    }, '15 evaluations');
    expect(await evaluations(rule)).toEqual({ matched: 9, rate_limited: 6 });
    await eventually(async () => (await contactRow(c)).custom_fields.touches === 9, '9 touches');
    // Both worker sets took part.
    const logs = await q(`SELECT detail FROM rule_logs WHERE rule_id = $1 AND outcome = 'rate_limited' LIMIT 1`, [rule]);
    expect(logs.rows[0].detail).toEqual({ matchesInWindow: 9, limit: 9, windowSeconds: 180 });

    // The window rolls: 2:59 later still suppressed, after 3 minutes the rule fires again.
    clock.advance(179_000);
    await post('lead.touched', c);
    await eventually(async () => (await evaluations(rule)).rate_limited === 7, 'the 7th rate limit');
    clock.advance(2_000);
    await post('lead.touched', c);
    await eventually(async () => (await evaluations(rule)).matched === 10, 'the 10th match');
    await eventually(async () => (await contactRow(c)).custom_fields.touches === 10, '10 touches');
  });

  it('cuts a rule that re-triggers itself; after 100 loops the rule is disabled and the owners notified', async () => {
    const rule = await newRule({
      eventType: 'contact.field_changed',
      conditions: [{ field: 'event.field', operator: 'equals', value: 'custom.n' }],
      actions: [{ type: 'update_field', field: 'contact.custom.n', operation: 'add', value: 1 }],
    });
    const ids = (await q(
      `INSERT INTO contacts (account_id, name) SELECT $1, 'loop ' || g FROM generate_series(1, 101) g RETURNING id`, [a.account.id],
    )).rows.map((r) => r.id as string);
    const { publisher } = sets[0]!.m;
    for (const id of ids.slice(0, 100)) {
      await publisher.publish(sets[0]!.db, { accountId: a.account.id, type: 'contact.field_changed', contactId: id, data: { field: 'custom.n', from: null, to: 0 } });
    }
    const r = await eventually(async () => { const b = await a.api.get(`/v1/rules/${rule}`).then((x) => x.body); return b.enabled === false && b; }, 'the rule disabled', 30_000);
    expect(r).toMatchObject({ enabled: false, loopCount: 100, disabledReason: 'loop_detected' });
    // (An earlier test's late event may also be evaluated against this rule and not match: ignored.)
    expect(await evaluations(rule)).toMatchObject({ matched: 100, loop_cut: 100 });
    // Each loop was cut after one round: every contact's counter moved exactly once.
    const counts = await q(`SELECT custom_fields->>'n' AS n, count(*)::int AS c FROM contacts WHERE id = ANY($1::uuid[]) GROUP BY 1`, [ids.slice(0, 100)]);
    expect(counts.rows).toEqual([{ n: '1', c: 100 }]);

    const notes = await eventually(async () => { const x = await a.api.get('/v1/account/notifications').expect(200); return x.body.data.length > 0 && x; }, 'the owners notified');
    expect(notes.body.data).toEqual([expect.objectContaining({ kind: 'rule_disabled', title: expect.stringContaining('was disabled'), data: { ruleId: rule, loopCount: 100 } })]);
    await planQueued(t.rt);
    const mail = await q(`SELECT d.address, d.channel, d.payload FROM deliveries d WHERE d.account_id = $1 AND d.recipient_key LIKE 'owner:%'`, [a.account.id]);
    expect(mail.rows).toEqual([{ address: 'owner@example.test', channel: 'email', payload: expect.objectContaining({ subject: expect.stringContaining('was disabled') }) }]);

    // Disabled: a new trigger is not evaluated at all.
    const late = await publisher.publish(sets[0]!.db, { accountId: a.account.id, type: 'contact.field_changed', contactId: ids[100]!, data: { field: 'custom.n' } });
    // Drained, not slept on: the event has been through every rule before the count is read.
    await eventually(async () => (await q('SELECT processed_at FROM events WHERE id = $1', [late.event.id])).rows[0].processed_at !== null, 'the late event processed');
    expect(await evaluations(rule)).toMatchObject({ matched: 100, loop_cut: 100 });
    expect((await q(`SELECT count(*)::int AS n FROM rule_logs WHERE rule_id = $1 AND event_id = $2`, [rule, late.event.id])).rows[0].n).toBe(0);
  });

  it('keeps delayed actions in PostgreSQL: they run after every worker restarted', async () => {
    const c = await newContact();
    const rule = await newRule({ eventType: 'lead.delayed', actions: [{ type: 'change_status', status: 'nurture', timing: { type: 'delay', hours: 2 } }] });
    await post('lead.delayed', c);
    const [p] = await eventually(async () => { const rows = await pending(rule); return rows.length === 1 && rows; }, 'the delayed action pending');
    expect(p).toMatchObject({ status: 'pending' });
    expect(new Date(p.due_at).getTime()).toBe(clock.now().getTime() + 2 * 3600_000);

    await Promise.all(sets.map((s) => s.close())); // every worker stops
    sets = [];
    clock.advance(2 * 3600_000 + 1000);
    expect((await pending(rule))[0].status).toBe('pending');
    sets = [startWorkerSet(t, clock), startWorkerSet(t, clock)]; // restart
    await eventually(async () => (await pending(rule))[0].status === 'done', 'the delayed action done');
    expect((await contactRow(c)).status).toBe('nurture');
  });

  it('cancels pending actions when the contact reaches a stop-if status (contacts API change)', async () => {
    const c = await newContact();
    const rule = await newRule({
      eventType: 'lead.stopif',
      actions: [{ type: 'email', subject: 'Still interested?', message: 'Hi', timing: { type: 'delay', days: 1 } }, { type: 'log_revenue', amount: 5, timing: { type: 'delay', days: 2 } }],
      stopIf: { statuses: ['won'] },
    });
    await post('lead.stopif', c);
    await eventually(async () => (await pending(rule)).length === 2, 'two pending actions');
    await a.api.patch(`/v1/contacts/${c}`).send({ status: 'won' }).expect(200);
    const rows = await eventually(async () => { const r = await pending(rule); return r.every((x) => x.status === 'cancelled') && r; }, 'the pending actions cancelled');
    expect(rows.map((x) => x.reason)).toEqual(['stop_if:status:won', 'stop_if:status:won']);
    const logs = await a.api.get(`/v1/rule-logs?ruleId=${rule}&outcome=cancelled`).expect(200);
    expect(logs.body.data).toHaveLength(2);
    // A new trigger for a contact already there is not scheduled at all.
    await post('lead.stopif', c);
    await eventually(async () => (await evaluations(rule)).stopped === 1, 'the stop-if evaluation');
  });

  it('waits for the schedule window in the account time zone', async () => {
    await a.api.patch('/v1/account').send({ timezone: 'America/Chicago' }).expect(200);
    clock.set('2025-01-07T09:00:00Z'); // 03:00 in Chicago
    const c = await newContact();
    const rule = await newRule({ eventType: 'lead.window', window: '9-5', actions: [{ type: 'change_status', status: 'morning' }] });
    await post('lead.window', c);
    const [p] = await eventually(async () => { const rows = await pending(rule); return rows.length === 1 && rows; }, 'the action waiting for the window');
    expect(new Date(p.due_at).toISOString()).toBe('2025-01-07T15:00:00.000Z'); // 09:00 Chicago
    clock.set('2025-01-07T15:00:01Z');
    await eventually(async () => (await contactRow(c)).status === 'morning', 'the status changed in the window');
    await a.api.patch('/v1/account').send({ timezone: 'UTC' }).expect(200);
  });

  it('flushes pending actions one by one or per rule; skip-if-pending skips a second trigger', async () => {
    const c1 = await newContact();
    const c2 = await newContact();
    const rule = await newRule({ eventType: 'lead.flush', skipIfPending: true, actions: [{ type: 'change_status', status: 'later', timing: { type: 'delay', days: 3 } }] });
    await post('lead.flush', c1);
    await post('lead.flush', c2);
    await eventually(async () => (await pending(rule)).length === 2, 'two pending actions');
    await post('lead.flush', c1);
    await eventually(async () => (await evaluations(rule)).skipped_pending === 1, 'the skip-if-pending evaluation');
    const listed = await a.api.get(`/v1/rule-pending-actions?ruleId=${rule}`).expect(200);
    expect(listed.body.data).toHaveLength(2);
    const one = listed.body.data.find((p: { contactId: string }) => p.contactId === c1);
    await a.api.delete(`/v1/rule-pending-actions/${one.id}`).expect(200);
    await a.api.delete(`/v1/rule-pending-actions/${one.id}`).expect(409);
    await a.api.post(`/v1/rules/${rule}/flush`).send({}).expect(200, { cancelled: 1 });
    expect((await pending(rule)).map((p) => p.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('respects do-not-contact and live calls, and activates a workflow with a deterministic key', async () => {
    const group = (await a.api.post('/v1/groups').send({ name: `g${++n}` }).expect(201)).body.id;
    const wf = (await a.api.post('/v1/workflows').send({
      name: `wf ${n}`, actions: [{ type: 'notification', groupIds: [group], message: 'Lead [[who]] needs help', channels: ['sms'] }],
    }).expect(201)).body.id;
    const c = await newContact({ name: 'Grace' });
    const live = await newContact({ name: 'Busy' });
    await q(`INSERT INTO calls (account_id, contact_id, provider_call_id, direction, status) VALUES ($1, $2, 'CAlive1', 'inbound', 'in-progress')`, [a.account.id, live]);
    const rule = await newRule({
      eventType: 'lead.hot',
      actions: [
        { type: 'add_to_dnc' },
        { type: 'sms', message: 'never sent', timing: { type: 'delay', minutes: 1 } },
        { type: 'activate_workflow', workflowId: wf, placeholders: { who: '{{contact.name}}' }, skipIfLiveCall: true },
      ],
    });
    const e1 = await post('lead.hot', c);
    await post('lead.hot', live);
    await eventually(async () => {
      const rows = await pending(rule);
      return rows.length === 6 && rows.filter((r) => r.action_type !== 'sms').every((r) => !['pending', 'queued', 'running'].includes(r.status));
    }, 'the immediate actions finished');
    clock.advance(61_000);
    const rows = await eventually(async () => { const r = await pending(rule); return r.every((x) => ['done', 'skipped'].includes(x.status)) && r; }, 'every action done or skipped');
    const by = (cid: string, type: string) => rows.find((r) => r.contact_id === cid && r.action_type === type);
    expect(by(c, 'sms')).toMatchObject({ status: 'skipped', reason: 'do_not_contact' });
    expect(by(c, 'activate_workflow')).toMatchObject({ status: 'done' });
    expect(by(live, 'activate_workflow')).toMatchObject({ status: 'skipped', reason: 'live_call' });
    expect((await contactRow(c)).do_not_contact).toBe(true);
    expect((await q('SELECT phone FROM dnc_numbers WHERE contact_id = $1', [c])).rows).toEqual([{ phone: (await contactRow(c)).phone }]);
    const act = await q(`SELECT source, idempotency_key, placeholders FROM activations WHERE workflow_id = $1`, [wf]);
    expect(act.rows).toEqual([{ source: 'rule', idempotency_key: `rule:${rule}:${e1}:a3`, placeholders: { who: 'Grace' } }]);
  });
});
