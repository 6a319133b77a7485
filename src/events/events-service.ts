import { stableStringify } from '../crypto.js';
import { isUuid, type Db } from '../db/db.js';
import { NotFoundError, UnprocessableError, ValidationError } from '../errors.js';
import type { DomainEvent, EventPublisher } from './event-types.js';
import { findEvent, listEvents, type EventListQuery } from './events-repo.js';

/** An event posted by another system. The contact is named by id, phone or e-mail. */
export type IngestEvent = {
  type: string;
  contact?: { id?: string; phone?: string; email?: string } | null;
  data?: Record<string, unknown>;
  idempotencyKey?: string | null;
  occurredAt?: Date;
};

const MAX_DATA_BYTES = 16 * 1024;

export const createEventsService = (deps: { db: Db; publisher: EventPublisher }) => {
  const resolveContact = async (accountId: string, c: IngestEvent['contact']): Promise<string | null> => {
    if (!c) return null;
    const [field, sql, value] = c.id
      ? ['contact.id', 'id = $2', c.id]
      : c.phone
        ? ['contact.phone', 'phone = $2', c.phone]
        : c.email
          ? ['contact.email', 'lower(email) = lower($2)', c.email]
          : [null, null, null];
    if (!field) throw ValidationError.field('contact', 'give id, phone or email');
    if (field === 'contact.id' && !isUuid(value!)) throw ValidationError.field(field, 'must be a UUID');
    const res = await deps.db.query(`SELECT id FROM contacts WHERE account_id = $1 AND ${sql} ORDER BY created_at LIMIT 1`, [accountId, value]);
    if (!res.rows[0]) throw new ValidationError(`${field}: no such contact in this account`, [{ path: field, message: 'no such contact in this account' }], 'contact_not_found');
    return res.rows[0].id;
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
    const e = await findEvent(deps.db, id, accountId);
    if (!e) throw new NotFoundError('event');
    return e;
  };

  const list = (accountId: string, q: EventListQuery) => listEvents(deps.db, accountId, q);

  return { ingest, get, list };
};
export type EventsService = ReturnType<typeof createEventsService>;
