import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedSubscriber, type FeedEvent } from '../../src/engine/feed.js';
import { addContacts, addGroup, addTwilioLine, messageSid, signedPost, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';

describe('notification polls: SMS replies, key presses, results', () => {
  let t: TestRuntime;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  let people: { ann: string; bob: string; cy: string };
  const phones = { ann: uniqueNumber(), bob: uniqueNumber(), cy: uniqueNumber(), stranger: uniqueNumber() };
  let groupId: string;
  let sidSeq = 1000;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    acct = await createTestAccount(t);
    line = await addTwilioLine(t, acct.account.id);
    const [ann, bob, cy] = await addContacts(t, acct.account.id, [
      { name: 'Ann', phone: phones.ann }, { name: 'Bob', phone: phones.bob }, { name: 'Cy', phone: phones.cy },
    ]);
    people = { ann: ann!, bob: bob!, cy: cy! };
    groupId = await addGroup(t, acct.account.id, 'Floor 3', Object.values(people));
  });
  afterAll(async () => t?.close());

  const polls = () => t.rt.services.channels.polls;
  const spec = { question: 'Are you safe?', options: ['Safe', 'Need help', 'Not on site'], durationMinutes: 30 };

  /** What the planner does: an activation, its poll, one SMS delivery per person. */
  const pollActivation = async (key: string, who: Array<keyof typeof people> = ['ann', 'bob', 'cy']) => {
    const wf = await acct.api.post('/v1/workflows').send({
      name: `Roll call ${key}`,
      actions: [{ id: 'n1', type: 'notification', groupIds: [groupId], message: 'Fire alarm on floor 3', channels: ['sms'], poll: spec }],
    }).expect(201);
    const { activation } = await t.rt.services.activations.activate({ accountId: acct.account.id, workflowId: wf.body.id, source: 'api', idempotencyKey: key });
    const { pollId } = await polls().createPoll({ accountId: acct.account.id, activationId: activation.id, actionId: 'n1', poll: spec });
    const deliveries: Record<string, string> = {};
    for (const p of who) {
      const d = await t.rt.infra.db.query(
        `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status)
         VALUES ($1, $2, 'n1', $3::text, $3::uuid, 'sms', $4, 'sent') RETURNING id`,
        [acct.account.id, activation.id, people[p], phones[p]],
      );
      deliveries[p] = d.rows[0].id;
    }
    return { activationId: activation.id, pollId, deliveries };
  };

  const sms = (from: string, body: string, sid = messageSid(++sidSeq)) =>
    signedPost(t.http(), PUB, '/webhooks/twilio/sms', { MessageSid: sid, AccountSid: line.accountSid, From: from, To: line.phone, Body: body }, { authToken: line.authToken }).expect(200);
  const replyOf = (res: { text: string }) => /<Message>([\s\S]*)<\/Message>/.exec(res.text)?.[1] ?? null;
  const results = async (activationId: string) => (await acct.api.get(`/v1/activations/${activationId}/polls`).expect(200)).body.data;

  it('creates one poll per activation action, however often the planner asks', async () => {
    const a = await pollActivation('idem');
    const again = await polls().createPoll({ accountId: acct.account.id, activationId: a.activationId, actionId: 'n1', poll: { ...spec, question: 'changed?' } });
    expect(again.pollId).toBe(a.pollId);
    const [poll] = await results(a.activationId);
    expect(poll).toMatchObject({ id: a.pollId, question: 'Are you safe?', closed: false, answerCount: 0 });
    const minutes = (Date.parse(poll.closesAt) - Date.parse(poll.openedAt)) / 60_000;
    expect(minutes).toBeCloseTo(30, 1);
  });

  it('records SMS answers by option number, confirms them, and lets the last answer win', async () => {
    const a = await pollActivation('sms-flow');
    const feedEvents: FeedEvent[] = [];
    const sub = createFeedSubscriber(t.rt.infra.redis, t.config.REDIS_PREFIX);
    const unsubscribe = await sub.subscribe(acct.account.id, a.activationId, (ev) => feedEvents.push(...ev));
    try {
      const first = await sms(phones.ann, ' 2 ', messageSid(5001));
      expect(replyOf(first)).toBe('Answer recorded: 2 (Need help). Reply another number to change it.');
      // The carrier retries the same message: same confirmation, nothing changes.
      const retry = await sms(phones.ann, ' 2 ', messageSid(5001));
      expect(replyOf(retry)).toBe('Answer recorded: 2 (Need help). Reply another number to change it.');
      // Ann corrects herself; then a late retry of her first text must not undo it.
      expect(replyOf(await sms(phones.ann, '1.', messageSid(5002)))).toBe('Answer recorded: 1 (Safe). Reply another number to change it.');
      expect(replyOf(await sms(phones.ann, '2', messageSid(5001)))).toBe('Answer recorded: 2 (Need help). Reply another number to change it.');

      expect(replyOf(await sms(phones.bob, '7'))).toMatch(/^Reply with a number from 1 to 3 to answer .Are you safe\?.\.$/);
      await sms(phones.cy, '#3');

      const [poll] = await results(a.activationId);
      expect(poll.options).toEqual([{ number: 1, text: 'Safe', count: 1 }, { number: 2, text: 'Need help', count: 0 }, { number: 3, text: 'Not on site', count: 1 }]);
      expect(poll.answerCount).toBe(2);
      const byName = Object.fromEntries(poll.answers.map((x: { contactName: string }) => [x.contactName, x]));
      expect(byName.Ann).toMatchObject({ contactId: people.ann, option: 1, optionText: 'Safe', channel: 'sms', changes: 1 });
      expect(byName.Cy).toMatchObject({ option: 3, optionText: 'Not on site', channel: 'sms', changes: 0 });
      expect(byName.Bob).toBeUndefined();

      await expect.poll(() => feedEvents.length, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
      expect(feedEvents[0]).toMatchObject({ type: 'poll_answer', activationId: a.activationId, pollId: a.pollId, contactId: people.ann, option: 2, channel: 'sms' });
      // A typed feed event (no cast): Cy's answer arrives as option 3.
      const cy = () => feedEvents.flatMap((e) => (e.type === 'poll_answer' && e.contactId === people.cy ? [e.option] : []));
      await expect.poll(cy, { timeout: 3000 }).toEqual([3]);
    } finally {
      await unsubscribe();
      await sub.close();
    }
  });

  it('leaves texts that are not an option number, and people who were not polled, to the rest of the gateway', async () => {
    const a = await pollActivation('not-ours', ['ann']);
    const before = (await results(a.activationId))[0].answerCount;
    const words = await sms(phones.ann, 'I am fine');
    expect(replyOf(words)).not.toMatch(/Answer recorded/);
    const stranger = await sms(phones.stranger, '1');
    expect(replyOf(stranger) ?? '').not.toMatch(/Answer recorded/);
    expect((await results(a.activationId))[0].answerCount).toBe(before);
  });

  it('takes key presses from the notification call, and refuses options that do not exist', async () => {
    const a = await pollActivation('voice');
    const base = { accountId: acct.account.id, pollId: a.pollId, contactId: people.bob, channel: 'voice' as const, deliveryId: a.deliveries.bob! };
    expect(await polls().recordAnswer({ ...base, option: 3 })).toBe(true);
    expect(await polls().recordAnswer({ ...base, option: 3 })).toBe(true);
    expect(await polls().recordAnswer({ ...base, option: 4 })).toBe(false);
    expect(await polls().recordAnswer({ ...base, option: 0 })).toBe(false);
    expect(await polls().recordAnswer({ ...base, accountId: (await createTestAccount(t)).account.id, option: 1 })).toBe(false);
    const [poll] = await results(a.activationId);
    expect(poll.answers).toMatchObject([{ contactName: 'Bob', option: 3, channel: 'voice', changes: 0 }]);
  });

  it('answers the latest open poll sent to the person', async () => {
    const older = await pollActivation('older');
    const newer = await pollActivation('newer');
    expect(replyOf(await sms(phones.cy, '2'))).toMatch(/Answer recorded: 2/);
    expect((await results(older.activationId))[0].answerCount).toBe(0);
    expect((await results(newer.activationId))[0].answers).toMatchObject([{ contactName: 'Cy', option: 2 }]);
  });

  it('closes after its duration: no more answers, results say closed', async () => {
    const a = await pollActivation('closing', ['ann']);
    expect(replyOf(await sms(phones.ann, '1'))).toMatch(/Answer recorded/);
    await t.rt.infra.db.query(`UPDATE polls SET closes_at = now() - interval '1 second' WHERE id = $1`, [a.pollId]);
    // Any other open poll for Ann from earlier tests is closed too, so nothing takes the reply.
    await t.rt.infra.db.query(`UPDATE polls SET closes_at = now() - interval '1 second' WHERE account_id = $1`, [acct.account.id]);
    expect(replyOf(await sms(phones.ann, '2')) ?? '').not.toMatch(/Answer recorded/);
    expect(await polls().recordAnswer({ accountId: acct.account.id, pollId: a.pollId, contactId: people.ann, option: 2, channel: 'voice', deliveryId: null })).toBe(false);
    const [poll] = await results(a.activationId);
    expect(poll).toMatchObject({ closed: true, answerCount: 1, answers: [{ contactName: 'Ann', option: 1 }] });
  });

  it('scopes results to the account', async () => {
    const a = await pollActivation('scoped', ['ann']);
    const other = await createTestAccount(t);
    await other.api.get(`/v1/activations/${a.activationId}/polls`).expect(404);
    await other.api.get(`/v1/polls/${a.pollId}`).expect(404);
    const one = await acct.api.get(`/v1/polls/${a.pollId}`).expect(200);
    expect(one.body).toMatchObject({ id: a.pollId, activationId: a.activationId, actionId: 'n1' });
    await acct.api.get('/v1/activations/not-a-uuid/polls').expect(400);
    await acct.api.get('/v1/activations/00000000-0000-4000-8000-000000000000/polls').expect(404);
  });
});
