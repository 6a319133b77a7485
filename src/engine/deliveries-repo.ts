import type { Queryable } from '../db/db.js';
import type { ActivationChange, DeliveryChange } from './feed.js';
import { describeFailure } from './failure-reasons.js';
import type { DeliveryChannel } from './channel-port.js';
import { statusesBefore, type DeliveryStatus } from './delivery-status.js';

/** A stored delivery, as the engine works with it. */
export type Delivery = {
  id: string;
  accountId: string;
  activationId: string;
  actionId: string;
  recipientKey: string;
  contactId: string | null;
  channel: DeliveryChannel;
  address: string | null;
  status: DeliveryStatus;
  skipReason: string | null;
  provider: string | null;
  providerId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  claimToken: string | null;
  claimedAt: Date | null;
  notBefore: Date | null;
  payload: Record<string, unknown>;
  meta: Record<string, unknown>;
  updatedAt: Date;
};

export const toDelivery = (r: Record<string, any>): Delivery => ({
  id: r.id, accountId: r.account_id, activationId: r.activation_id, actionId: r.action_id, recipientKey: r.recipient_key,
  contactId: r.contact_id, channel: r.channel, address: r.address, status: r.status, skipReason: r.skip_reason,
  provider: r.provider, providerId: r.provider_id, errorCode: r.error_code, errorMessage: r.error_message, attempts: r.attempts,
  claimToken: r.claim_token, claimedAt: r.claimed_at, notBefore: r.not_before, payload: r.payload ?? {}, meta: r.meta ?? {},
  updatedAt: r.updated_at,
});

export const toChange = (
  d: Pick<Delivery, 'id' | 'activationId' | 'actionId' | 'recipientKey' | 'contactId' | 'channel' | 'status' | 'skipReason' | 'errorCode'> & { providerId?: string | null },
): DeliveryChange => ({
  type: 'delivery', activationId: d.activationId, deliveryId: d.id, actionId: d.actionId, recipientKey: d.recipientKey,
  contactId: d.contactId, channel: d.channel, status: d.status, skipReason: d.skipReason, errorCode: d.errorCode,
  ...describeFailure(d), providerMessageId: d.providerId ?? null, at: new Date().toISOString(),
});

/** A delivery the planner wants to exist. */
export type PlannedDelivery = {
  actionId: string;
  recipientKey: string;
  contactId: string | null;
  channel: DeliveryChannel;
  address: string | null;
  status: 'pending' | 'skipped';
  skipReason: string | null;
  payload: Record<string, unknown>;
  meta: Record<string, unknown>;
  /** A ready plan's row (src/engine/ready-plans.ts) carries the id its feature already recorded; otherwise a new one. */
  id?: string;
  /** `false`: no conversation-history row for it (a ready plan's choice; workflow sends always get one). */
  history?: boolean;
};

/**
 * The conversation-history row (`messages`, linked by delivery id) of each new pending sms, voice,
 * e-mail and push delivery, written by the same statement as the delivery (so exactly once: a
 * delivery that already existed is not returned by the INSERT). Its status then mirrors the
 * delivery's (`MIRROR_TO_MESSAGES`). Conference, pager and webhook sends are not messages.
 * No `ON CONFLICT` clause: every `i` row is a delivery this statement created, so no message can
 * name it yet (messages_delivery_uniq still guards it); the clause made each row a speculative
 * insertion, one more probe of that index and one more WAL record per text (bench:fanout).
 */
const HISTORY_OF_INSERTED = `INSERT INTO messages (account_id, contact_id, line_id, direction, channel, from_address, to_address, body, status,
                             activation_id, delivery_id, meta)
       SELECT i.account_id, i.contact_id, (i.payload->>'lineId')::uuid, 'outbound', i.channel, i.payload->>'from', i.address,
              CASE i.channel WHEN 'voice' THEN COALESCE(i.payload->>'text', '')
                             WHEN 'email' THEN concat_ws(E'\\n\\n', i.payload->>'subject', i.payload->>'text')
                             WHEN 'push' THEN concat_ws(E'\\n\\n', NULLIF(i.payload->>'title', ''), i.payload->>'body')
                             ELSE COALESCE(i.payload->>'body', '') END,
              'queued', i.activation_id, i.id, i.meta
         FROM i WHERE i.status = 'pending' AND i.channel IN ('sms', 'voice', 'email', 'push')`;

