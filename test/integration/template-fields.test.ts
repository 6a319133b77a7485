import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillFields, render } from '../../src/templates/templates.js';
import { addContacts, addGroup } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/** An unknown {{field}} in a workflow's texts is refused when the workflow is saved, instead of being sent empty. */
describe('workflow {{fields}} checked on save', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  let group: string;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
    group = await addGroup(t, a.account.id, 'Team', await addContacts(t, a.account.id, [{ name: 'Ann', phone: '+14155550111' }]));
  });
  afterAll(async () => t?.close());

  const notify = (message: string, extra: Record<string, unknown> = {}) => ({ type: 'notification', groupIds: [group], channels: ['sms'], message, ...extra });
  const hook = (body: string) => ({ type: 'webhook', url: 'https://hooks.example.com/x', body });
  let n = 0;
  const save = (actions: unknown[]) => a.api.post('/v1/workflows').send({ name: `wf ${++n}`, actions });

  it('refuses an unknown field, naming the action, the text and the field', async () => {
    const r = await save([notify('Hi {{contact_name}}'), notify('Gate {{gate_nr}} at {{time}}')]).expect(400);
    expect(r.body.details).toHaveLength(1);
    expect(r.body.details[0].path).toBe('actions.1.message');
    expect(r.body.details[0].message).toContain('unknown field {{gate_nr}}, {{time}}');
    const b = await save([notify('ok'), hook('{"who":"{{caller}}","what":"{{inbound_message}}"}')]).expect(400);
    expect(b.body.details).toEqual([{ path: 'actions.1.body', message: expect.stringContaining('unknown field {{caller}}') }]);
    const s = await save([notify('ok', { subject: 'About {{topic}}', channels: ['email'] })]).expect(400);
    expect(s.body.details[0].path).toBe('actions.0.subject');
    // Nothing was stored.
    expect((await t.rt.infra.db.query('SELECT count(*)::int AS n FROM workflows WHERE account_id = $1', [a.account.id])).rows[0].n).toBe(0);
  });

  it('accepts every field the engine fills, the craig alias and the contacts\' custom fields', async () => {
    const all = '{{contact_name}} {{workflow_name}} {{activation_uuid}} {{recording_url}} {{inbound_message}} {{prompt_output}} {{craig_prompt_output}} [[site]]';
    await save([notify(all, { subject: '{{workflow_name}}', prompt: { text: 'Summarise {{inbound_message}} at [[site]]' } })]).expect(201);
    await save([hook(`{"text":"${all}"}`)]).expect(201);
    await save([{ type: 'conference', groupIds: [group], lineId: (await t.rt.infra.db.query(
      `INSERT INTO lines (account_id, phone_number, name, provider) VALUES ($1, '+14155550999', 'L', 'simulator') RETURNING id`, [a.account.id])).rows[0].id,
    intro: 'Bridge for {{contact_name}}: {{workflow_name}}' }]).expect(201);
    await save([notify('Badge {{badge}}')]).expect(400);
    await a.api.post('/v1/contacts').send({ name: 'Bo', phone: '+14155550112', customFields: { badge: 'B-7' } }).expect(201);
    await save([notify('Badge {{badge}}'), hook('{"badge":"{{badge}}"}')]).expect(201);
    // Another account's custom fields do not count.
    const other = await createTestAccount(t);
    const og = await addGroup(t, other.account.id, 'T', []);
    await other.api.post('/v1/workflows').send({ name: 'x', actions: [{ ...notify('Badge {{badge}}'), groupIds: [og] }] }).expect(400);
  });

  it('renders {{craig_prompt_output}} as {{prompt_output}}', () => {
    expect(fillFields('A: {{craig_prompt_output}} / {{ prompt_output }}', { prompt_output: 'Go uphill' })).toBe('A: Go uphill / Go uphill');
    expect(render('{"x":"{{craig_prompt_output}}"}', {}, { prompt_output: 'say "hi"' }, 'json')).toBe('{"x":"say \\"hi\\""}');
  });
});
