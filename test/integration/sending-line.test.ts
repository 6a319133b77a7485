import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCodeWorkflow, addContacts, addGroup, addTwilioLine, uniqueNumber, type LineFixture } from '../helpers/carrier-fixtures.js';
import { startRuntimeWithCarrier, type RuntimeWithCarrier } from '../helpers/carrier.js';
import { drained } from '../helpers/drained.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount } from '../helpers/runtime.js';

type Acct = Awaited<ReturnType<typeof createTestAccount>>;

/**
 * Which line sends (src/engine/sending-line.ts), end to end: a rule's text, a sequence's SMS step
 * and a workflow activation of the same account go out on the same line, as the carrier sees it.
 */
describe('one rule chooses the sending line of rules, sequences and workflow activations', () => {
  let env: RuntimeWithCarrier;
  let n = 0;
  const q = (sql: string, args: unknown[] = []) => env.t.rt.infra.db.query(sql, args);
  /** The number each text to `phone` came from, once `count` have reached the carrier. */
  const fromNumbers = async (phone: string, count: number) => {
    await eventually(async () => env.carrier.messages.filter((m) => m.to === phone).length >= count, `${count} texts to ${phone} at the carrier`);
    return env.carrier.messages.filter((m) => m.to === phone).map((m) => m.from);
  };

  /** Ann, in a group; a rule texting her on `lead.created`, a sequence texting her, a workflow texting the group. */
  const setUp = async (a: Acct, opts: { sequenceLineId?: string } = {}) => {
    const phone = uniqueNumber();
    const [ann] = await addContacts(env.t, a.account.id, [{ name: 'Ann', phone }]);
    const group = await addGroup(env.t, a.account.id, `Team ${++n}`, [ann!]);
    await a.api.post('/v1/rules').send({ name: `Welcome ${n}`, eventType: 'lead.created', actions: [{ type: 'sms', message: 'from a rule' }] }).expect(201);
    const seq = (await a.api.post('/v1/sequences').send({
      name: `Drip ${n}`, ...(opts.sequenceLineId ? { lineId: opts.sequenceLineId } : {}),
      steps: [{ id: 'hello', type: 'send', send: { channel: 'sms', message: 'from a sequence' } }],
    }).expect(201)).body as { id: string };
    const wf = await addCodeWorkflow(env.t, a.account.id, { name: `Alert ${n}`, code: `AL${10 + n}`, groupIds: [group] });
    return { ann: ann!, phone, seq, wf };
  };
  const ruleText = (a: Acct, contactId: string, data: Record<string, unknown> = {}) =>
    a.api.post('/v1/events').send({ type: 'lead.created', contact: { id: contactId }, data }).expect(202);
  const sequenceText = (a: Acct, sequenceId: string, contactId: string) =>
    a.api.post(`/v1/sequences/${sequenceId}/enrollments`).send({ contactId }).expect(201);
  const workflowText = (a: Acct, workflowId: string) => a.api.post(`/v1/workflows/${workflowId}/activations`).send({}).expect(201);

  beforeAll(async () => {
    env = await startRuntimeWithCarrier({ RULES_POLL_INTERVAL_MS: '100', EVENTS_SWEEP_INTERVAL_MS: '100', SEQUENCE_POLL_MS: '100' }, { web: true, worker: true });
  });
  afterAll(async () => env?.close());

  it('an account with only a tracking line: all three go out on it (a sequence used to skip the step: no_line)', async () => {
    const a = await createTestAccount(env.t);
    const tracking = await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'tracking' });
    const { ann, phone, seq, wf } = await setUp(a);

    await ruleText(a, ann);
    expect(await fromNumbers(phone, 1)).toEqual([tracking.phone]);
    await sequenceText(a, seq.id, ann);
    expect(await fromNumbers(phone, 2)).toEqual([tracking.phone, tracking.phone]);
    await workflowText(a, wf.id);
    expect(await fromNumbers(phone, 3)).toEqual([tracking.phone, tracking.phone, tracking.phone]);
  });

  it('an older tracking line and two activation lines created together: the activation line with the lower id, for all three', async () => {
    const a = await createTestAccount(env.t);
    await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'tracking' });
    const pair: LineFixture[] = [
      await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'activation' }),
      await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'activation' }),
    ];
    // Created in one transaction: the same created_at, so the id decides.
    await q(`UPDATE lines SET created_at = now() + interval '1 minute' WHERE id = ANY($1::uuid[])`, [pair.map((l) => l.id)]);
    const first = pair.reduce((x, y) => (x.id < y.id ? x : y));
    const { ann, phone, seq, wf } = await setUp(a);

    await ruleText(a, ann);
    await sequenceText(a, seq.id, ann);
    await workflowText(a, wf.id);
    expect(await fromNumbers(phone, 3)).toEqual([first.phone, first.phone, first.phone]);
  });

  it('a rule prefers the line its event came in on; a sequence whose own line is gone skips the step (no_line), as before', async () => {
    const a = await createTestAccount(env.t);
    await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'activation' });
    const eventLine = await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'tracking' });
    const doomed = await addTwilioLine(env.t, a.account.id, { ...env.creds, mode: 'activation' });
    const { ann, phone, seq } = await setUp(a, { sequenceLineId: doomed.id });

    await ruleText(a, ann, { lineId: eventLine.id });
    expect(await fromNumbers(phone, 1)).toEqual([eventLine.phone]);

    await q('DELETE FROM lines WHERE id = $1', [doomed.id]);
    const enrolled = (await sequenceText(a, seq.id, ann)).body.data[0] as { id: string };
    const skipped = await eventually(async () => {
      const e = (await a.api.get(`/v1/sequences/${seq.id}/enrollments/${enrolled.id}`).expect(200)).body;
      return (e.history as Array<{ kind: string; stepId: string; detail: Record<string, unknown> }>).find((h) => h.kind === 'skipped');
    }, 'the sequence step skipped');
    expect(skipped).toMatchObject({ stepId: 'hello', detail: { channel: 'sms', reason: 'no_line' } });
    // Never sent from another line: nothing more reaches Ann once the work is drained.
    await drained(env.t, { carrier: env.carrier });
    expect(env.carrier.messages.filter((m) => m.to === phone)).toHaveLength(1);
  });
});