/**
 * The INSERT of `insertPlanned`. Workflow rows get new ids and the one delivery key is the
 * arbiter. Rows with ids of their own (ready plans) name them (`$12`), and every unique index is
 * an arbiter: planning the same ready plan twice, even concurrently, meets the same id and key and
 * adds nothing; rows listed in `$13` get no conversation-history row.
 */
const insertPlannedSql = (withIds: boolean, running = false) => `WITH i AS (
       INSERT INTO deliveries (${withIds ? 'id, ' : ''}account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, skip_reason,
                               payload, meta, final_at)
       SELECT ${withIds ? 'COALESCE(v.id, gen_random_uuid()), ' : ''}$1, $2, v.action_id, v.recipient_key, v.contact_id, v.channel, v.address, v.status,
              v.skip_reason, v.payload::jsonb, v.meta::jsonb, CASE WHEN v.status = 'skipped' THEN now() END
         FROM unnest($3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[]${withIds ? ', $12::uuid[]' : ''})
              AS v(action_id, recipient_key, contact_id, channel, address, status, skip_reason, payload, meta${withIds ? ', id' : ''})
       ON CONFLICT ${withIds ? '' : '(activation_id, action_id, recipient_key, channel) '}DO NOTHING
       RETURNING id, account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, skip_reason, payload, meta
     ), m AS (${withIds ? HISTORY_OF_INSERTED.replace('FROM i WHERE', 'FROM i WHERE i.id <> ALL($13::uuid[]) AND') : HISTORY_OF_INSERTED})${running ? `, s AS (
       UPDATE activations SET status = 'running', planned_at = COALESCE(planned_at, now()),
              recipient_count = (SELECT count(DISTINCT COALESCE(i.contact_id::text, i.recipient_key))::int FROM i WHERE i.status <> 'skipped')
        WHERE id = $2 AND status NOT IN ('dispatched', 'completed', 'failed') AND (SELECT count(*) FROM i) = $${withIds ? 14 : 12}
        RETURNING status, recipient_count
     )` : ''}
     SELECT id, account_id, activation_id, action_id, recipient_key, contact_id, channel, status, skip_reason${running ? `,
            (SELECT status FROM s) AS run_status, (SELECT recipient_count FROM s) AS run_count` : ''} FROM i`;
const INSERT_PLANNED = insertPlannedSql(false);
const INSERT_READY = insertPlannedSql(true);
const INSERT_PLANNED_RUNNING = insertPlannedSql(false, true);
const INSERT_READY_RUNNING = insertPlannedSql(true, true);

/**
 * Inserts planned deliveries; an existing (activation, action, recipient, channel) is left as it
 * is, so planning twice is harmless. Returns the new rows (identity and status only). Writes the
 * conversation-history row of each new text, call, e-mail and push in the same statement (unless
 * the row says `history: false`).
 */
/** The INSERT's parameters for `chunk`, and whether its rows name their ids (ready plans). */
const insertValues = (accountId: string, activationId: string, chunk: PlannedDelivery[]) => {
  const withIds = chunk.some((r) => r.id !== undefined || r.history === false);
  const values: unknown[] = [
    accountId, activationId,
    chunk.map((r) => r.actionId), chunk.map((r) => r.recipientKey), chunk.map((r) => r.contactId), chunk.map((r) => r.channel),
    chunk.map((r) => r.address), chunk.map((r) => r.status), chunk.map((r) => r.skipReason),
    chunk.map((r) => JSON.stringify(r.payload)), chunk.map((r) => JSON.stringify(r.meta)),
  ];
  if (withIds) {
    const ids = chunk.map((r) => r.id ?? null);
    values.push(ids, ids.filter((id, n): id is string => id !== null && chunk[n]!.history === false));
  }
  return { withIds, values };
};

