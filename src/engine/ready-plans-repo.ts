import type { PoolClient } from 'pg';
import type { Queryable } from '../db/db.js';
import type { ActivationSource } from './activation-types.js';
import type { DeliveryChannel } from './channel-port.js';

/** The hidden workflow a kind of ready plan is an activation of, and its only version. */
export type SystemWorkflowRef = { workflowId: string; versionId: string };

/** One delivery of a ready plan, already rendered. */
export type ReadyDelivery = {
  actionId: string;
  channel: DeliveryChannel;
  /** Unique per action within the activation: a contact id, `caller`, `owner:<email>`, `webhook`. */
  recipientKey: string;
  contactId: string | null;
  address: string | null;
  /**
   * delivery-payloads.ts for the channel: sms `{ body, lineId, from }`, voice `{ text, lineId, from }`,
   * email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`.
   */
  payload: Record<string, unknown>;
  meta: Record<string, unknown>;
  /** The feature's own refusal: stored as a `skipped` delivery with this reason (final at once, never queued). */
  skipReason?: string | null;
  /** Also write the outbound conversation-history row (`messages`, linked by delivery id); never for webhooks or skips. */
  history?: boolean;
};

/** A delivery as stored in `activations.ready_plan`: with its id. */
export type StoredReadyDelivery = Omit<ReadyDelivery, 'skipReason' | 'history'> & { id: string; skipReason: string | null; history: boolean };

/** A delivery of the plan: `pending` (to be sent) or `skipped` (the plan's skip reason). */
export type ReadyDeliveryRow = {
  id: string; actionId: string; recipientKey: string; channel: DeliveryChannel; status: string; skipReason: string | null;
};

/**
 * The account's system workflow named `name` (soft-deleted: never listed, never takes a code,
 * nothing else activates it), created on first use. One creator per account and name across
 * processes: the others wait on the advisory lock, then find its row. `created` rows may still
 * roll back with `tx`.
 */
export const findOrCreateSystemWorkflow = async (
  tx: PoolClient, accountId: string, kind: { source: string; workflowName: string; description: string },
): Promise<SystemWorkflowRef & { created: boolean }> => {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${kind.source}-sends:${accountId}`]);
  const found = await tx.query(
    `SELECT w.id, v.id AS version_id FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = 1
      WHERE w.account_id = $1 AND w.name = $2 AND w.deleted_at IS NOT NULL ORDER BY w.created_at LIMIT 1`,
    [accountId, kind.workflowName],
  );
  if (found.rows[0]) return { workflowId: found.rows[0].id, versionId: found.rows[0].version_id, created: false };
  const w = await tx.query(
    'INSERT INTO workflows (account_id, name, description, deleted_at) VALUES ($1, $2, $3, now()) RETURNING id',
    [accountId, kind.workflowName, kind.description],
  );
  const v = await tx.query(
    'INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3) RETURNING id',
    [w.rows[0].id, accountId, JSON.stringify({ name: kind.workflowName, description: '', actions: [] })],
  );
  return { workflowId: w.rows[0].id, versionId: v.rows[0].id, created: true };
};

export type NewReadyActivation = SystemWorkflowRef & {
  accountId: string;
  source: ActivationSource;
  key: string;
  placeholders: Record<string, string>;
  context: Record<string, unknown>;
  deliveries: StoredReadyDelivery[];
};

/**
 * Inserts the `queued` activation holding the ready plan and its outbox row (what the relay
 * queues and the sweeper re-queues), unless the idempotency key exists: then null.
 */
export const insertReadyActivation = async (q: Queryable, a: NewReadyActivation): Promise<string | null> => {
  const res = await q.query(
    `WITH a AS (
       INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders, context, ready_plan)
       VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8)
       ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id
     ), o AS (INSERT INTO outbox (topic, ref_id) SELECT 'activation', id FROM a ON CONFLICT DO NOTHING)
     SELECT id FROM a`,
    [a.accountId, a.workflowId, a.versionId, a.source, a.key, JSON.stringify(a.placeholders), JSON.stringify(a.context),
      JSON.stringify({ deliveries: a.deliveries })],
  );
  return (res.rows[0]?.id as string | undefined) ?? null;
};

const toRow = (r: Record<string, any>): ReadyDeliveryRow => ({
  id: r.id, actionId: r.action_id ?? r.actionId, recipientKey: r.recipient_key ?? r.recipientKey, channel: r.channel,
  status: r.status ?? (r.skipReason ? 'skipped' : 'pending'), skipReason: r.skip_reason ?? r.skipReason ?? null,
});

/**
 * The activation of an idempotency key and the deliveries of its ready plan, as first written.
 * An activation written before ready plans existed (a direct send: rows but no plan) answers
 * with its delivery rows. Null when the key is unknown.
 */
export const findReadyByKey = async (
  q: Queryable, accountId: string, key: string,
): Promise<{ activationId: string; deliveries: ReadyDeliveryRow[] } | null> => {
  const res = await q.query('SELECT id, ready_plan FROM activations WHERE account_id = $1 AND idempotency_key = $2', [accountId, key]);
  const a = res.rows[0];
  if (!a) return null;
  if (a.ready_plan) return { activationId: a.id, deliveries: (a.ready_plan.deliveries as StoredReadyDelivery[]).map(toRow) };
  const rows = await q.query(
    'SELECT id, action_id, recipient_key, channel, status, skip_reason FROM deliveries WHERE activation_id = $1 ORDER BY created_at, id',
    [a.id],
  );
  return { activationId: a.id, deliveries: rows.rows.map(toRow) };
};

export const readyPlansRepo = { findOrCreateSystemWorkflow, insertReadyActivation, findReadyByKey };
export type ReadyPlansRepo = typeof readyPlansRepo;
