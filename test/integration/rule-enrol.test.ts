import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

/** Rule actions enroll_sequence / unenroll_sequence, end to end through the API and the carrier emulator. */
describe('rules enroll contacts in sequences', () => {
  let env: RuntimeWithCarrier;
  let a: Acct;
  let line: LineFixture;
  let n = 0;
  const q = (sql: string, args: unknown[] = []) => env.t.rt.infra.db.query(sql, args);
  const newContact = async (name: string) => {
    const phone = uniqueNumber();
    const id = (await a.api.post('/v1/contacts').send({ name, phone }).expect(201)).body.id as string;
    return { id, phone };
  };
  const newSequence = async (name: string) => (await a.api.post('/v1/sequences').send({
    name, lineId: line.id,
    steps: [
      { id: 'hello', type: 'send', send: { channel: 'sms', message: 'Hi {{first_name}}, [[offer]]' } },
      { id: 'wait', type: 'delay', delay: { amount: 2, unit: 'days' } },
      { id: 'nudge', type: 'send', send: { channel: 'sms', message: 'Still there?' } },
    ],
  }).expect(201)).body as { id: string };
  const post = (type: string, contactId: string) =>
    a.api.post('/v1/events').send({ type, contact: { id: contactId }, data: {} }).expect(202).then((r) => r.body.id as string);
  const actionLogs = async (ruleId: string) =>
    (await a.api.get(`/v1/rule-logs?ruleId=${ruleId}&kind=action`).expect(200)).body.data
      .filter((l: { outcome: string }) => l.outcome !== 'scheduled') as Array<{ outcome: string; detail: Record<string, unknown> }>;
  const settled = (ruleId: string, count: number) => eventually(async () => {
    const r = await q(`SELECT status FROM rule_pending_actions WHERE rule_id = $1`, [ruleId]);
    return r.rows.length === count && r.rows.every((x) => !['pending', 'queued', 'running'].includes(x.status));
  }, `${count} actions of rule ${ruleId} to finish`);
  const textsTo = (phone: string) => env.carrier.messages.filter((m) => m.to === phone).map((m) => m.body);

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ RULES_POLL_INTERVAL_MS: '100', EVENTS_SWEEP_INTERVAL_MS: '100', SEQUENCE_POLL_MS: '100' }, { web: true, worker: true });
    a = await createTestAccount(env.t);
    line = await addTwilioLine(env.t, a.account.id, env.creds);
  });
  afterAll(async () => env?.close());

  it('a rule enrolls the contact (first step texted), a second trigger is a logged no-op, unenroll ends it', async () => {
    const seq = await newSequence(`Welcome ${++n}`);
    const ada = await newContact('Ada Lovelace');
    const enrol = (await a.api.post('/v1/rules').send({
      name: 'New lead -> welcome', eventType: 'lead.created',
      actions: [{ type: 'enroll_sequence', sequenceId: seq.id, placeholders: { offer: 'your quote is ready, {{contact.name}}.' } }],
    }).expect(201)).body;
    expect(enrol.actions[0]).toMatchObject({ type: 'enroll_sequence', sequenceId: seq.id, id: 'a1' });
    const lost = (await a.api.post('/v1/rules').send({
      name: 'Lost lead -> stop', eventType: 'lead.lost', actions: [{ type: 'unenroll_sequence', sequenceId: seq.id }],
    }).expect(201)).body;

    await post('lead.created', ada.id);
    await settled(enrol.id, 1);
    const list = (await a.api.get(`/v1/sequences/${seq.id}/enrollments?contactId=${ada.id}`).expect(200)).body.data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ status: 'active', source: 'rule', contactId: ada.id });
    await eventually(async () => textsTo(ada.phone).length === 1, 'the first step\'s text at the carrier');
    expect(textsTo(ada.phone)).toEqual(['Hi Ada, your quote is ready, Ada Lovelace.']);
    expect(await actionLogs(enrol.id)).toEqual([expect.objectContaining({ outcome: 'executed', detail: expect.objectContaining({ enrolled: true, enrollmentId: list[0].id }) })]);

    await post('lead.created', ada.id);
    await settled(enrol.id, 2);
    expect((await a.api.get(`/v1/sequences/${seq.id}/enrollments?contactId=${ada.id}`).expect(200)).body.data).toHaveLength(1);
    expect((await actionLogs(enrol.id)).map((l) => [l.outcome, l.detail.reason ?? null])).toEqual([['no_op', 'already_enrolled'], ['executed', null]]);

    await post('lead.lost', ada.id);
    await settled(lost.id, 1);
    const ended = (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${list[0].id}`).expect(200)).body;
    expect(ended).toMatchObject({ status: 'unenrolled', exitReason: 'rule' });
    expect(ended.history.map((h: { kind: string }) => h.kind)).toContain('unenrolled');
    expect((await actionLogs(lost.id)).map((l) => l.outcome)).toEqual(['executed']);
    // Nothing more is texted: the runner has nothing active left for Ada.
    expect(textsTo(ada.phone)).toHaveLength(1);

    await post('lead.lost', ada.id);
    await settled(lost.id, 2);
    expect((await actionLogs(lost.id)).map((l) => [l.outcome, l.detail.reason ?? null])).toEqual([['no_op', 'not_enrolled'], ['executed', null]]);
  });

  it('two evaluations racing enroll exactly once (one executed, the others no-ops)', async () => {
    const seq = await newSequence(`Race ${++n}`);
    const bo = await newContact('Bo Race');
    const rule = (await a.api.post('/v1/rules').send({
      name: 'race', eventType: 'lead.raced', actions: [{ type: 'enroll_sequence', sequenceId: seq.id, placeholders: { offer: 'hello' } }],
    }).expect(201)).body;
    await Promise.all([1, 2, 3, 4].map(() => post('lead.raced', bo.id)));
    await settled(rule.id, 4);
    const rows = await q('SELECT id FROM sequence_enrollments WHERE sequence_id = $1 AND contact_id = $2', [seq.id, bo.id]);
    expect(rows.rows).toHaveLength(1);
    expect((await actionLogs(rule.id)).map((l) => l.outcome).sort()).toEqual(['executed', 'no_op', 'no_op', 'no_op']);

    // The port itself, called concurrently for distinct events on a fresh contact: one enrollment.
    const cy = await newContact('Cy Race');
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => env.t.rt.services.sequences.enrollments.enrollByRule({
      accountId: a.account.id, sequenceId: seq.id, contactId: cy.id, ruleId: rule.id, eventId: randomUUID(), placeholders: { offer: 'x' },
    })));
    expect(results.filter((r) => r.enrolled)).toHaveLength(1);
    expect(results.filter((r) => !r.enrolled).map((r) => (r as { reason: string }).reason)).toEqual(Array(4).fill('already_enrolled'));
  });

  it('a paused or archived sequence is a logged refusal; an unknown or foreign sequence is a 400 at save', async () => {
    const seq = await newSequence(`Paused ${++n}`);
    const cleo = await newContact('Cleo Paused');
    const rule = (await a.api.post('/v1/rules').send({
      name: 'to paused', eventType: 'lead.paused', actions: [{ type: 'enroll_sequence', sequenceId: seq.id, placeholders: { offer: 'x' } }],
    }).expect(201)).body;
    await a.api.post(`/v1/sequences/${seq.id}/pause`).expect(200);
    await post('lead.paused', cleo.id);
    await settled(rule.id, 1);
    expect((await actionLogs(rule.id)).map((l) => [l.outcome, l.detail.reason])).toEqual([['refused', 'sequence_paused']]);
    await a.api.delete(`/v1/sequences/${seq.id}`).expect(204);
    await post('lead.paused', cleo.id);
    await settled(rule.id, 2);
    expect((await actionLogs(rule.id))[0]).toMatchObject({ outcome: 'refused', detail: { reason: 'sequence_archived' } });
    expect((await q('SELECT count(*)::int AS n FROM sequence_enrollments WHERE contact_id = $1', [cleo.id])).rows[0].n).toBe(0);

    const unknown = await a.api.post('/v1/rules').send({
      name: 'bad', eventType: 'lead.created', actions: [{ type: 'change_status', status: 'x' }, { type: 'enroll_sequence', sequenceId: randomUUID() }],
    }).expect(400);
    expect(unknown.body.details).toEqual([{ path: 'actions.1.sequenceId', message: 'does not exist in this account' }]);
    const other = await createTestAccount(env.t);
    const theirs = (await other.api.post('/v1/sequences').send({ name: 'Theirs', steps: [{ type: 'delay', delay: { amount: 1, unit: 'days' } }] }).expect(201)).body;
    const foreign = await a.api.post('/v1/rules').send({ name: 'bad', eventType: 'lead.created', actions: [{ type: 'unenroll_sequence', sequenceId: theirs.id }] }).expect(400);
    expect(foreign.body.details).toEqual([{ path: 'actions.0.sequenceId', message: 'does not exist in this account' }]);
    await a.api.post('/v1/rules').send({ name: 'bad', eventType: 'lead.created', actions: [{ type: 'enroll_sequence', sequenceId: 'nope' }] }).expect(400)
      .then((r) => expect(r.body.details[0].path).toBe('actions.0.sequenceId'));

    const catalog = (await a.api.get('/v1/rules/fields').expect(200)).body;
    expect(catalog.actionTypes).toEqual(expect.arrayContaining(['enroll_sequence', 'unenroll_sequence']));
  });
});
