/**
 * PATCH /v1/rules/:id changes only the fields sent. The dashboard's Active switches send
 * `{ enabled }` or `{ actions }` alone; the other fields must keep their stored values, not the
 * create defaults (conditions [], scope account, rollout 100, skipIfPending false, window always).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('PATCH /v1/rules/:id', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    a = await createTestAccount(t);
  });
  afterAll(async () => t?.close());

  it('keeps every field it was not sent', async () => {
    const list = (await a.api.post('/v1/lists').send({ name: 'Leads' }).expect(201)).body.id;
    const created = (await a.api.post('/v1/rules').send({
      name: 'Missed call follow-up', eventType: 'call.ended', enabled: false,
      scope: { type: 'lists', ids: [list] },
      conditions: [{ field: 'event.disposition', operator: 'equals', value: 'missed' }],
      actions: [{ type: 'change_status', status: 'callback' }, { type: 'sms', message: 'Sorry we missed you', timing: { type: 'delay', days: 2 } }],
      rolloutPercent: 40, skipIfPending: true, window: '9-5', stopIf: { statuses: ['won'] },
    }).expect(201)).body;
    const { updatedAt: _u, ...kept } = created;

    const renamed = (await a.api.patch(`/v1/rules/${created.id}`).send({ name: 'Renamed' }).expect(200)).body;
    expect({ ...renamed, updatedAt: undefined }).toEqual({ ...kept, name: 'Renamed', updatedAt: undefined });

    const enabled = (await a.api.patch(`/v1/rules/${created.id}`).send({ enabled: true }).expect(200)).body;
    expect({ ...enabled, updatedAt: undefined }).toEqual({ ...kept, name: 'Renamed', enabled: true, updatedAt: undefined });

    const actions = created.actions.map((x: { id: string }, i: number) => (i === 1 ? { ...x, active: false } : x));
    const toggled = (await a.api.patch(`/v1/rules/${created.id}`).send({ actions }).expect(200)).body;
    expect({ ...toggled, updatedAt: undefined }).toEqual({ ...kept, name: 'Renamed', enabled: true, actions, updatedAt: undefined });
  });
});
