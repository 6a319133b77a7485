import type { Queryable } from '../db/db.js';
import type { DomainEvent, NewEvent } from './event-types.js';

type Row = Record<string, any>;

export const toEvent = (r: Row): DomainEvent => ({
  id: r.id,
  accountId: r.account_id,
  type: r.type,
  contactId: r.contact_id,
  data: r.data ?? {},
  source: r.source,
  idempotencyKey: r.idempotency_key,
  causedByRule: r.caused_by_rule,
  chainDepth: r.chain_depth,
  occurredAt: r.occurred_at,
});

/** Inserts an event; null when its idempotency key already exists for the account. */
export const insertEvent = async (q: Queryable, e: NewEvent): Promise<DomainEvent | null> => {
  const res = await q.query(
    `INSERT INTO events (account_id, type, contact_id, data, source, idempotency_key, caused_by_rule, chain_depth, occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, now()))
     ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING *`,
    [e.accountId, e.type, e.contactId, JSON.stringify(e.data ?? {}), e.source ?? 'internal', e.idempotencyKey ?? null,
      e.causedByRule ?? null, e.chainDepth ?? 0, e.occurredAt ?? null],
  );
  return res.rows[0] ? toEvent(res.rows[0]) : null;
};

/**
 * Inserts an event and its outbox row (topic `event`) in one statement — on the pool, one
 * implicit transaction. Null when its idempotency key already exists for the account.
 */
export const insertEventWithOutbox = async (q: Queryable, e: NewEvent): Promise<DomainEvent | null> => {
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
  return res.rows[0] ? toEvent(res.rows[0]) : null;
};

/** The outbox row (topic `event`) of an event inserted in the caller's transaction (idempotent). */
export const insertEventOutboxRow = async (q: Queryable, eventId: string): Promise<void> => {
  await q.query(`INSERT INTO outbox (topic, ref_id) VALUES ('event', $1) ON CONFLICT DO NOTHING`, [eventId]);
};

/**
 * Inserts many events without idempotency keys, each with its outbox row (topic `event`), in
 * one statement per chunk. Returns the new event ids.
 */
export const insertEventsWithOutbox = async (q: Queryable, events: NewEvent[]): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 2000) {
    const chunk = events.slice(i, i + 2000);
    const res = await q.query(
      `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::jsonb[], $5::text[], $6::uuid[], $7::int[]) WITH ORDINALITY
           AS v(account_id, type, contact_id, data, source, caused_by_rule, chain_depth, n)
       ), ev AS (
         INSERT INTO events (account_id, type, contact_id, data, source, caused_by_rule, chain_depth)
         SELECT account_id, type, contact_id, data, source, caused_by_rule, chain_depth FROM v ORDER BY n
         RETURNING id
       ), ob AS (
         INSERT INTO outbox (topic, ref_id) SELECT 'event', id::text FROM ev ON CONFLICT DO NOTHING
       )
       SELECT id FROM ev`,
      [chunk.map((e) => e.accountId), chunk.map((e) => e.type), chunk.map((e) => e.contactId), chunk.map((e) => JSON.stringify(e.data ?? {})),
        chunk.map((e) => e.source ?? 'internal'), chunk.map((e) => e.causedByRule ?? null), chunk.map((e) => e.chainDepth ?? 0)],
    );
    ids.push(...res.rows.map((r) => r.id as string));
  }
  return ids;
};

export const findEventByKey = async (q: Queryable, accountId: string, key: string): Promise<DomainEvent | null> => {
  const res = await q.query('SELECT * FROM events WHERE account_id = $1 AND idempotency_key = $2', [accountId, key]);
  return res.rows[0] ? toEvent(res.rows[0]) : null;
};

export const findEvent = async (q: Queryable, id: string, accountId?: string): Promise<DomainEvent | null> => {
  const res = accountId
    ? await q.query('SELECT * FROM events WHERE id = $1 AND account_id = $2', [id, accountId])
    : await q.query('SELECT * FROM events WHERE id = $1', [id]);
  return res.rows[0] ? toEvent(res.rows[0]) : null;
};

export type EventListQuery = { type?: string; contactId?: string; from?: Date; to?: Date; before?: string; limit: number };

/** Newest first; `before` is an event id cursor. */
export const listEvents = async (q: Queryable, accountId: string, f: EventListQuery): Promise<DomainEvent[]> => {
  const where = ['account_id = $1'];
  const args: unknown[] = [accountId];
  const add = (sql: string, v: unknown) => { args.push(v); where.push(sql.replace('?', `$${args.length}`)); };
  if (f.type) add('type = ?', f.type);
  if (f.contactId) add('contact_id = ?', f.contactId);
  if (f.from) add('occurred_at >= ?', f.from);
  if (f.to) add('occurred_at < ?', f.to);
  if (f.before) add('(occurred_at, id) < (SELECT occurred_at, id FROM events WHERE id = ?)', f.before);
  args.push(f.limit);
  const res = await q.query(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY occurred_at DESC, id DESC LIMIT $${args.length}`, args);
  return res.rows.map(toEvent);
};

export const eventsRepo = { insertEvent, insertEventWithOutbox, insertEventOutboxRow, insertEventsWithOutbox, findEventByKey, findEvent, listEvents };
export type EventsRepo = typeof eventsRepo;
