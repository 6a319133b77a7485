/**
 * The inputs the fuzzers (api-fuzz.ts, webhook-fuzz.ts) found answering 500, kept as plain
 * cases: each now gets a 4xx naming the field and writes nothing. Found: NUL characters anywhere,
 * malformed multipart bodies, a status callback's SequenceNumber/CallDuration beyond int4, an
 * event's occurredAt or a callback's dueAt beyond PostgreSQL's timestamp range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTwilioLine, messageSid, signedPost, type LineFixture } from '../helpers/carrier-fixtures.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';
import { installWriteCounter, type WriteCounter } from './write-counter.js';

const PUB = 'http://switchboard.test';

describe('fuzz findings stay fixed', () => {
  let t: TestRuntime;
  let a: Awaited<ReturnType<typeof createTestAccount>>;
  let line: LineFixture;
  let counter: WriteCounter;
  beforeAll(async () => {
    t = await startTestRuntime({ PUBLIC_URL: PUB }, { web: true, worker: false });
    a = await createTestAccount(t);
    line = await addTwilioLine(t, a.account.id);
    counter = await installWriteCounter(t.rt.infra.db, ['api_keys.upd']);
  });
  afterAll(async () => t?.close());

  const unchanged = async (fn: () => Promise<void>) => {
    const before = await counter.snapshot();
    await fn();
    expect(counter.diff(before, await counter.snapshot())).toEqual([]);
  };

  it('refuses a NUL character in any JSON field with a 400 naming it (PostgreSQL cannot store it)', async () => {
    await unchanged(async () => {
      const group = await a.api.post('/v1/groups').send({ name: 'Night\u0000shift' }).expect(400);
      expect(group.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'name', message: 'may not contain NUL characters or unpaired UTF-16 surrogates' }] });
      const contact = await a.api.post('/v1/contacts').send({ name: 'Ada', customFields: { note: ['ok', 'b\u0000d'] } }).expect(400);
      expect(contact.body.details).toEqual([{ path: 'customFields.note.1', message: 'may not contain NUL characters or unpaired UTF-16 surrogates' }]);
      const list = await a.api.get('/v1/contacts?q=%00').expect(400);
      expect(list.body.details[0].path).toBe('query.q');
    });
  });

  it('refuses text that is not valid Unicode (a lone surrogate) with a 400 naming the field', async () => {
    const wf = (await a.api.post('/v1/workflows').send({ name: 'Drill', actions: [{ type: 'webhook', url: 'https://hooks.example.test/x' }] }).expect(201)).body.id;
    await unchanged(async () => {
      const res = await t.http().post(`/v1/workflows/${wf}/activations`).set('authorization', `Bearer ${a.key}`)
        .set('content-type', 'application/json').send('{"placeholders":{"site":"\\ud800"}}').expect(400);
      expect(res.body.details).toEqual([{ path: 'placeholders.site', message: 'may not contain NUL characters or unpaired UTF-16 surrogates' }]);
    });
  });

  it('refuses a NUL character in a signed status callback with a 400, and an unsigned one with a 403', async () => {
    const params = { MessageSid: messageSid(77), AccountSid: line.accountSid, MessageStatus: 'delivered', To: 'a\u0000b', From: line.phone };
    await unchanged(async () => {
      const res = await signedPost(t.http(), PUB, '/webhooks/twilio/status', params, { authToken: line.authToken }).expect(400);
      expect(res.body.details).toEqual([{ path: 'To', message: 'may not contain NUL characters or unpaired UTF-16 surrogates' }]);
      await signedPost(t.http(), PUB, '/webhooks/twilio/status', params, { signature: null }).expect(403);
    });
  });

  it('refuses numbers and dates PostgreSQL cannot store with a 400 naming the field', async () => {
    await unchanged(async () => {
      const status = { MessageSid: messageSid(78), AccountSid: line.accountSid, MessageStatus: 'delivered', SequenceNumber: '14155550123' };
      const seq = await signedPost(t.http(), PUB, '/webhooks/twilio/status', status, { authToken: line.authToken }).expect(400);
      expect(seq.body.details[0].path).toBe('SequenceNumber');
      const call = { CallSid: `CA${'1'.repeat(32)}`, AccountSid: line.accountSid, CallStatus: 'completed', CallDuration: '99999999999' };
      const dur = await signedPost(t.http(), PUB, '/webhooks/twilio/status', call, { authToken: line.authToken }).expect(400);
      expect(dur.body.details[0].path).toBe('CallDuration');
      for (const occurredAt of [-1882319831234185, '+010000-01-01T00:00:00Z']) {
        const ev = await a.api.post('/v1/events').send({ type: 'job.booked', occurredAt }).expect(400);
        expect(ev.body.details[0].path).toBe('occurredAt');
      }
    });
  });

  it('refuses a callback moved to a time PostgreSQL cannot store with a 400 naming dueAt', async () => {
    const contact = (await a.api.post('/v1/contacts').send({ name: 'Ada', phone: '+13125550142' }).expect(201)).body.id;
    const id = (await t.rt.infra.db.query(
      `INSERT INTO callbacks (account_id, contact_id, kind, line_id, whisper, due_at) VALUES ($1, $2, 'scheduled', $3, 'Call Ada', now() + interval '1 day') RETURNING id`,
      [a.account.id, contact, line.id],
    )).rows[0].id;
    await unchanged(async () => {
      for (const dueAt of ['-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00Z', -8.64e15]) {
        const res = await a.api.patch(`/v1/callbacks/${id}`).send({ dueAt }).expect(400);
        expect(res.body.details, String(dueAt)).toEqual([{ path: 'dueAt', message: 'must be a date between the years 1 and 9999' }]);
      }
    });
  });

  it('answers 400 to a malformed multipart body on uploads and imports', async () => {
    await unchanged(async () => {
      for (const url of ['/v1/attachments', '/v1/contacts/import']) {
        const res = await t.rt.app!.inject({
          method: 'POST', url, payload: 'null',
          headers: { authorization: `Bearer ${a.key}`, 'content-type': 'multipart/form-data; boundary=x' },
        });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().details[0].path).toBe('file');
      }
    });
  });
});