export const insertPlanned = async (q: Queryable, accountId: string, activationId: string, rows: PlannedDelivery[]): Promise<Delivery[]> => {
  const inserted: Delivery[] = [];
  for (let i = 0; i < rows.length; i += 2000) {
    const { withIds, values } = insertValues(accountId, activationId, rows.slice(i, i + 2000));
    const res = await q.query(withIds ? INSERT_READY : INSERT_PLANNED, values);
    inserted.push(...res.rows.map(toDelivery));
  }
  return inserted;
};

/**
 * `insertPlanned` for a small plan (at most 2,000 rows) that also sets its activation running,
 * with its recipient count, in the same statement (one round trip for what the planner did in
 * two): only when every row is new and the activation is not already final. Otherwise `running`
 * is null and the status is left as it was, for the caller to set (counting recipients from the
 * table: an earlier run wrote some of the rows).
 */
export const insertPlannedRunning = async (
  q: Queryable, accountId: string, activationId: string, rows: PlannedDelivery[],
): Promise<{ created: Delivery[]; running: (ActivationChange & { recipientCount: number }) | null }> => {
  if (rows.length === 0 || rows.length > 2000) return { created: await insertPlanned(q, accountId, activationId, rows), running: null };
  const { withIds, values } = insertValues(accountId, activationId, rows);
  const res = await q.query(withIds ? INSERT_READY_RUNNING : INSERT_PLANNED_RUNNING, [...values, rows.length]);
  const r = res.rows[0];
  return {
    created: res.rows.map(toDelivery),
    running: r?.run_status ? { type: 'activation', activationId, status: r.run_status, recipientCount: r.run_count, at: new Date().toISOString() } : null,
  };
};

/** Ids of an activation's deliveries still waiting to be sent, in a stable order. */
export const pendingIds = async (q: Queryable, activationId: string): Promise<string[]> => {
  const res = await q.query(`SELECT id FROM deliveries WHERE activation_id = $1 AND status = 'pending' ORDER BY id`, [activationId]);
  return res.rows.map((r) => r.id as string);
};

/**
 * The columns `toDelivery` reads, listed (not `*`): the hot statements below are named prepared
 * statements (parsed and planned once per connection, not per batch: about a quarter of
 * PostgreSQL's CPU per fan-out), and a prepared `RETURNING *` would fail with "cached plan must
 * not change result type" on every pooled connection after a migration adds a column.
 */
const DELIVERY_COLUMNS = `id, account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, skip_reason,
  provider, provider_id, error_code, error_message, attempts, claim_token, claimed_at, not_before, payload, meta, updated_at`;

/**
 * A delivery's identity and state without its payload and meta: what `finish` returns for the
 * live feed and the status bookkeeping. Parsing every row's jsonb payload back after a send was
 * pure waste (bench:fanout: 10,000 payloads per fan-out).
 */
export type DeliveryState = Pick<Delivery, 'id' | 'accountId' | 'activationId' | 'actionId' | 'recipientKey' | 'contactId' | 'channel' | 'status' | 'skipReason' | 'providerId' | 'errorCode'>;
const STATE_COLUMNS_OF_D = 'd.id, d.account_id, d.activation_id, d.action_id, d.recipient_key, d.contact_id, d.channel, d.status, d.skip_reason, d.provider_id, d.error_code';
const toDeliveryState = (r: Record<string, any>): DeliveryState => ({
  id: r.id, accountId: r.account_id, activationId: r.activation_id, actionId: r.action_id, recipientKey: r.recipient_key,
  contactId: r.contact_id, channel: r.channel, status: r.status, skipReason: r.skip_reason, providerId: r.provider_id, errorCode: r.error_code,
});

/**
 * The UPDATE that claims the given deliveries (`$1` ids, `$2` token) that are `pending` and due:
 * `sending` with a fresh claim token, returned whole. Concurrent claimers never get the same row;
 * a delivery is sent at most once per claim. The delivery worker runs it through `claimSendable`
 * (contact-refusals.ts), which adds the do-not-contact and opt-out check to the same statement.
 */
export const CLAIM_SQL = `UPDATE deliveries SET status = 'sending', claim_token = $2, claimed_at = now(), attempts = attempts + 1, updated_at = now()
      WHERE id = ANY($1::uuid[]) AND status = 'pending' AND (not_before IS NULL OR not_before <= now() + interval '1 second')
      RETURNING ${DELIVERY_COLUMNS}`;

