import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/event-types.js';
import { planQueued } from '../helpers/plan-ready.js';
import { addContact, addSimLine, DAY, HOUR, newAccount, sentTo, startSequenceEnv, type SequenceEnv } from './sequence-harness.js';

const event = (accountId: string, contactId: string, type: string, data: Record<string, unknown> = {}): DomainEvent => ({
  id: randomUUID(), accountId, type, contactId, data, source: 'api', idempotencyKey: null, causedByRule: null, chainDepth: 0, occurredAt: new Date(),
});

describe('sequence engine with a controllable clock', () => {
  let env: SequenceEnv;
  beforeAll(async () => { env = await startSequenceEnv(); });
  afterAll(async () => env?.close());

  const enrollOne = async (api: Awaited<ReturnType<typeof newAccount>>['api'], seqId: string, contactId: string, placeholders?: Record<string, string>) =>
    (await api.post(`/v1/sequences/${seqId}/enrollments`).send({ contactId, placeholders }).expect(201)).body.data[0];

  it('sends, waits out a delay in PostgreSQL, and branches the other way when the contact replies', async () => {
    const a = await newAccount(env);
    const line = await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequences').send({
      name: 'Quote follow-up', lineId: line.id,
      steps: [
        { id: 'ask', type: 'send', send: { channel: 'sms', message: 'Hi {{first_name}}, want a quote for [[job]]? Reply any time.' } },
        { id: 'wait', type: 'branch', branch: { condition: { type: 'replied' }, within: { amount: 2, unit: 'days' }, then: 'thanks', else: 'next' } },
        { id: 'nudge', type: 'send', send: { channel: 'sms', message: 'Still interested in [[job]]?' } },
        { type: 'branch', branch: { condition: { type: 'replied' }, then: 'next', else: 'end' } },
        { id: 'thanks', type: 'send', send: { channel: 'sms', message: 'Thanks {{first_name}}, we will call you.' } },
      ],
    }).expect(201)).body;
    const quiet = await addContact(env, a.id, { name: 'Quinn Quiet' });
    const talker = await addContact(env, a.id, { name: 'Rita Reply' });
    await enrollOne(a.api, seq.id, quiet, { job: 'a new roof' });
    const rita = await enrollOne(a.api, seq.id, talker, { job: 'gutters' });

    await env.tick();
    expect((await sentTo(env, quiet)).map((d) => d.payload.body)).toEqual(['Hi Quinn, want a quote for a new roof? Reply any time.']);
    const first = (await sentTo(env, talker))[0]!;
    expect(first).toMatchObject({ channel: 'sms', status: 'pending', step: 'ask', payload: { lineId: line.id, from: line.phone } });

    // Rita replies a few hours later: her branch wakes at once and takes `then`.
    await env.advance(3 * HOUR);
    const handled = await env.rt.services.sequences.signals.interceptor.intercept({
      accountId: a.id, lineId: line.id, providerId: 'SM-r1', from: '+1', to: line.phone, body: 'yes please call me', contactId: talker,
      messageId: randomUUID(), at: new Date(),
    });
    expect(handled).toEqual({ handled: true, reply: null }); // purely a sequence reply: no "unknown code" answer
    await env.tick();
    expect((await sentTo(env, talker)).map((d) => d.payload.body)).toEqual([
      'Hi Rita, want a quote for gutters? Reply any time.', 'Thanks Rita, we will call you.',
    ]);
    const status = (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${rita.id}`).expect(200)).body;
    expect(status).toMatchObject({ status: 'completed', version: 1 });
    expect(status.history.map((h: { kind: string }) => h.kind)).toEqual(['enrolled', 'sent', 'waiting', 'branch', 'sent', 'completed']);

    // Quinn stays silent: nothing before the 2-day deadline, the nudge right after it.
    await env.advance(2 * DAY - 3 * HOUR - 1000);
    expect(await sentTo(env, quiet)).toHaveLength(1);
    await env.advance(1000);
    expect((await sentTo(env, quiet)).map((d) => d.payload.body)).toEqual([
      'Hi Quinn, want a quote for a new roof? Reply any time.', 'Still interested in a new roof?',
    ]);
    const all = (await a.api.get(`/v1/sequences/${seq.id}/enrollments`).expect(200)).body.data;
    expect(all.map((e: { status: string }) => e.status)).toEqual(['completed', 'completed']);
    // Both outbound texts are in the conversation history.
    const msgs = await env.rt.infra.db.query(`SELECT direction, channel, body FROM messages WHERE contact_id = $1 ORDER BY created_at`, [quiet]);
    expect(msgs.rows).toEqual([
      { direction: 'outbound', channel: 'sms', body: 'Hi Quinn, want a quote for a new roof? Reply any time.' },
      { direction: 'outbound', channel: 'sms', body: 'Still interested in a new roof?' },
    ]);
  });

  it('an exit event mid-sequence stops it; field exits and opt-outs too', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequence-templates/payment-overdue-escalation/copy').send({}).expect(201)).body;
    const ph = { company: 'Acme', invoice_number: 'INV-7', amount_due: '$120', pay_link: 'https://pay.example/7' };
    const payer = await addContact(env, a.id, { name: 'Pat Payer', email: 'pat@example.test' });
    const stopper = await addContact(env, a.id, { name: 'Sam Stop', email: 'sam@example.test' });
    const e1 = await enrollOne(a.api, seq.id, payer, ph);
    await enrollOne(a.api, seq.id, stopper, ph);
    await env.tick();
    await env.advance(6 * DAY);
    expect((await sentTo(env, payer)).map((d) => d.channel)).toEqual(['sms', 'email']);
    expect((await sentTo(env, payer))[1]!.payload).toEqual({
      subject: 'Invoice INV-7 is 7 days overdue',
      text: 'Hello Pat,\n\nInvoice INV-7 for $120 is now 7 days overdue. Please pay today: https://pay.example/7\n\nAcme',
    });

    // invoice.paid arrives (the event pipeline calls the consumer): Pat's enrollment exits.
    await env.advance(HOUR);
    await env.rt.services.sequences.signals.consumer.handle(event(a.id, payer, 'invoice.paid', { invoice: 'INV-7' }));
    // Sam opts out of SMS.
    await env.rt.infra.db.query(`UPDATE contacts SET opted_out_channels = '{sms}' WHERE id = $1`, [stopper]);
    await env.advance(7 * DAY);
    expect((await sentTo(env, payer)).map((d) => d.channel)).toEqual(['sms', 'email']);
    expect((await sentTo(env, stopper)).map((d) => d.channel)).toEqual(['sms', 'email']);
    const pat = (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${e1.id}`).expect(200)).body;
    expect(pat).toMatchObject({ status: 'exited', exitReason: 'event:invoice.paid', nextRunAt: null });
    const stats = (await a.api.get(`/v1/sequences/${seq.id}/stats`).expect(200)).body;
    expect(stats.byStatus).toMatchObject({ exited: 2, active: 0 });
    // Nobody was flagged for collections.
    const flagged = await env.rt.infra.db.query(`SELECT count(*)::int AS n FROM contacts WHERE account_id = $1 AND status = 'collections'`, [a.id]);
    expect(flagged.rows[0].n).toBe(0);
  });

  it('runs the payment escalation to the day-30 collections flag', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequence-templates/payment-overdue-escalation/copy').send({ name: 'Overdue' }).expect(201)).body;
    const c = await addContact(env, a.id, { name: 'Lee Late', email: 'lee@example.test' });
    await enrollOne(a.api, seq.id, c, { company: 'Acme', invoice_number: 'INV-9', amount_due: '$90', pay_link: 'https://pay.example/9' });
    await env.tick();
    for (let d = 1; d <= 30; d++) await env.advance(DAY);
    expect((await sentTo(env, c)).map((d) => `${d.step}:${d.channel}`)).toEqual(['day-1-friendly:sms', 'day-7-firm:email', 'day-14-final:sms']);
    const contact = await env.rt.infra.db.query('SELECT status, custom_fields FROM contacts WHERE id = $1', [c]);
    expect(contact.rows[0]).toEqual({ status: 'collections', custom_fields: { collections: true } });
    // The update_contact step raised the events rules depend on, as an API update would.
    const events = await env.rt.infra.db.query(`SELECT type, data FROM events WHERE contact_id = $1 AND type LIKE 'contact.%' ORDER BY type`, [c]);
    expect(events.rows).toEqual([
      { type: 'contact.field_changed', data: { field: 'custom.collections', from: null, to: true } },
      { type: 'contact.status_changed', data: { from: 'active', to: 'collections' } },
    ]);
    const mine = (await a.api.get(`/v1/contacts/${c}/sequences`).expect(200)).body.data;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ sequenceName: 'Overdue', status: 'completed', stepId: null });
  });

  it('an edit while contacts are in flight: old ones finish v1, new ones get v2', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const v1 = {
      name: 'Welcome',
      steps: [
        { id: 'hello', type: 'send', send: { channel: 'sms', message: 'Welcome (v1)' } },
        { type: 'delay', delay: { amount: 1, unit: 'days' } },
        { id: 'tips', type: 'send', send: { channel: 'sms', message: 'Tips (v1)' } },
      ],
    };
    const seq = (await a.api.post('/v1/sequences').send(v1).expect(201)).body;
    const early = await addContact(env, a.id, { name: 'Early Bird' });
    await enrollOne(a.api, seq.id, early);
    await env.tick();

    const edited = (await a.api.put(`/v1/sequences/${seq.id}`).send({
      ...v1, steps: [{ id: 'hello', type: 'send', send: { channel: 'sms', message: 'Welcome (v2)' } }, { type: 'delay', delay: { amount: 2, unit: 'hours' } },
        { id: 'tips', type: 'send', send: { channel: 'sms', message: 'Tips (v2)' } }],
    }).expect(200)).body;
    expect(edited.currentVersion).toBe(2);
    const late = await addContact(env, a.id, { name: 'Late Comer' });
    const e2 = await enrollOne(a.api, seq.id, late);
    expect(e2.version).toBe(2);
    await env.tick();
    await env.advance(2 * HOUR);
    expect((await sentTo(env, late)).map((d) => d.payload.body)).toEqual(['Welcome (v2)', 'Tips (v2)']);
    expect((await sentTo(env, early)).map((d) => d.payload.body)).toEqual(['Welcome (v1)']);
    await env.advance(DAY);
    expect((await sentTo(env, early)).map((d) => d.payload.body)).toEqual(['Welcome (v1)', 'Tips (v1)']);
    const versions = (await a.api.get(`/v1/sequences/${seq.id}/versions`).expect(200)).body.data;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
  });

  it('quiet hours defer a send to the end of the window in the contact\'s zone', async () => {
    const a = await newAccount(env, { timezone: 'America/New_York', settings: { quietHours: { start: '21:00', end: '08:00' } } });
    await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequences').send({
      name: 'Evening', steps: [{ type: 'delay', delay: { amount: 12, unit: 'hours' } }, { id: 'hi', type: 'send', send: { channel: 'sms', message: 'Good morning' } }],
    }).expect(201)).body;
    env.clock.set(new Date('2026-01-06T15:00:00Z')); // 10:00 New York
    const ny = await addContact(env, a.id, { name: 'Nia York' });
    const paris = await addContact(env, a.id, { name: 'Pierre Paris', timezone: 'Europe/Paris' });
    const eNy = await enrollOne(a.api, seq.id, ny);
    await enrollOne(a.api, seq.id, paris);
    await env.tick();
    // 12 h later it is 22:00 in New York (quiet) and 04:00 in Paris (quiet).
    await env.advance(12 * HOUR);
    expect(await sentTo(env, ny)).toEqual([]);
    const waiting = (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${eNy.id}`).expect(200)).body;
    expect(waiting).toMatchObject({ waiting: 'quiet_hours', nextRunAt: '2026-01-07T13:00:00.000Z' }); // 08:00 New York
    expect(waiting.history.at(-1)).toMatchObject({ kind: 'deferred_quiet_hours', detail: { zone: 'America/New_York' } });
    // 08:00 Paris = 07:00Z: Pierre first, Nia at 13:00Z.
    env.clock.set(new Date('2026-01-07T07:00:00Z'));
    await env.tick();
    expect((await sentTo(env, paris)).map((d) => d.payload.body)).toEqual(['Good morning']);
    expect(await sentTo(env, ny)).toEqual([]);
    env.clock.set(new Date('2026-01-07T13:00:00Z'));
    await env.tick();
    expect((await sentTo(env, ny)).map((d) => d.payload.body)).toEqual(['Good morning']);
  });

  it('pause stops new enrollments while current ones keep running; unenroll stops one', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequences').send({
      name: 'Drip', steps: [{ type: 'send', send: { channel: 'sms', message: 'one' } }, { type: 'delay', delay: { amount: 1, unit: 'days' } }, { type: 'send', send: { channel: 'sms', message: 'two' } }],
    }).expect(201)).body;
    const [c1, c2, c3] = [await addContact(env, a.id, { name: 'A' }), await addContact(env, a.id, { name: 'B' }), await addContact(env, a.id, { name: 'C' })];
    const enrolled = (await a.api.post(`/v1/sequences/${seq.id}/enrollments`).send({ contactIds: [c1, c2] }).expect(201)).body.data;
    await env.tick();
    await a.api.post(`/v1/sequences/${seq.id}/pause`).expect(200);
    const refused = await a.api.post(`/v1/sequences/${seq.id}/enrollments`).send({ contactId: c3 }).expect(409);
    expect(refused.body.error).toBe('sequence_paused');
    const e2 = enrolled.find((e: { contactId: string }) => e.contactId === c2);
    await a.api.delete(`/v1/sequences/${seq.id}/enrollments/${e2.id}`).expect(200);
    await a.api.delete(`/v1/sequences/${seq.id}/enrollments/${e2.id}`).expect(409);
    await env.advance(DAY);
    expect((await sentTo(env, c1)).map((d) => d.payload.body)).toEqual(['one', 'two']);
    expect((await sentTo(env, c2)).map((d) => d.payload.body)).toEqual(['one']);
    expect(await sentTo(env, c3)).toEqual([]);
    await a.api.post(`/v1/sequences/${seq.id}/resume`).expect(200);
    await a.api.post(`/v1/sequences/${seq.id}/enrollments`).send({ contactId: c3 }).expect(201);
    // Re-enrollment is off: c1 went through it once.
    const again = await a.api.post(`/v1/sequences/${seq.id}/enrollments`).send({ contactId: c1 }).expect(409);
    expect(again.body.error).toBe('previously_enrolled');
  });

  it('skips a step the contact opted out of, records why, and goes on', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequences').send({
      name: 'Mixed', steps: [{ id: 'text', type: 'send', send: { channel: 'sms', message: 'hi' } }, { id: 'mail', type: 'send', send: { channel: 'email', subject: 'S', message: 'hello' } }],
    }).expect(201)).body;
    const c = await addContact(env, a.id, { name: 'Olive Out', email: 'olive@example.test' });
    await env.rt.infra.db.query(`UPDATE contacts SET opted_out_channels = '{sms}' WHERE id = $1`, [c]);
    const e = await enrollOne(a.api, seq.id, c);
    await env.tick();
    expect((await sentTo(env, c)).map((d) => [d.channel, d.status, d.skip_reason])).toEqual([['sms', 'skipped', 'opted_out'], ['email', 'pending', null]]);
    const h = (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${e.id}`).expect(200)).body.history;
    expect(h.map((x: { kind: string; stepId: string }) => `${x.kind}:${x.stepId}`)).toEqual(['enrolled:null', 'skipped:text', 'sent:mail', 'completed:null']);
  });

  it('claims each due enrollment once when several workers run at the same moment', async () => {
    const a = await newAccount(env);
    await addSimLine(env, a.id);
    const seq = (await a.api.post('/v1/sequences').send({ name: 'Burst', steps: [{ type: 'send', send: { channel: 'sms', message: 'once' } }] }).expect(201)).body;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await addContact(env, a.id, { name: `P${i}` }));
    await a.api.post(`/v1/sequences/${seq.id}/enrollments`).send({ contactIds: ids }).expect(201);
    const { runner } = env.rt.services.sequences;
    await Promise.all([runner.drain(), runner.drain(), runner.drain()]);
    await Promise.all([planQueued(env.rt), planQueued(env.rt)]); // the engine's planners (none run here)
    const n = await env.rt.infra.db.query(`SELECT count(*)::int AS n, count(DISTINCT contact_id)::int AS d FROM deliveries WHERE account_id = $1`, [a.id]);
    expect(n.rows[0]).toEqual({ n: 60, d: 60 });
  });
});
