import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/db.js';
import { eventLookupsRepo } from '../../src/events/event-lookups-repo.js';
import { eventOutboxRepo } from '../../src/events/event-outbox-repo.js';
import { eventsRepo } from '../../src/events/events-repo.js';
import { createEventPublisher } from '../../src/events/event-publisher.js';
import { EVENT_QUEUE, type EventJob } from '../../src/events/event-queue.js';
import type { DomainEvent, EventConsumer } from '../../src/events/event-types.js';
import { startEventWorker } from '../../src/events/event-worker.js';
import { createEventSmsInterceptor, createEventStatusListener } from '../../src/events/telephony-events.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { eventually } from '../helpers/eventually.js';
import { createTestAccount, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('events pipeline: outbox, worker, sweeper, internal producers', () => {
  let t: TestRuntime;
  let accountId: string;
  let contactId: string;
  const seen: Array<{ consumer: string; id: string }> = [];
  let failFlaky = 2;
  const recorder = (name: string): EventConsumer => ({ name, handle: async (e: DomainEvent) => { seen.push({ consumer: name, id: e.id }); } });
  const flaky: EventConsumer = {
    name: 'flaky',
    handle: async (e) => {
      if (e.type === 'flaky.test' && failFlaky-- > 0) throw new Error('transient');
      seen.push({ consumer: 'flaky', id: e.id });
    },
  };
  let worker: ReturnType<typeof startEventWorker>;
  let connection: ReturnType<typeof createRedis>;
  let queue: Queue<EventJob>;
  const publisher = createEventPublisher({ events: eventsRepo }); // no fast path: only the sweeper queues events
  const count = (consumer: string, id: string) => seen.filter((s) => s.consumer === consumer && s.id === id).length;

  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    const a = await createTestAccount(t);
    accountId = a.account.id;
    contactId = (await a.api.post('/v1/contacts').send({ name: 'Ada', phone: '+14155550111' }).expect(201)).body.id;
    connection = createRedis(t.config.REDIS_URL, { forWorker: true });
    queue = new Queue<EventJob>(EVENT_QUEUE, { connection: createRedis(t.config.REDIS_URL), prefix: t.config.REDIS_PREFIX });
    worker = startEventWorker({
      db: t.rt.infra.db, events: eventsRepo, outbox: eventOutboxRepo, connection, prefix: t.config.REDIS_PREFIX, queue, consumers: [recorder('one'), flaky, recorder('two')],
      logger: createLogger('silent'), concurrency: 4, sweepIntervalMs: 100, redispatchAfterMs: 600,
    });
  });
  afterAll(async () => {
    await worker?.close();
    await queue?.close();
    await connection?.quit();
    await t?.close();
  });

  it('publishes inside the caller transaction: a rollback leaves no event and no outbox row', async () => {
    await expect(withTransaction(t.rt.infra.db, async (tx) => {
      await publisher.publish(tx, { accountId, type: 'rolled.back', contactId, data: {} });
      throw new Error('abort');
    })).rejects.toThrow('abort');
    const rows = await t.rt.infra.db.query(`SELECT count(*)::int AS n FROM events WHERE type = 'rolled.back'`);
    expect(rows.rows[0].n).toBe(0);
  });

  it('delivers a committed event to every consumer once; a failing consumer is retried alone', async () => {
    const { event } = await withTransaction(t.rt.infra.db, (tx) => publisher.publish(tx, { accountId, type: 'flaky.test', contactId, data: { x: 1 } }));
    await eventually(() => count('flaky', event.id) === 1, 'the flaky consumer called once');
    await eventually(async () => (await t.rt.infra.db.query('SELECT processed_at FROM events WHERE id = $1', [event.id])).rows[0].processed_at, 'the event processed');
    expect([count('one', event.id), count('flaky', event.id), count('two', event.id)]).toEqual([1, 1, 1]);
    const ob = await t.rt.infra.db.query(`SELECT completed_at, attempts FROM outbox WHERE topic = 'event' AND ref_id = $1`, [event.id]);
    expect(ob.rows[0].completed_at).not.toBeNull();
    // The job retried in Redis for ~1.5 s, past redispatchAfterMs: sweeps that found it still queued
    // did not count as dispatches (they would bring the row to the give-up cap with nothing lost).
    expect(ob.rows[0].attempts).toBe(1);
  });

  it('queues an event again when Redis lost its job, and consumers that finished are not called twice', async () => {
    const { event } = await publisher.publish(t.rt.infra.db, { accountId, type: 'lost.job', contactId, data: {} });
    // A run is over once its job is finished in Redis: the worker records a consumer's consumption and
    // then the outbox completion only after `handle` returned, so waiting on the consumers' calls alone
    // would change the rows under a run still writing them (it then marks the row completed again).
    const runFinished = async () => {
      const ob = await t.rt.infra.db.query(`SELECT completed_at FROM outbox WHERE topic = 'event' AND ref_id = $1`, [event.id]);
      return ob.rows[0].completed_at !== null && (await queue.getJobState(event.id)) === 'completed';
    };
    await eventually(runFinished, 'the first run finished');
    // Simulate a crash after one consumer and a Redis that lost the job: outbox incomplete, 'two' never ran.
    await queue.obliterate({ force: true });
    await withTransaction(t.rt.infra.db, async (tx) => {
      await tx.query(`UPDATE outbox SET completed_at = NULL, dispatched_at = now() - interval '1 hour' WHERE topic = 'event' AND ref_id = $1`, [event.id]);
      await tx.query(`DELETE FROM event_consumptions WHERE event_id = $1 AND consumer = 'two'`, [event.id]);
    });
    await eventually(() => count('two', event.id) === 2, 'the second call of consumer two');
    expect(count('one', event.id)).toBe(1);
    await eventually(runFinished, 'the second run finished');
    // Also when the finished job is still kept in Redis (same job id): it is replaced, not ignored.
    await withTransaction(t.rt.infra.db, async (tx) => {
      await tx.query(`UPDATE outbox SET completed_at = NULL, dispatched_at = now() - interval '1 hour' WHERE topic = 'event' AND ref_id = $1`, [event.id]);
      await tx.query(`DELETE FROM event_consumptions WHERE event_id = $1 AND consumer = 'two'`, [event.id]);
    });
    await eventually(() => count('two', event.id) === 3, 'the third call of consumer two');
    await eventually(runFinished, 'the third run finished');
    expect([count('one', event.id), count('flaky', event.id), count('two', event.id)]).toEqual([1, 1, 3]);
  });

  it('is idempotent on the idempotency key', async () => {
    const first = await publisher.publish(t.rt.infra.db, { accountId, type: 'x.y', contactId, data: {}, idempotencyKey: 'k-1' });
    const again = await withTransaction(t.rt.infra.db, (tx) => publisher.publish(tx, { accountId, type: 'x.y', contactId, data: {}, idempotencyKey: 'k-1' }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ event: first.event, created: false });
  });

  it('raises call.ended once per call from status callbacks and message.received from texts without handling them', async () => {
    const deps = { db: t.rt.infra.db, lookups: eventLookupsRepo, publisher, logger: createLogger('silent') };
    const listener = createEventStatusListener(deps);
    const cb = {
      accountId, providerId: 'CA123', durationSeconds: 0, answeredBy: null, sequence: null, from: '+14155550111', to: '+14155550100',
      direction: 'inbound', params: {}, at: new Date(),
    };
    await listener.onCallStatus!({ ...cb, status: 'ringing' });
    await listener.onCallStatus!({ ...cb, status: 'no-answer' });
    await listener.onCallStatus!({ ...cb, status: 'no-answer' }); // carrier retry
    const calls = await t.rt.infra.db.query(`SELECT contact_id, data FROM events WHERE type = 'call.ended' AND account_id = $1`, [accountId]);
    expect(calls.rows).toEqual([{
      contact_id: contactId,
      data: expect.objectContaining({ providerCallId: 'CA123', direction: 'inbound', disposition: 'missed', termReason: 'no-answer', callCount: 1 }),
    }]);

    const sms = createEventSmsInterceptor(deps);
    const msg = { accountId, lineId: '00000000-0000-4000-8000-000000000001', providerId: 'SM1', from: '+14155550111', to: '+14155550100', body: 'call me', contactId: null, messageId: '00000000-0000-4000-8000-000000000002', at: new Date() };
    expect(await sms.intercept(msg)).toBeNull();
    expect(await sms.intercept(msg)).toBeNull();
    const rec = await t.rt.infra.db.query(`SELECT contact_id, data FROM events WHERE type = 'message.received' AND account_id = $1`, [accountId]);
    expect(rec.rows).toEqual([{ contact_id: contactId, data: expect.objectContaining({ body: 'call me', from: '+14155550111' }) }]);
  });
});
