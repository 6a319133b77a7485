import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Issue 19 leftover: rule SMS actions, sequence SMS steps and call tracking's SMS to the caller are
 * judged on save by the length the carrier will count (fields and placeholders empty), as workflows are.
 */
describe('SMS length checked when rules, sequences and tracking workflows are saved', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
  });
  afterAll(async () => t?.close());
  const x = (n: number) => 'x'.repeat(n);
  const rule = (message: string, eventType = 'call.ended') => a.api.post('/v1/rules').send({ name: `r ${message.length}`, eventType, actions: [{ type: 'sms', message }] });

  it('rule SMS actions: too long without its fields is a 400 naming the field; fields do not count; the texter\'s words keep room', async () => {
    const long = await rule(x(1650)).expect(400);
    expect(long.body.details).toEqual([{ path: 'actions.0.message', message: 'the text is 1650 characters without its fields; the carrier accepts at most 1600: shorten it by 50' }]);
    // 1,590 fixed characters plus a field written with 33 more: what counts is what is sent.
    await rule(`${x(1590)}{{contact.custom.membership_level}}`).expect(201);
    const room = await rule(`Reply from contact: ${x(1480)} {{event.body}}`, 'message.received').expect(400);
    expect(room.body.details).toEqual([{ path: 'actions.0.message', message: 'the text is 1501 characters, leaving 99 for {{event.body}}; leave at least 160 (shorten it by 61)' }]);
    await rule(`Reply: {{event.body}} ${x(1300)}`, 'message.received').expect(201);
  });

  it('sequence SMS steps, on create, update and when a step is added', async () => {
    const bad = await a.api.post('/v1/sequences').send({
      name: 'Long', steps: [{ type: 'delay', delay: { amount: 1, unit: 'days' } }, { type: 'send', send: { channel: 'sms', message: `Hi {{first_name}} ${x(1700)}` } }],
    }).expect(400);
    expect(bad.body.details).toEqual([{ path: 'steps.1.send.message', message: 'the text is 1704 characters without its fields; the carrier accepts at most 1600: shorten it by 104' }]);
    const seq = (await a.api.post('/v1/sequences').send({
      name: 'Ok', steps: [{ type: 'send', send: { channel: 'sms', message: `${x(1590)} [[a_long_placeholder_name]]` } }],
    }).expect(201)).body;
    const step = await a.api.post(`/v1/sequences/${seq.id}/steps`).send({ type: 'send', send: { channel: 'sms', message: x(1601) } }).expect(400);
    expect(step.body.details).toEqual([{ path: 'steps.1.send.message', message: 'the text is 1601 characters without its fields; the carrier accepts at most 1600: shorten it by 1' }]);
    expect((await a.api.get(`/v1/sequences/${seq.id}`).expect(200)).body.steps).toHaveLength(1);
  });

  it('call tracking SMS to the caller', async () => {
    const bad = await a.api.post('/v1/tracking-workflows').send({ name: 'Missed', trigger: 'missed', actions: [{ type: 'sms_caller', message: `Sorry {{caller}} ${x(1620)}` }] }).expect(400);
    expect(bad.body.details).toEqual([{ path: 'actions.0.message', message: 'the text is 1627 characters without its fields; the carrier accepts at most 1600: shorten it by 27' }]);
    await a.api.post('/v1/tracking-workflows').send({ name: 'Missed ok', trigger: 'missed', actions: [{ type: 'sms_caller', message: `Sorry {{caller}} ${x(1500)}` }] }).expect(201);
  });
});
