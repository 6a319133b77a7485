/**
 * Records inbound calls (the `calls` history row of every first voice webhook) with group
 * inserts: calls arriving while an insert is in flight go together in the next multi-row INSERT,
 * one round trip and one (asynchronous) commit for all of them. A lone call is written at once,
 * so a quiet line waits for nothing; under a burst of calls PostgreSQL does one statement per
 * batch instead of one per call (bench:webhooks: the gateway spent most of each call waiting on
 * PostgreSQL). Each caller's webhook still answers only after its row is stored.
 *
 * Same contract as `insertInboundCall`: once per CallSid (carrier retries store nothing new),
 * committed with `synchronous_commit = off` (history only: a crash in the next few milliseconds
 * can lose the row, never an activation). The caller's contact is resolved inside the INSERT when
 * not given. If a batch fails (a line deleted meanwhile…), its calls are retried one by one so a
 * bad row fails only its own webhook.
 */
import type { Db } from '../db/db.js';
import type { NewInboundCall } from './conversation-repo.js';

/** `contactId: undefined`: look the caller up by phone number in the line's account. */
export type InboundCallRow = Omit<NewInboundCall, 'contactId'> & { contactId?: string | null };

export type InboundCallWriter = { write(call: InboundCallRow): Promise<void> };

const INSERT = `WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
  INSERT INTO calls (account_id, line_id, contact_id, provider_call_id, direction, from_number, to_number, source, status, answered_at)
  SELECT v.account_id, v.line_id,
         CASE WHEN v.lookup THEN (SELECT k.id FROM contacts k WHERE k.account_id = v.account_id AND k.phone = v.from_number LIMIT 1) ELSE v.contact_id END,
         v.provider_call_id, 'inbound', v.from_number, v.to_number, v.source, 'in-progress', now()
    FROM async_commit, unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::boolean[], $5::text[], $6::text[], $7::text[], $8::text[])
         AS v(account_id, line_id, contact_id, lookup, provider_call_id, from_number, to_number, source)
  ON CONFLICT (provider_call_id) DO NOTHING`;

type Pending = { row: InboundCallRow; resolve: () => void; reject: (err: unknown) => void };

export const createInboundCallWriter = (deps: { db: Pick<Db, 'query'>; maxBatch?: number }): InboundCallWriter => {
  const maxBatch = deps.maxBatch ?? 200;
  let queue: Pending[] = [];
  let inFlight = 0;
  /**
   * One insert in flight per process: calls arriving meanwhile form the next batch. A statement
   * costs PostgreSQL ~250 µs of CPU on its own, a row ~40 µs (measured: 310 µs/row one by one,
   * 69 µs/row in batches of 8, 41 in batches of 50), so under load bigger batches are what scales;
   * two in flight halved the batches (bench:webhooks PostgreSQL CPU 78 -> 61 µs per call with one).
   */
  const MAX_IN_FLIGHT = 1;

  const insert = (rows: InboundCallRow[]) => deps.db.query({
    name: 'sb-inbound-calls-insert',
    text: INSERT,
    values: [
      rows.map((r) => r.accountId), rows.map((r) => r.lineId), rows.map((r) => r.contactId ?? null), rows.map((r) => r.contactId === undefined),
      rows.map((r) => r.providerCallId), rows.map((r) => r.from), rows.map((r) => r.to), rows.map((r) => r.source),
    ],
  });

  const flush = () => {
    while (queue.length > 0 && inFlight < MAX_IN_FLIGHT) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void insert(batch.map((p) => p.row))
        .then(() => batch.forEach((p) => p.resolve()), async () => {
          // One bad row must not fail its neighbours: each on its own.
          await Promise.all(batch.map((p) => insert([p.row]).then(() => p.resolve(), p.reject)));
        })
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  };

  return {
    write(row) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        flush();
      });
    },
  };
};
