import { stableStringify } from '../crypto.js';
import { isUuid, type Db } from '../db/db.js';
import { NotFoundError, UnprocessableError, ValidationError } from '../errors.js';
import type { DomainEvent, EventPublisher } from './event-types.js';
import type { EventLookupsRepo } from './event-lookups-repo.js';
import type { EventListQuery, EventsRepo } from './events-repo.js';

/** An event posted by another system. The contact is named by id, phone or e-mail. */
export type IngestEvent = {
  type: string;
  contact?: { id?: string; phone?: string; email?: string } | null;
  data?: Record<string, unknown>;
  idempotencyKey?: string | null;
  occurredAt?: Date;
};

const MAX_DATA_BYTES = 16 * 1024;

export type EventsServiceDeps = {
  db: Db;
  events: Pick<EventsRepo, 'findEvent' | 'listEvents'>;
  lookups: Pick<EventLookupsRepo, 'contactIdBy'>;
  publisher: EventPublisher;
};

export const createEventsService = (deps: EventsServiceDeps) => {
  const resolveContact = async (accountId: string, c: IngestEvent['contact']): Promise<string | null> => {
    if (!c) return null;
    const [field, column, value] = c.id
      ? ['contact.id', 'id', c.id] as const
      : c.phone
        ? ['contact.phone', 'phone', c.phone] as const
        : c.email
          ? ['contact.email', 'email', c.email] as const
          : [null, null, null];
    if (!field) throw ValidationError.field('contact', 'give id, phone or email');
    if (field === 'contact.id' && !isUuid(value!)) throw ValidationError.field(field, 'must be a UUID');
    const id = await deps.lookups.contactIdBy(deps.db, accountId, column!, value!);
    if (!id) throw new ValidationError(`${field}: no such contact in this account`, [{ path: field, message: 'no such contact in this account' }], 'contact_not_found');
    return id;
  };

  /**
   * Records an event from outside (source `api`) and queues it. Idempotent on the key: a repeat
   * with the same content returns the first event (`created: false`); other content is a 422.
   */
  const ingest = async (accountId: string, input: IngestEvent): Promise<{ event: DomainEvent; created: boolean }> => {
    const data = input.data ?? {};
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA_BYTES) throw ValidationError.field('data', `must be at most ${MAX_DATA_BYTES} bytes of JSON`);
    const contactId = await resolveContact(accountId, input.contact);
    const result = await deps.publisher.publish(deps.db, {
      accountId, type: input.type, contactId, data, source: 'api', idempotencyKey: input.idempotencyKey ?? null, occurredAt: input.occurredAt,
    });
    if (!result.created) {
      const e = result.event;
      if (e.type !== input.type || e.contactId !== contactId || stableStringify(e.data) !== stableStringify(data)) {
        throw new UnprocessableError('this Idempotency-Key was used with a different event', 'idempotency_key_reused');
      }
    }
    return result;
  };

  const get = async (accountId: string, id: string): Promise<DomainEvent> => {
    const e = await deps.events.findEvent(deps.db, id, accountId);
    if (!e) throw new NotFoundError('event');
    return e;
  };

  const list = (accountId: string, q: EventListQuery) => deps.events.listEvents(deps.db, accountId, q);

  return { ingest, get, list };
};
export type EventsService = ReturnType<typeof createEventsService>;
