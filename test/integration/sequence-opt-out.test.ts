import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_ACCOUNT_SID, simulatorAuthToken } from '../../src/carriers/simulator-credentials.js';
import { messageSid, signedPost } from '../helpers/carrier-fixtures.js';
import { addContact, addSimLine, DAY, newAccount, phone, sentTo, startSequenceEnv, type SequenceEnv } from './sequence-harness.js';

/** Issue 19: STOP ended a sequence only when its next step came due (days later). */
describe('a carrier opt-out exits the contact\'s sequences at once', () => {
  let env: SequenceEnv;
  let sid = 7000;
  beforeAll(async () => { env = await startSequenceEnv(); });
  afterAll(async () => env?.close());

  const text = (line: { phone: string }, from: string, body: string) =>
    signedPost(env.http(), env.config.PUBLIC_URL, '/webhooks/twilio/sms', {
      MessageSid: messageSid(++sid), AccountSid: SIMULATOR_ACCOUNT_SID, From: from, To: line.phone, Body: body,
    }, { authToken: simulatorAuthToken(env.config.SECRET_KEY) }).expect(200);

  const drip = (api: Awaited<ReturnType<typeof newAccount>>['api'], name: string, lineId: string) => api.post('/v1/sequences').send({
    name, lineId,
    steps: [
      { id: 'hello', type: 'send', send: { channel: 'sms', message: `${name}: hello` } },
      { type: 'delay', delay: { amount: 3, unit: 'days' } },
      { id: 'nudge', type: 'send', send: { channel: 'email', subject: 'Still there?', message: 'Checking in.' } },
    ],
  }).expect(201).then((r) => r.body.id as string);

  it('STOP exits every active enrollment of the contact with the reason, before any step comes due', async () => {
    const a = await newAccount(env);
    const line = await addSimLine(env, a.id);
    const seqA = await drip(a.api, 'Onboarding', line.id);
    const seqB = await drip(a.api, 'Renewal', line.id);
    const number = phone();
    const sam = await addContact(env, a.id, { name: 'Sam Stop', phone: number, email: 'sam@example.test' });
    const kim = await addContact(env, a.id, { name: 'Kim Keep', email: 'kim@example.test' });
    // The same number in another account stays enrolled there.
    const b = await newAccount(env);
    const lineB = await addSimLine(env, b.id);
    const seqOther = await drip(b.api, 'Other', lineB.id);
    const samElsewhere = await addContact(env, b.id, { name: 'Sam Elsewhere', phone: number, email: 'sam2@example.test' });

    const enroll = (api: typeof a.api, seq: string, contactId: string) =>
      api.post(`/v1/sequences/${seq}/enrollments`).send({ contactId }).expect(201).then((r) => r.body.data[0].id as string);
    const e1 = await enroll(a.api, seqA, sam);
    const e2 = await enroll(a.api, seqB, sam);
    const keep = await enroll(a.api, seqA, kim);
    const other = await enroll(b.api, seqOther, samElsewhere);
    await env.tick();
    expect((await sentTo(env, sam)).map((d) => d.payload.body)).toEqual(['Onboarding: hello', 'Renewal: hello']);

    // Sam texts STOP: the usual confirmation, and both enrollments end now (no tick, no clock move).
    const res = await text(line, number, ' stop ');
    expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
      + 'You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.</Message></Response>');
    for (const [seq, id] of [[seqA, e1], [seqB, e2]] as const) {
      const e = (await a.api.get(`/v1/sequences/${seq}/enrollments/${id}`).expect(200)).body;
      expect(e).toMatchObject({ status: 'exited', exitReason: 'opted_out', waiting: 'none', nextRunAt: null, endedAt: env.clock.now().toISOString() });
      expect(e.history.at(-1)).toMatchObject({ kind: 'exited', detail: { reason: 'opted_out', keyword: 'STOP' } });
    }
    expect((await a.api.get(`/v1/sequences/${seqA}/enrollments/${keep}`).expect(200)).body.status).toBe('active');
    expect((await b.api.get(`/v1/sequences/${seqOther}/enrollments/${other}`).expect(200)).body.status).toBe('active');
    const stats = (await a.api.get(`/v1/sequences/${seqA}/stats`).expect(200)).body;
    expect(stats.byStatus).toMatchObject({ active: 1, exited: 1 });

    // Days later the e-mail step comes due: Kim gets it, Sam gets nothing more (not even by e-mail).
    await env.advance(3 * DAY + 1000);
    expect((await sentTo(env, sam)).map((d) => d.channel)).toEqual(['sms', 'sms']);
    expect((await sentTo(env, kim)).map((d) => d.channel)).toEqual(['sms', 'email']);
  });

  it('every opt-out keyword does it (UNSUBSCRIBE, any case); a repeated STOP changes nothing', async () => {
    const a = await newAccount(env);
    const line = await addSimLine(env, a.id);
    const seq = await drip(a.api, 'Quote', line.id);
    const number = phone();
    const lee = await addContact(env, a.id, { name: 'Lee', phone: number });
    const id = (await a.api.post(`/v1/sequences/${seq}/enrollments`).send({ contactId: lee }).expect(201)).body.data[0].id;
    await text(line, number, 'Unsubscribe');
    const e = (await a.api.get(`/v1/sequences/${seq}/enrollments/${id}`).expect(200)).body;
    expect(e).toMatchObject({ status: 'exited', exitReason: 'opted_out' });
    expect(e.history.map((h: { kind: string }) => h.kind)).toEqual(['enrolled', 'exited']);
    await text(line, number, 'STOP');
    const again = (await a.api.get(`/v1/sequences/${seq}/enrollments/${id}`).expect(200)).body;
    expect(again.history.map((h: { kind: string }) => h.kind)).toEqual(['enrolled', 'exited']);
    await env.tick();
    expect(await sentTo(env, lee)).toEqual([]);
  });
});
