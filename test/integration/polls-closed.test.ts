import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContacts, addGroup, addTwilioLine, messageSid, signedPost, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const PUB = 'http://switchboard.test';

/** Issue 19: a late answer to a closed poll was answered "Code not recognised…". */
describe('late answers to a closed poll', () => {
  let t: TestRuntime;
  let acct: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  const phones = { ann: uniqueNumber(), stranger: uniqueNumber() };
  let ann: string;
  let groupId: string;
  let sidSeq = 9000;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    acct = await createTestAccount(t);
    line = await addTwilioLine(t, acct.account.id);
    [ann] = (await addContacts(t, acct.account.id, [{ name: 'Ann', phone: phones.ann }])) as [string];
    groupId = await addGroup(t, acct.account.id, 'Floor 3', [ann]);
  });
  afterAll(async () => t?.close());

  const spec = { question: 'Are you safe?', options: ['Safe', 'Need help'], durationMinutes: 30 };
  const pollFor = async (key: string) => {
    const wf = await acct.api.post('/v1/workflows').send({
      name: `Roll call ${key}`,
      actions: [{ id: 'n1', type: 'notification', groupIds: [groupId], message: 'Fire alarm', channels: ['sms'], poll: spec }],
    }).expect(201);
    const { activation } = await t.rt.services.activations.activate({ accountId: acct.account.id, workflowId: wf.body.id, source: 'api', idempotencyKey: key });
    const { pollId } = await t.rt.services.channels.polls.createPoll({ accountId: acct.account.id, activationId: activation.id, actionId: 'n1', poll: spec });
    await t.rt.infra.db.query(
      `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status)
       VALUES ($1, $2, 'n1', $3::text, $3::uuid, 'sms', $4, 'sent')`,
      [acct.account.id, activation.id, ann, phones.ann],
    );
    return { activationId: activation.id, pollId };
  };
  const sms = (from: string, body: string) =>
    signedPost(t.http(), PUB, '/webhooks/twilio/sms', { MessageSid: messageSid(++sidSeq), AccountSid: line.accountSid, From: from, To: line.phone, Body: body }, { authToken: line.authToken }).expect(200);

  it('tells the person the poll is closed, stores nothing, and leaves strangers to code matching', async () => {
    const p = await pollFor('late');
    await t.rt.infra.db.query(`UPDATE polls SET closes_at = now() - interval '5 minutes' WHERE id = $1`, [p.pollId]);
    const late = await sms(phones.ann, '2');
    expect(late.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Message>The poll "Are you safe?" is closed.</Message></Response>');
    const [poll] = (await acct.api.get(`/v1/activations/${p.activationId}/polls`).expect(200)).body.data;
    expect(poll).toMatchObject({ closed: true, answerCount: 0 });
    // Someone who was never polled still gets the usual answer.
    expect((await sms(phones.stranger, '2')).text).toContain('Code not recognised');
  });

  it('an open poll still takes the answer when an older one is closed', async () => {
    await pollFor('older-closed');
    await t.rt.infra.db.query(`UPDATE polls SET closes_at = now() - interval '1 minute' WHERE account_id = $1`, [acct.account.id]);
    const open = await pollFor('open-now');
    expect((await sms(phones.ann, '1')).text).toContain('<Message>Answer recorded: 1 (Safe). Reply another number to change it.</Message>');
    const [poll] = (await acct.api.get(`/v1/activations/${open.activationId}/polls`).expect(200)).body.data;
    expect(poll.answers).toMatchObject([{ contactName: 'Ann', option: 1 }]);
  });
});
