/**
 * Callbacks (rule actions schedule_callback, place_call, update_callback) end to end: the public
 * API, the rules clock moved by hand, the action engine placing the agent call through the
 * official twilio SDK into the carrier emulator, which answers it, follows the TwiML (whisper,
 * then <Dial> the contact) and posts the Dial action back signed like Twilio.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCarrierEmulator, type CarrierEmulator } from '../../dev/carrier/emulator.js';
import { loadConfig } from '../../src/config.js';
import { createSecretBox } from '../../src/crypto.js';
import { createPool } from '../../src/db/db.js';
import { createLogger } from '../../src/logger.js';
import { createRuntime } from '../../src/main.js';
import { createRedis } from '../../src/redis.js';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { buildEventsAndRules } from '../../src/rules/rules-module.js';
import { addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, type TestRuntime } from '../helpers/runtime.js';
import { createTestDatabase } from '../helpers/test-db.js';

const XML = '<?xml version="1.0" encoding="UTF-8"?>';
const MIN = 60_000;

describe('rule callbacks: scheduled, placed, moved, cancelled, refused — agent first, once', () => {
  let t: TestRuntime;
  let carrier: CarrierEmulator;
  let clock: ManualClock;
  let dropDb: () => Promise<void>;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  let groupId: string;
  const agents = { ann: uniqueNumber(), bob: uniqueNumber() };
  const creds = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };

  beforeAll(async () => {
    const db = await createTestDatabase();
    dropDb = () => db.drop();
    carrier = await startCarrierEmulator({ ...creds, gatewayUrl: 'http://127.0.0.1:9', publicUrl: 'http://switchboard.test', callbackDelayMs: 5 });
    const config = loadConfig({
      ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url, DATABASE_POOL_SIZE: '8', REDIS_PREFIX: `{sbt-${randomBytes(4).toString('hex')}}`,
      SECRET_KEY: 'test-secret-key-0123456789abcdefghijklmnop', PUBLIC_URL: 'http://switchboard.test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      PORT: '0', HOST: '127.0.0.1', TWILIO_API_URL: carrier.url, RULES_POLL_INTERVAL_MS: '100', EVENTS_SWEEP_INTERVAL_MS: '100',
      SWEEP_INTERVAL_MS: '300', DELIVERY_BACKOFF_MS: '50',
    });
    clock = createManualClock(new Date());
    const rt = await createRuntime(config, { web: true, worker: true }, undefined, { clock });
    await rt.app!.ready();
    const supertest = (await import('supertest')).default;
    t = { rt, config, http: () => supertest.agent(rt.app!.server), close: () => rt.stop() };
    carrier.setGateway(await rt.listen(), config.PUBLIC_URL);
    acct = await createTestAccount(t);
    line = await addTwilioLine(t, acct.account.id, creds);
    const ids = [];
    for (const [name, phone] of [['Ann Agent', agents.ann], ['Bob Agent', agents.bob]]) {
      ids.push((await acct.api.post('/v1/contacts').send({ name, phone }).expect(201)).body.id as string);
    }
    groupId = (await acct.api.post('/v1/groups').send({ name: 'Sales desk' }).expect(201)).body.id;
    await q('INSERT INTO group_members (group_id, contact_id, account_id) SELECT $1, unnest($2::uuid[]), $3', [groupId, ids, acct.account.id]);
  }, 60_000);
  afterAll(async () => {
    await carrier?.close();
    await t?.close();
    await dropDb?.();
  });

  const q = (sql: string, args: unknown[] = []) => t.rt.infra.db.query(sql, args);
  let n = 0;
  const newLead = async (over: Record<string, unknown> = {}) => {
    const phone = uniqueNumber();
    const id = (await acct.api.post('/v1/contacts').send({ name: `Lead ${++n}`, phone, ...over }).expect(201)).body.id as string;
    return { id, phone, name: `Lead ${n}` };
  };
  const newRule = async (eventType: string, actions: unknown[], extra: Record<string, unknown> = {}) =>
    (await acct.api.post('/v1/rules').send({ name: `rule ${++n}`, eventType, actions, ...extra }).expect(201)).body.id as string;
  const post = (type: string, contactId: string, data: Record<string, unknown> = {}) =>
    acct.api.post('/v1/events').send({ type, contact: { id: contactId }, data }).expect(202);
  const callbacksOf = async (contactId: string) => (await acct.api.get(`/v1/callbacks?contactId=${contactId}`).expect(200)).body.data as Array<Record<string, any>>;
  const eventsOf = async (contactId: string, type: string) =>
    (await q('SELECT data FROM events WHERE contact_id = $1 AND type = $2 ORDER BY occurred_at', [contactId, type])).rows.map((r) => r.data);
  const callsTo = (to: string) => carrier.calls.filter((c) => c.to === to && c.direction === 'outbound-api');
  const tick = () => t.rt.services.rulesEngine.callbackCalls.tick();
  /** Nothing left to run: no open rule actions, no callback waiting or calling, emulator idle. */
  const drained = async (ruleIds: string[]) => {
    await eventually(async () => {
      const open = await q(`SELECT 1 FROM rule_pending_actions WHERE rule_id = ANY($1::uuid[]) AND status IN ('pending', 'queued', 'running')`, [ruleIds]);
      const outbox = await q(`SELECT 1 FROM outbox WHERE topic = 'event' AND completed_at IS NULL LIMIT 1`);
      return open.rowCount === 0 && outbox.rowCount === 0;
    }, 'rule actions and events drained');
    await tick();
    await carrier.settled();
  };

  let happy: { id: string; phone: string; name: string };
  let happyRule = '';

  it('books a callback 2 minutes after the event; at the due time the agent hears the whisper, then the contact is dialled', async () => {
    happy = await newLead();
    happyRule = await newRule('lead.requested', [{
      id: 'cb', type: 'schedule_callback', timing: { type: 'delay', minutes: 2 }, lineId: line.id, agentNumber: agents.ann,
      whisper: 'Callback to {{contact.name}} about {{event.product}} & more',
    }]);
    const booked = clock.now();
    await post('lead.requested', happy.id, { product: 'solar' });
    const [cb] = await eventually(async () => { const r = await callbacksOf(happy.id); return r.length === 1 && r; }, 'callback booked');
    expect(cb).toMatchObject({
      status: 'scheduled', kind: 'scheduled', ruleId: happyRule, actionId: 'cb', lineId: line.id, agentNumber: agents.ann,
      whisper: `Callback to ${happy.name} about solar & more`,
    });
    expect(new Date(cb!.dueAt).getTime()).toBe(booked.getTime() + 2 * MIN);
    await eventually(async () => (await eventsOf(happy.id, 'callback.scheduled')).length === 1, 'callback.scheduled');

    await drained([happyRule]);
    expect(callsTo(agents.ann)).toHaveLength(0); // not due yet

    clock.advance(2 * MIN);
    const [call] = await eventually(async () => { const c = callsTo(agents.ann).filter((x) => x.transcript); return c.length === 1 && c; }, 'agent called');
    expect(call!.from).toBe(line.phone);
    const deliveryId = (await callbacksOf(happy.id))[0]!.deliveryId as string;
    const docs = call!.transcript!.documents!;
    expect(docs[0]!.url).toBe(`http://switchboard.test/webhooks/twilio/outbound/notify?delivery=${deliveryId}`);
    expect(docs[0]!.twiml).toBe(`${XML}<Response><Say>Callback to ${happy.name} about solar &amp; more</Say>`
      + `<Dial callerId="${line.phone}" timeout="30" action="http://switchboard.test/webhooks/twilio/outbound/callback/dial?delivery=${deliveryId}" method="POST">`
      + `<Number>${happy.phone}</Number></Dial></Response>`);
    expect(call!.transcript!.events.filter((e) => e.kind === 'say' || e.kind === 'dial')).toEqual([
      { kind: 'say', text: `Callback to ${happy.name} about solar & more` },
      { kind: 'dial', number: happy.phone, sendDigits: null, conference: null, callerId: line.phone },
    ]);
    expect(docs[1]!.twiml).toBe(`${XML}<Response><Hangup/></Response>`);

    const [done] = await eventually(async () => { const r = await callbacksOf(happy.id); return r[0]?.status === 'completed' && r; }, 'completed');
    expect(done).toMatchObject({ answeredBy: agents.ann, talkSeconds: 30, agents: [agents.ann] });
    await drained([happyRule]);
    expect(await eventsOf(happy.id, 'callback.scheduled')).toHaveLength(1);
    expect(await eventsOf(happy.id, 'callback.completed')).toEqual([expect.objectContaining({ callbackId: done!.id, agent: agents.ann, talkSeconds: 30 })]);
    expect(await eventsOf(happy.id, 'callback.failed')).toEqual([]);
    expect(callsTo(agents.ann)).toHaveLength(1);
    const delivery = (await q('SELECT status, provider_id FROM deliveries WHERE id = $1', [done!.deliveryId])).rows[0];
    expect(delivery).toEqual({ status: 'answered', provider_id: call!.sid });
  });

  it('an agent who answered but hung up before the contact was dialled: callback.failed (agent_hung_up) a minute after the call ended', async () => {
    const lead = await newLead();
    const [done] = await callbacksOf(happy.id);
    const row = await q(
      `INSERT INTO callbacks (account_id, contact_id, kind, line_id, agent_number, whisper, due_at, status, agents, delivery_id, answered_by, claimed_at)
       VALUES ($1, $2, 'immediate', $3, $4, 'x', now(), 'calling', ARRAY[$4], $5, $4, now()) RETURNING id`,
      [acct.account.id, lead.id, line.id, agents.ann, done!.deliveryId],
    );
    await tick();
    expect((await callbacksOf(lead.id))[0]!.status).toBe('calling'); // the agent call ended under a minute ago
    await q(`UPDATE calls SET ended_at = now() - interval '2 minutes' WHERE provider_call_id = (SELECT provider_id FROM deliveries WHERE id = $1)`, [done!.deliveryId]);
    // The worker's own callback poller may hold the row at this moment (its batch claims with SKIP
    // LOCKED, so this tick then passes it by): tick until a batch has run it.
    await eventually(async () => (await tick(), (await callbacksOf(lead.id))[0]!.status !== 'calling'), 'the hung-up callback ended', 10_000);
    expect((await callbacksOf(lead.id))[0]).toMatchObject({ id: row.rows[0].id, status: 'failed', reason: 'agent_hung_up' });
    expect(await eventsOf(lead.id, 'callback.failed')).toEqual([expect.objectContaining({ reason: 'agent_hung_up', agent: agents.ann })]);
  });

  it('update_callback moves the next callback; the API cancels it: nothing rings, even long after', async () => {
    const lead = await newLead();
    const book = await newRule('lead.wants_call', [{ type: 'schedule_callback', timing: { type: 'delay', minutes: 2 }, lineId: line.id, agentGroupId: groupId }]);
    const move = await newRule('lead.busy', [{ type: 'update_callback', operation: 'move', moveBy: { hours: 1 } }]);
    await post('lead.wants_call', lead.id);
    const [cb] = await eventually(async () => { const r = await callbacksOf(lead.id); return r.length === 1 && r; }, 'booked');
    const movedAt = clock.now();
    await post('lead.busy', lead.id);
    const [moved] = await eventually(async () => { const r = await callbacksOf(lead.id); return r[0]?.reason === 'moved' && r; }, 'moved');
    expect(new Date(moved!.dueAt).getTime()).toBe(movedAt.getTime() + 60 * MIN);
    expect(moved!.status).toBe('scheduled');

    clock.advance(3 * MIN); // the original time passes
    await drained([book, move]);
    expect((await callbacksOf(lead.id))[0]!.status).toBe('scheduled');

    const cancelled = await acct.api.post(`/v1/callbacks/${cb!.id}/cancel`).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', reason: 'api' });
    await acct.api.post(`/v1/callbacks/${cb!.id}/cancel`).expect(409);
    clock.advance(2 * 60 * MIN);
    await drained([book, move]);
    expect((await q(`SELECT count(*)::int AS n FROM deliveries WHERE payload->'callback'->>'id' = $1`, [cb!.id])).rows[0].n).toBe(0);
    expect(carrier.calls.filter((c) => c.transcript?.events.some((e) => e.kind === 'dial' && e.number === lead.phone))).toEqual([]);
    expect(await eventsOf(lead.id, 'callback.completed')).toEqual([]);
  });

  it('a do-not-contact contact: no call, the refusal logged, callback.failed (do_not_contact) once', async () => {
    const lead = await newLead({ doNotContact: true });
    const rule = await newRule('lead.call_me', [{ id: 'now', type: 'place_call', lineId: line.id, agentNumber: agents.bob }]);
    await post('lead.call_me', lead.id);
    const [cb] = await eventually(async () => { const r = await callbacksOf(lead.id); return r.length === 1 && r; }, 'refused callback stored');
    expect(cb).toMatchObject({ status: 'failed', reason: 'do_not_contact', kind: 'immediate' });
    await drained([rule]);
    const log = (await q(`SELECT outcome, detail FROM rule_logs WHERE rule_id = $1 AND kind = 'action' AND outcome <> 'scheduled'`, [rule])).rows;
    expect(log).toEqual([{ outcome: 'skipped', detail: { reason: 'do_not_contact', callbackId: cb!.id } }]);
    expect(await eventsOf(lead.id, 'callback.failed')).toEqual([expect.objectContaining({ callbackId: cb!.id, reason: 'do_not_contact' })]);
    expect(callsTo(agents.bob)).toHaveLength(0);
  });

  it('a contact who opts out of calls while the agent is being rung is not dialled when the agent answers', async () => {
    const lead = await newLead();
    const deliveryId = randomUUID();
    const cb = (await q(
      `INSERT INTO callbacks (account_id, contact_id, kind, line_id, whisper, due_at, status, agents, delivery_id)
       VALUES ($1, $2, 'immediate', $3, 'Call them back', now(), 'calling', ARRAY[$4], $5) RETURNING id`,
      [acct.account.id, lead.id, line.id, agents.ann, deliveryId],
    )).rows[0].id as string;
    await q(`UPDATE contacts SET opted_out_channels = array_append(opted_out_channels, 'voice') WHERE id = $1`, [lead.id]);
    expect(await t.rt.services.rulesEngine.callbackCalls.connect(deliveryId)).toMatchObject({ ok: false, reason: 'do_not_contact' });
    expect((await callbacksOf(lead.id)).find((c) => c.id === cb)).toMatchObject({ status: 'failed', reason: 'do_not_contact' });
  });

  it('group agents ring one after another; a contact who does not answer fails the callback with no_answer', async () => {
    const lead = await newLead();
    carrier.setBehaviour(agents.ann, { answer: 'no-answer' });
    carrier.setBehaviour(agents.bob, { dial: { [lead.phone]: { status: 'no-answer' } } });
    try {
      const rule = await newRule('lead.hot', [{ type: 'place_call', lineId: line.id, agentGroupId: groupId, whisper: 'Hot lead {{contact.name}}' }]);
      await post('lead.hot', lead.id);
      const [cb] = await eventually(async () => { const r = await callbacksOf(lead.id); return r[0]?.status === 'failed' && r; }, 'failed', 20_000);
      expect(cb).toMatchObject({ reason: 'no_answer', agents: [agents.ann, agents.bob], agentIndex: 1, answeredBy: agents.bob });
      await drained([rule]);
      const annCalls = callsTo(agents.ann).filter((c) => c.status === 'no-answer');
      expect(annCalls.length).toBeGreaterThanOrEqual(1);
      const bobCall = callsTo(agents.bob).find((c) => c.transcript?.heard.includes(`Hot lead ${lead.name}`))!;
      expect(bobCall.transcript!.heard).toEqual([`Hot lead ${lead.name}`, 'The contact did not answer. Goodbye.']);
      expect(bobCall.transcript!.events).toContainEqual({ kind: 'dial-leg', number: lead.phone, callSid: expect.any(String), status: 'no-answer', talkSeconds: 0 });
      expect(await eventsOf(lead.id, 'callback.failed')).toEqual([expect.objectContaining({ reason: 'no_answer', agent: agents.bob })]);
    } finally {
      carrier.setBehaviour(agents.ann, {});
      carrier.setBehaviour(agents.bob, {});
    }
  });

  it('two worker processes racing for the same due callbacks place each call once', async () => {
    const leads = await Promise.all([newLead(), newLead(), newLead(), newLead()]);
    const sets = [0, 1].map(() => {
      const db = createPool(t.config.DATABASE_URL, 4);
      const redis = createRedis(t.config.REDIS_URL);
      const m = buildEventsAndRules({ db, redis, config: t.config, logger: createLogger('silent'), secrets: createSecretBox(t.config.SECRET_KEY), clock });
      return { m, async close() { await m.queues.plans.close(); await redis.quit(); await db.end(); } };
    });
    const far = new Date(clock.now().getTime() + 24 * 60 * MIN);
    const ids: string[] = [];
    for (const l of leads) {
      const r = await q(
        `INSERT INTO callbacks (account_id, contact_id, kind, line_id, agent_number, whisper, due_at) VALUES ($1, $2, 'scheduled', $3, $4, 'Race', $5) RETURNING id`,
        [acct.account.id, l.id, line.id, agents.bob, far],
      );
      ids.push(r.rows[0].id);
    }
    clock.set(new Date(far.getTime() + 1000));
    await Promise.all([...sets.map((s) => s.m.callbackCalls.placeDue()), ...sets.map((s) => s.m.callbackCalls.placeDue()), tick()]);
    await Promise.all(sets.map((s) => s.close()));
    const rows = await eventually(async () => {
      const r = await q('SELECT id, status FROM callbacks WHERE id = ANY($1::uuid[])', [ids]);
      return r.rows.every((x) => x.status === 'completed') && r.rows;
    }, 'all completed', 20_000);
    expect(rows).toHaveLength(4);
    const deliveries = await q(`SELECT payload->'callback'->>'id' AS cb FROM deliveries WHERE payload->'callback'->>'id' = ANY($1::text[])`, [ids]);
    expect(deliveries.rows.map((r) => r.cb).sort()).toEqual([...ids].sort());
    await carrier.settled();
    for (const l of leads) {
      expect(carrier.calls.filter((c) => c.transcript?.events.some((e) => e.kind === 'dial' && e.number === l.phone))).toHaveLength(1);
      expect(await eventsOf(l.id, 'callback.completed')).toHaveLength(1);
    }
  });

  it('times a callback from the contact\'s last call (a stored call, matched by number), and stamps it when called back', async () => {
    const lead = await newLead();
    const calledAt = new Date(clock.now().getTime() - 30 * MIN);
    await q(
      `INSERT INTO calls (account_id, line_id, provider_call_id, direction, from_number, to_number, status, started_at) VALUES ($1, $2, $3, 'inbound', $4, $5, 'completed', $6)`,
      [acct.account.id, line.id, `CA${randomBytes(16).toString('hex')}`, lead.phone, line.phone, calledAt],
    );
    expect((await q('SELECT last_called_at FROM contacts WHERE id = $1', [lead.id])).rows[0].last_called_at).toEqual(calledAt);
    const rule = await newRule('lead.followup', [{
      type: 'schedule_callback', timing: { type: 'relative', field: 'contact.lastCalledAt', direction: 'after', hours: 2 }, lineId: line.id, agentNumber: agents.ann,
    }]);
    await post('lead.followup', lead.id);
    const [cb] = await eventually(async () => { const r = await callbacksOf(lead.id); return r.length === 1 && r; }, 'booked');
    expect(new Date(cb!.dueAt).getTime()).toBe(calledAt.getTime() + 120 * MIN);
    await acct.api.patch(`/v1/callbacks/${cb!.id}`).send({ dueAt: clock.now().toISOString() }).expect(200);
    await eventually(async () => (await callbacksOf(lead.id))[0]?.status === 'completed', 'called back');
    const stamped = (await q('SELECT last_called_at FROM contacts WHERE id = $1', [lead.id])).rows[0].last_called_at as Date;
    expect(stamped.getTime()).toBeGreaterThan(calledAt.getTime());
    await drained([rule]);
  });

  it('quiet hours: a scheduled callback waits for their end; a call-now is refused (quiet_hours)', async () => {
    const now = clock.now();
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const end = new Date(Math.ceil((now.getTime() + 60 * MIN) / MIN) * MIN);
    await acct.api.patch('/v1/account').send({ timezone: 'UTC', settings: { quietHours: { start: hhmm(new Date(now.getTime() - 60 * MIN)), end: hhmm(end) } } }).expect(200);
    const lead = await newLead();
    const rule = await newRule('lead.night', [
      { id: 'later', type: 'schedule_callback', timing: { type: 'delay', minutes: 2 }, lineId: line.id, agentNumber: agents.ann },
      { id: 'now', type: 'place_call', lineId: line.id, agentNumber: agents.ann },
    ]);
    await post('lead.night', lead.id);
    const rows = await eventually(async () => { const r = await callbacksOf(lead.id); return r.length === 2 && r; }, 'both handled');
    const later = rows.find((r) => r.actionId === 'later')!;
    const nowCb = rows.find((r) => r.actionId === 'now')!;
    expect(later).toMatchObject({ status: 'scheduled' });
    expect(new Date(later.dueAt).toISOString()).toBe(end.toISOString());
    expect(nowCb).toMatchObject({ status: 'failed', reason: 'quiet_hours' });
    await drained([rule]);
    expect(await eventsOf(lead.id, 'callback.failed')).toEqual([expect.objectContaining({ callbackId: nowCb.id, reason: 'quiet_hours' })]);
    await acct.api.patch('/v1/account').send({ settings: { quietHours: null } }).expect(200);
  });

  it('validates callback actions with 400s naming the field; the rule field catalogue lists them', async () => {
    const bad = async (action: Record<string, unknown>, path: string) => {
      const r = await acct.api.post('/v1/rules').send({ name: 'bad', eventType: 'lead.x', actions: [action] }).expect(400);
      expect(r.body.details.map((d: { path: string }) => d.path)).toContain(path);
    };
    const other = '00000000-0000-4000-8000-000000000001';
    await bad({ type: 'schedule_callback', lineId: other, agentNumber: agents.ann }, 'actions.0.lineId');
    await bad({ type: 'schedule_callback', lineId: line.id, agentGroupId: other }, 'actions.0.agentGroupId');
    await bad({ type: 'place_call', lineId: line.id }, 'actions.0.agentGroupId');
    await bad({ type: 'place_call', lineId: line.id, agentNumber: '555' }, 'actions.0.agentNumber');
    await bad({ type: 'place_call', lineId: line.id, agentNumber: agents.ann, agentGroupId: groupId }, 'actions.0.agentNumber');
    await bad({ type: 'update_callback', operation: 'move' }, 'actions.0.moveBy');
    await acct.api.get('/v1/callbacks?status=nope').expect(400);
    await acct.api.get('/v1/callbacks?from=yesterday').expect(400);
    await acct.api.get(`/v1/callbacks/${other}`).expect(404);
    const fields = await acct.api.get('/v1/rules/fields').expect(200);
    expect(fields.body.actionTypes).toEqual(expect.arrayContaining(['schedule_callback', 'place_call', 'update_callback']));
    expect(fields.body.contactFields).toEqual(expect.arrayContaining([{ path: 'contact.lastCalledAt', key: 'lastCalledAt', type: 'date', writable: false }]));
    expect(fields.body.eventTypes.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['callback.scheduled', 'callback.completed', 'callback.failed']));
  });
});
