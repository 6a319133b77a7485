import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLineCarrierByNumber, loadLineCarrier } from '../../src/carriers/carrier-credentials.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'f'.repeat(32);

describe('carrier connections and lines', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
  });
  afterAll(async () => t?.close());

  it('stores the auth token sealed and never returns it', async () => {
    const a = await createTestAccount(t);
    const res = await a.api.post('/v1/carrier-connections').send({ name: 'Main', accountSid: SID, authToken: TOKEN }).expect(201);
    expect(res.body).toMatchObject({ name: 'Main', accountSid: SID, authTokenSet: true, provider: 'twilio', lineCount: 0 });
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    const stored = await t.rt.infra.db.query('SELECT auth_token_enc FROM carrier_connections WHERE id = $1', [res.body.id]);
    expect(stored.rows[0].auth_token_enc).not.toContain(TOKEN);
    expect(t.rt.services.secrets.open(stored.rows[0].auth_token_enc)).toBe(TOKEN);

    const list = await a.api.get('/v1/carrier-connections').expect(200);
    expect(list.body).toMatchObject({ data: [{ id: res.body.id, authTokenSet: true }], nextCursor: null });
    expect(JSON.stringify(list.body)).not.toContain(TOKEN);

    const dup = await a.api.post('/v1/carrier-connections').send({ accountSid: SID, authToken: TOKEN }).expect(409);
    expect(dup.body.details).toEqual([{ path: 'accountSid', message: expect.any(String) }]);

    const rotated = await a.api.patch(`/v1/carrier-connections/${res.body.id}`).send({ authToken: 'e'.repeat(32) }).expect(200);
    expect(JSON.stringify(rotated.body)).not.toContain('e'.repeat(32));
    const again = await t.rt.infra.db.query('SELECT auth_token_enc FROM carrier_connections WHERE id = $1', [res.body.id]);
    expect(t.rt.services.secrets.open(again.rows[0].auth_token_enc)).toBe('e'.repeat(32));
  });

  it('refuses a malformed Account SID or token, naming the field', async () => {
    const a = await createTestAccount(t);
    const bad = await a.api.post('/v1/carrier-connections').send({ accountSid: 'AC123', authToken: TOKEN }).expect(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'accountSid' }] });
    const bad2 = await a.api.post('/v1/carrier-connections').send({ accountSid: SID, authToken: 'short' }).expect(400);
    expect(bad2.body.details[0].path).toBe('authToken');
  });

  it('creates lines with E.164 numbers, and refuses bad or taken ones naming phoneNumber', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const line = await a.api.post('/v1/lines').send({ phoneNumber: '+1 (415) 555-2671', provider: 'simulator', name: 'Main' }).expect(201);
    expect(line.body).toMatchObject({ phoneNumber: '+14155552671', provider: 'simulator', mode: 'activation', carrierConnectionId: null, settings: {} });
    expect(line.body.greeting).toMatch(/four character code/);

    for (const phoneNumber of ['4155552671', '+1415', 'not a number', '+999123456789']) {
      const res = await a.api.post('/v1/lines').send({ phoneNumber, provider: 'simulator' }).expect(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'phoneNumber', message: expect.stringContaining('international format') }] });
    }
    // Numbers are unique across accounts: the inbound webhook finds the line by number.
    const taken = await b.api.post('/v1/lines').send({ phoneNumber: '+14155552671', provider: 'simulator' }).expect(409);
    expect(taken.body).toMatchObject({ error: 'conflict', details: [{ path: 'phoneNumber' }] });
    const other = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550000', provider: 'simulator' }).expect(201);
    const moved = await a.api.patch(`/v1/lines/${other.body.id}`).send({ phoneNumber: '+14155552671' }).expect(409);
    expect(moved.body.details[0].path).toBe('phoneNumber');
  });

  it('needs a carrier connection of the same account for a twilio line, and loads its credentials', async () => {
    const a = await createTestAccount(t);
    const b = await createTestAccount(t);
    const conn = await a.api.post('/v1/carrier-connections').send({ accountSid: SID, authToken: TOKEN }).expect(201);
    const foreign = await b.api.post('/v1/carrier-connections').send({ accountSid: SID, authToken: TOKEN }).expect(201);

    const none = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550101', provider: 'twilio' }).expect(400);
    expect(none.body.details).toEqual([{ path: 'carrierConnectionId', message: 'is required for provider twilio' }]);
    const theirs = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550101', provider: 'twilio', carrierConnectionId: foreign.body.id }).expect(400);
    expect(theirs.body.details[0].path).toBe('carrierConnectionId');

    const line = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550101', provider: 'twilio', carrierConnectionId: conn.body.id }).expect(201);
    const lc = await loadLineCarrier(t.rt.infra.db, t.rt.services.secrets, line.body.id);
    expect(lc).toMatchObject({ provider: 'twilio', phoneNumber: '+14155550101', accountId: a.account.id, credentials: { accountSid: SID, authToken: TOKEN } });
    await expect(loadLineCarrier(t.rt.infra.db, t.rt.services.secrets, line.body.id, b.account.id)).rejects.toThrow(/line not found/);
    expect((await findLineCarrierByNumber(t.rt.infra.db, t.rt.services.secrets, '+14155550101'))?.lineId).toBe(line.body.id);

    // Deleting a connection that lines still use is refused.
    const inUse = await a.api.delete(`/v1/carrier-connections/${conn.body.id}`).expect(409);
    expect(inUse.body.error).toBe('carrier_connection_in_use');
    // Switching the line to the simulator drops the connection.
    const sim = await a.api.patch(`/v1/lines/${line.body.id}`).send({ provider: 'simulator' }).expect(200);
    expect(sim.body.carrierConnectionId).toBeNull();
    expect((await loadLineCarrier(t.rt.infra.db, t.rt.services.secrets, line.body.id)).credentials).toBeNull();
    await a.api.delete(`/v1/carrier-connections/${conn.body.id}`).expect(204);
  });

  it('validates settings and merges them on update', async () => {
    const a = await createTestAccount(t);
    const bad = [
      [{ smsPerSecond: 0 }, 'settings.smsPerSecond'],
      [{ callsPerSecond: 500 }, 'settings.callsPerSecond'],
      [{ knownContactsOnly: 'yes' }, 'settings.knownContactsOnly'],
      [{ tracking: { forwardTo: '12' } }, 'settings.tracking.forwardTo'],
      [{ tracking: { ringTimeoutSeconds: 1 } }, 'settings.tracking.ringTimeoutSeconds'],
      [{ smsPerSecnd: 1 }, 'settings'],
    ] as const;
    for (const [settings, path] of bad) {
      const res = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550102', provider: 'simulator', settings }).expect(400);
      expect(res.body.details[0].path).toBe(path);
    }
    const line = await a.api
      .post('/v1/lines')
      .send({ phoneNumber: '+14155550102', provider: 'simulator', mode: 'tracking', settings: { smsPerSecond: 2, tracking: { forwardTo: '+1 415 555 2671', custom: 'kept' } } })
      .expect(201);
    expect(line.body.settings).toEqual({ smsPerSecond: 2, tracking: { forwardTo: '+14155552671', custom: 'kept' } });
    const upd = await a.api.patch(`/v1/lines/${line.body.id}`).send({ settings: { knownContactsOnly: true }, greeting: 'Hello' }).expect(200);
    expect(upd.body).toMatchObject({ greeting: 'Hello', mode: 'tracking', settings: { smsPerSecond: 2, knownContactsOnly: true, tracking: { forwardTo: '+14155552671' } } });
    const badMode = await a.api.patch(`/v1/lines/${line.body.id}`).send({ mode: 'other' }).expect(400);
    expect(badMode.body.details[0].path).toBe('mode');
  });

  it('a line paces only when told to: null removes its own limit, and the API docs say unset means no limit', async () => {
    const a = await createTestAccount(t);
    const line = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550190', provider: 'simulator', settings: { smsPerSecond: 1, callsPerSecond: 2 } }).expect(201);
    const cleared = await a.api.patch(`/v1/lines/${line.body.id}`).send({ settings: { smsPerSecond: null } }).expect(200);
    expect(cleared.body.settings).toEqual({ callsPerSecond: 2 });
    const stored = await t.rt.infra.db.query('SELECT settings FROM lines WHERE id = $1', [line.body.id]);
    expect(stored.rows[0].settings).toEqual({ callsPerSecond: 2 });

    const doc = (await t.http().get('/docs/json').expect(200)).body;
    const settings = doc.paths['/v1/lines'].post.requestBody.content['application/json'].schema.properties.settings;
    const props = settings.properties ?? settings.anyOf?.find((x: { properties?: unknown }) => x.properties)?.properties;
    expect(props.smsPerSecond.description).toContain('DEFAULT_SMS_PER_SECOND (default 0 = no limit)');
    expect(props.smsPerSecond.description).toContain('held across all worker processes');
    expect(props.callsPerSecond.description).toContain('DEFAULT_CALLS_PER_SECOND (default 0 = no limit)');
  });

  it('lists the workflows that use a line and refuses to delete it while they do', async () => {
    const a = await createTestAccount(t);
    const line = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550103', provider: 'simulator' }).expect(201);
    const spare = await a.api.post('/v1/lines').send({ phoneNumber: '+14155550104', provider: 'simulator' }).expect(201);
    const group = await a.api.post('/v1/groups').send({ name: 'Team' }).expect(201);
    const gid = group.body.id;
    const code = await a.api.post('/v1/workflows').send({
      name: 'Code', codeActivation: { lineId: line.body.id, code: 'resq' },
      actions: [{ type: 'notification', groupIds: [gid], message: 'Help', channels: ['sms'] }],
    }).expect(201);
    const conf = await a.api.post('/v1/workflows').send({
      name: 'Bridge', actions: [{ type: 'conference', groupIds: [gid], lineId: line.body.id, intro: 'Joining' }, { type: 'pager', groupIds: [gid], lineId: line.body.id, message: '911#' }],
    }).expect(201);
    await a.api.post('/v1/workflows').send({ name: 'Elsewhere', actions: [{ type: 'pager', groupIds: [gid], lineId: spare.body.id, message: '1' }] }).expect(201);

    const linked = await a.api.get(`/v1/lines/${line.body.id}/workflows`).expect(200);
    expect(linked.body.data).toEqual([
      { id: code.body.id, name: 'Code', status: 'active', uses: ['code_activation'] },
      { id: conf.body.id, name: 'Bridge', status: 'active', uses: ['conference', 'pager'] },
    ]);
    const del = await a.api.delete(`/v1/lines/${line.body.id}`).expect(409);
    expect(del.body).toMatchObject({ error: 'line_in_use', message: expect.stringContaining('Code') });
    await a.api.delete(`/v1/workflows/${code.body.id}`).expect(204);
    await a.api.delete(`/v1/workflows/${conf.body.id}`).expect(204);
    expect((await a.api.get(`/v1/lines/${line.body.id}/workflows`).expect(200)).body.data).toEqual([]);
    await a.api.delete(`/v1/lines/${line.body.id}`).expect(204);
    await a.api.get(`/v1/lines/${line.body.id}`).expect(404);
  });

  it('pages through lines with a cursor', async () => {
    const a = await createTestAccount(t);
    for (let i = 0; i < 5; i++) await a.api.post('/v1/lines').send({ phoneNumber: `+1415555011${i}`, provider: 'simulator' }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: Array<{ phoneNumber: string }>; nextCursor: string | null } } = await a.api.get(`/v1/lines?limit=2${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((l) => l.phoneNumber));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['+14155550110', '+14155550111', '+14155550112', '+14155550113', '+14155550114']);
    const bad = await a.api.get('/v1/lines?cursor=garbage').expect(400);
    expect(bad.body.details[0].path).toBe('cursor');
  });
});