/** What became of one claimed delivery. `pending` gives it back (retry at `notBefore`). */
export type Outcome = {
  id: string;
  status: DeliveryStatus;
  provider?: string | null;
  providerId?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  notBefore?: Date | null;
  /** Give back the attempt counted by the claim (rate limits are not attempts). */
  uncount?: boolean;
  meta?: Record<string, unknown> | null;
};

/**
 * A CTE body over `u` (updated deliveries, with id, status and error_code): the delivery's
 * conversation-history row takes its status (and carrier error code) once it is handed over.
 * Deliveries only move forward and each statement holds the delivery's row lock while it writes
 * the message, so the message follows the delivery's order.
 */
const MIRROR_TO_MESSAGES = `UPDATE messages m SET status = u.status, error_code = COALESCE(u.error_code, m.error_code)
       FROM u WHERE m.delivery_id = u.id AND u.status NOT IN ('pending', 'sending') AND m.status IS DISTINCT FROM u.status`;

/**
 * Stores the outcomes of claimed deliveries in one statement, only where the claim token still
 * matches (a reconciler may have taken the row over). A status callback that already moved the
 * row on keeps its status; the provider id is stored either way. Writes one delivery event each,
 * and the status on the delivery's conversation-history row.
 */
export const finish = async (q: Queryable, token: string, outcomes: Outcome[]): Promise<DeliveryState[]> => {
  if (outcomes.length === 0) return [];
  const res = await q.query({
    name: 'sb-delivery-finish',
    text: `WITH v AS (
       SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::boolean[], $10::text[])
         AS v(id, status, provider, provider_id, error_code, error_message, not_before, uncount, meta)
     ), u AS (
       UPDATE deliveries d SET
         status = CASE WHEN d.status = 'sending' THEN v.status ELSE d.status END,
         provider = COALESCE(v.provider, d.provider),
         provider_id = COALESCE(d.provider_id, v.provider_id),
         error_code = CASE WHEN d.status = 'sending' THEN v.error_code ELSE d.error_code END,
         error_message = CASE WHEN d.status = 'sending' THEN v.error_message ELSE d.error_message END,
         not_before = v.not_before,
         attempts = CASE WHEN v.uncount THEN d.attempts - 1 ELSE d.attempts END,
         claim_token = CASE WHEN v.status = 'pending' THEN NULL ELSE d.claim_token END,
         sent_at = CASE WHEN v.provider_id IS NOT NULL THEN now() ELSE d.sent_at END,
         final_at = CASE WHEN v.status NOT IN ('pending', 'sending') THEN COALESCE(d.final_at, now()) ELSE d.final_at END,
         meta = CASE WHEN v.meta IS NULL THEN d.meta ELSE d.meta || v.meta::jsonb END,
         updated_at = now()
       FROM v WHERE d.id = v.id AND d.claim_token = $1
       RETURNING ${STATE_COLUMNS_OF_D}
     ), e AS (
       INSERT INTO delivery_events (delivery_id, account_id, status, detail)
       SELECT u.id, u.account_id, v.status, jsonb_strip_nulls(jsonb_build_object('providerId', v.provider_id, 'errorCode', v.error_code, 'error', v.error_message))
         FROM u JOIN v ON v.id = u.id
     ), m AS (${MIRROR_TO_MESSAGES})
     SELECT * FROM u`,
    values: [
      token, outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.provider ?? null),
      outcomes.map((o) => o.providerId ?? null), outcomes.map((o) => o.errorCode ?? null), outcomes.map((o) => o.errorMessage ?? null),
      outcomes.map((o) => o.notBefore ?? null), outcomes.map((o) => o.uncount ?? false), outcomes.map((o) => (o.meta ? JSON.stringify(o.meta) : null)),
    ],
  });
  return res.rows.map(toDeliveryState);
};

export type Transition = {
  accountId: string;
  to: DeliveryStatus;
  deliveryId?: string;
  providerId?: string;
  errorCode?: string | null;
  sequence?: number | null;
  detail?: Record<string, unknown>;
};

