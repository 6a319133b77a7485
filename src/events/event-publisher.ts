import type { Queryable } from '../db/db.js';
import { findEventByKey, insertEvent, insertEventsWithOutbox, toEvent } from './events-repo.js';
import type { DomainEvent, EventPublisher, NewEvent } from './event-types.js';

/**
 * Port: hands committed events to the event queue at once (fast path). Best effort: the outbox
 * sweeper queues whatever this misses. Must be idempotent (job id = event id).
 */
export type EventDispatcher = { dispatch(eventIds: string[]): Promise<void> };

export type EventPublisherDeps = {
  /** Used only when `publish` runs on the pool (its own implicit transaction). */
  dispatcher?: EventDispatcher;
};

/** A pool (not a client inside someone's transaction): the insert is committed when it returns. */
const isPool = (q: Queryable): boolean => 'totalCount' in q && typeof (q as { connect?: unknown }).connect === 'function';

/**
 * Records an event and its outbox row (topic `event`) with the caller's Queryable. Inside a
 * transaction both commit or vanish with it; the outbox sweeper then queues the event. On the
 * pool, the two inserts run in one statement and the event is dispatched at once.
 * Idempotent on (account, idempotencyKey): a repeat returns the first event, `created: false`.
 */
export const createEventPublisher = (deps: EventPublisherDeps = {}): EventPublisher & { dispatcher?: EventDispatcher } => {
  const publish = async (q: Queryable, e: NewEvent): Promise<{ event: DomainEvent; created: boolean }> => {
    if (e.idempotencyKey) {
      const existing = await findEventByKey(q, e.accountId, e.idempotencyKey);
      if (existing) return { event: existing, created: false };
    }
    if (isPool(q)) {
      // One statement = one implicit transaction: event and outbox row are written together.
      const res = await q.query(
        `WITH ev AS (
           INSERT INTO events (account_id, type, contact_id, data, source, idempotency_key, caused_by_rule, chain_depth, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, now()))
           ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
           RETURNING *
         ), ob AS (
           INSERT INTO outbox (topic, ref_id) SELECT 'event', id::text FROM ev ON CONFLICT DO NOTHING
         )
         SELECT * FROM ev`,
        [e.accountId, e.type, e.contactId, JSON.stringify(e.data ?? {}), e.source ?? 'internal', e.idempotencyKey ?? null,
          e.causedByRule ?? null, e.chainDepth ?? 0, e.occurredAt ?? null],
      );
      if (!res.rows[0]) return { event: (await findEventByKey(q, e.accountId, e.idempotencyKey!))!, created: false };
      const event = toEvent(res.rows[0]);
      await deps.dispatcher?.dispatch([event.id]).catch(() => undefined);
      return { event, created: true };
    }
    const event = await insertEvent(q, e);
    if (!event) {
      // A concurrent transaction committed the same key first.
      const again = await findEventByKey(q, e.accountId, e.idempotencyKey!);
      if (!again) throw new Error('event idempotency conflict');
      return { event: again, created: false };
    }
    await q.query(`INSERT INTO outbox (topic, ref_id) VALUES ('event', $1) ON CONFLICT DO NOTHING`, [event.id]);
    return { event, created: true };
  };
  const publishMany = async (q: Queryable, events: NewEvent[]): Promise<string[]> => {
    if (events.some((e) => e.idempotencyKey)) throw new Error('publishMany takes events without idempotency keys: use publish');
    const ids = await insertEventsWithOutbox(q, events);
    // On the pool each chunk is committed already; in a transaction the outbox sweeper queues them.
    if (isPool(q) && ids.length > 0) await deps.dispatcher?.dispatch(ids).catch(() => undefined);
    return ids;
  };
  return { publish, publishMany, dispatcher: deps.dispatcher };
};
