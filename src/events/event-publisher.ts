import type { Queryable } from '../db/db.js';
import type { EventsRepo } from './events-repo.js';
import type { DomainEvent, EventPublisher, NewEvent } from './event-types.js';

/**
 * Port: hands committed events to the event queue at once (fast path). Best effort: the outbox
 * sweeper queues whatever this misses. Must be idempotent (job id = event id).
 */
export type EventDispatcher = { dispatch(eventIds: string[]): Promise<void> };

export type EventPublisherDeps = {
  events: Pick<EventsRepo, 'findEventByKey' | 'insertEvent' | 'insertEventWithOutbox' | 'insertEventOutboxRow' | 'insertEventsWithOutbox'>;
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
export const createEventPublisher = (deps: EventPublisherDeps): EventPublisher & { dispatcher?: EventDispatcher } => {
  const { events: repo } = deps;
  const publish = async (q: Queryable, e: NewEvent): Promise<{ event: DomainEvent; created: boolean }> => {
    if (e.idempotencyKey) {
      const existing = await repo.findEventByKey(q, e.accountId, e.idempotencyKey);
      if (existing) return { event: existing, created: false };
    }
    if (isPool(q)) {
      // One statement = one implicit transaction: event and outbox row are written together.
      const event = await repo.insertEventWithOutbox(q, e);
      if (!event) return { event: (await repo.findEventByKey(q, e.accountId, e.idempotencyKey!))!, created: false };
      await deps.dispatcher?.dispatch([event.id]).catch(() => undefined);
      return { event, created: true };
    }
    const event = await repo.insertEvent(q, e);
    if (!event) {
      // A concurrent transaction committed the same key first.
      const again = await repo.findEventByKey(q, e.accountId, e.idempotencyKey!);
      if (!again) throw new Error('event idempotency conflict');
      return { event: again, created: false };
    }
    await repo.insertEventOutboxRow(q, event.id);
    return { event, created: true };
  };
  const publishMany = async (q: Queryable, events: NewEvent[]): Promise<string[]> => {
    if (events.some((e) => e.idempotencyKey)) throw new Error('publishMany takes events without idempotency keys: use publish');
    const ids = await repo.insertEventsWithOutbox(q, events);
    // On the pool each chunk is committed already; in a transaction the outbox sweeper queues them.
    if (isPool(q) && ids.length > 0) await deps.dispatcher?.dispatch(ids).catch(() => undefined);
    return ids;
  };
  return { publish, publishMany, dispatcher: deps.dispatcher };
};