/**
 * Moves a delivery forward to `to` (found by id, else by provider id, within the account): only
 * from a lower-ranked status, and, when both the stored row and `sequence` have a carrier
 * SequenceNumber (calls), only for a higher one, so repeated and out-of-order callbacks are
 * harmless. A call whose placing was in doubt (`failed` / `send_in_doubt`) is revived by any
 * callback. The delivery's conversation-history row takes the new status in the same statement.
 * Returns the row if it moved, null otherwise.
 */
export const transition = async (q: Queryable, t: Transition): Promise<Delivery | null> => {
  const res = await q.query(
    `WITH u AS (
       UPDATE deliveries SET status = $3, error_code = $5, provider_id = COALESCE(provider_id, $4),
              last_sequence = GREATEST(last_sequence, $6::int), final_at = COALESCE(final_at, now()), updated_at = now()
        WHERE account_id = $1 AND (CASE WHEN $2::uuid IS NOT NULL THEN id = $2::uuid ELSE provider_id = $4 END)
          AND (status = ANY($7::text[]) OR (status = 'failed' AND error_code = 'send_in_doubt' AND $3 <> 'failed'))
          AND ($6::int IS NULL OR last_sequence IS NULL OR last_sequence < $6::int)
        RETURNING *
     ), e AS (
       INSERT INTO delivery_events (delivery_id, account_id, status, detail)
       SELECT id, account_id, $3, $8::jsonb FROM u
     ), m AS (${MIRROR_TO_MESSAGES})
     SELECT * FROM u`,
    [t.accountId, t.deliveryId ?? null, t.to, t.providerId ?? null, t.errorCode ?? null, t.sequence ?? null, statusesBefore(t.to),
      JSON.stringify({ ...(t.detail ?? {}), ...(t.errorCode ? { errorCode: t.errorCode } : {}) })],
  );
  return res.rows[0] ? toDelivery(res.rows[0]) : null;
};

export const findDelivery = async (q: Queryable, id: string, accountId?: string): Promise<Delivery | null> => {
  const res = await q.query('SELECT * FROM deliveries WHERE id = $1 AND ($2::uuid IS NULL OR account_id = $2)', [id, accountId ?? null]);
  return res.rows[0] ? toDelivery(res.rows[0]) : null;
};

export const findByProviderId = async (q: Queryable, accountId: string, providerId: string): Promise<Delivery | null> => {
  const res = await q.query('SELECT * FROM deliveries WHERE account_id = $1 AND provider_id = $2', [accountId, providerId]);
  return res.rows[0] ? toDelivery(res.rows[0]) : null;
};

/**
 * Claim heartbeat: moves `claimed_at` to now on each row still `sending` under the token we hold
 * for it; returns the ids whose claim is still ours (the others were taken over by the sweeper).
 */
export const refreshClaims = async (q: Queryable, held: ReadonlyArray<{ id: string; token: string }>): Promise<Set<string>> => {
  const res = await q.query(
    `UPDATE deliveries d SET claimed_at = now() FROM unnest($1::uuid[], $2::uuid[]) AS h(id, token)
      WHERE d.id = h.id AND d.claim_token = h.token AND d.status = 'sending' RETURNING d.id`,
    [held.map((h) => h.id), held.map((h) => h.token)],
  );
  return new Set(res.rows.map((r) => r.id as string));
};

/** Which of these carrier ids are already recorded on a delivery other than `exceptDeliveryId`. */
export const providerIdsTaken = async (q: Queryable, providerIds: string[], exceptDeliveryId: string): Promise<Set<string>> => {
  const res = await q.query('SELECT provider_id FROM deliveries WHERE provider_id = ANY($1::text[]) AND id <> $2', [providerIds, exceptDeliveryId]);
  return new Set(res.rows.map((r) => r.provider_id as string));
};

export const deliveriesRepo = { insertPlanned, insertPlannedRunning, pendingIds, finish, transition, findDelivery, findByProviderId, refreshClaims, providerIdsTaken };
export type DeliveriesRepo = typeof deliveriesRepo;
