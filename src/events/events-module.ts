/**
 * The events pipeline on its own (docs/RULES.md): the outbox dispatcher, the publisher that
 * contacts, sequences, call tracking and e-mail tracking raise events through, and the telephony
 * hooks that raise `message.received` / call events. It depends on nothing but the database and
 * Redis, so the composition root builds it before every feature that publishes or consumes
 * events (the rule engine included) and hands each of them the finished value.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Db } from '../db/db.js';
import type { Logger } from '../logger.js';
import { createContactChangeHook, createContactChangesHook } from './contact-events.js';
import { eventLookupsRepo } from './event-lookups-repo.js';
import { eventOutboxRepo } from './event-outbox-repo.js';
import { createEventPublisher } from './event-publisher.js';
import { createEventDispatcher, EVENT_QUEUE, lazyQueue, type EventJob } from './event-queue.js';
import { eventsRepo } from './events-repo.js';
import { createEventsService } from './events-service.js';
import { createEventSmsInterceptor, createEventStatusListener } from './telephony-events.js';

export type EventsPipelineDeps = {
  db: Db;
  /** Shared command connection: the event queue connects on first use. */
  redis: Redis;
  config: Pick<Config, 'REDIS_PREFIX'>;
  logger: Logger;
};

/** Builds the events pipeline (no I/O: the queue connects on first use). */
export const buildEventsPipeline = (deps: EventsPipelineDeps) => {
  const { db } = deps;
  const queue = lazyQueue<EventJob>(EVENT_QUEUE, () => deps.redis, deps.config.REDIS_PREFIX);
  const dispatcher = createEventDispatcher({ db, outbox: eventOutboxRepo, queue: queue.get });
  const publisher = createEventPublisher({ events: eventsRepo, dispatcher });
  const telephonyDeps = { db, lookups: eventLookupsRepo, publisher, logger: deps.logger };
  return {
    dispatcher,
    publisher,
    /** Raises contact.* events in the caller's transaction (contacts, sequences, rule actions). */
    onContactChanged: createContactChangeHook(publisher),
    /** Bulk form of onContactChanged (contact import): one batched insert of every change's events. */
    onContactsChanged: createContactChangesHook(publisher),
    events: createEventsService({ db, events: eventsRepo, lookups: eventLookupsRepo, publisher }),
    /** Telephony's status listener: call events. */
    statusListener: createEventStatusListener(telephonyDeps),
    /** Telephony's SMS interceptor: raises message.received and never handles a text. */
    smsInterceptor: createEventSmsInterceptor(telephonyDeps),
    queue,
  };
};
export type EventsPipeline = ReturnType<typeof buildEventsPipeline>;
