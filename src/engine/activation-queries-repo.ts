import type { Queryable } from '../db/db.js';
import { decodeCursor } from '../db/pagination.js';
import type { Activation, ActivationSource } from './activation-types.js';
import { toActivation } from './activations-repo.js';

type Row = Record<string, any>;

/** The read side of the activation API: activations with their workflow's name, and their deliveries. */

export type ActivationFilters = { workflowId?: string; source?: ActivationSource; from?: Date; to?: Date };

/** A delivery row as the API reads it (no payload), with its contact's name. */
export type DeliveryReadRow = {
  id: string; actionId: string; recipientKey: string; contactId: string | null; contactName: string | null; channel: string;
  status: string; skipReason: string | null; errorCode: string | null; errorMessage: string | null; attempts: number;
  meta: Record<string, unknown> | null; updatedAt: Date; providerId: string | null;
};

export type NamedActivation = Activation & { workflowName: string };

const toNamed = (r: Row): NamedActivation => ({ ...toActivation(r), workflowName: r.workflow_name });

export const findNamedActivation = async (q: Queryable, accountId: string, id: string): Promise<NamedActivation | null> => {
  const res = await q.query(
    'SELECT a.*, w.name AS workflow_name FROM activations a JOIN workflows w ON w.id = a.workflow_id WHERE a.account_id = $1 AND a.id = $2',
    [accountId, id],
  );
  return res.rows[0] ? toNamed(res.rows[0]) : null;
};

/** Every delivery of the activation, ordered by contact name, recipient, action and channel. */
export const listActivationDeliveries = async (q: Queryable, accountId: string, activationId: string): Promise<DeliveryReadRow[]> => {
  const res = await q.query(
    `SELECT d.id, d.action_id, d.recipient_key, d.contact_id, d.channel, d.status, d.skip_reason, d.error_code, d.error_message,
            d.attempts, d.meta, d.updated_at, d.provider_id, c.name AS contact_name
       FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id
      WHERE d.activation_id = $1 AND d.account_id = $2
      ORDER BY c.name NULLS LAST, d.recipient_key, d.action_id, d.channel`,
    [activationId, accountId],
  );
  return res.rows.map((r) => ({
    id: r.id, actionId: r.action_id, recipientKey: r.recipient_key, contactId: r.contact_id, contactName: r.contact_name,
    channel: r.channel, status: r.status, skipReason: r.skip_reason, errorCode: r.error_code, errorMessage: r.error_message,
    attempts: r.attempts, meta: r.meta, updatedAt: r.updated_at, providerId: r.provider_id ?? null,
  }));
};

/** Deliveries per status of each activation, in one query (`{ id: { queued: 4 } }`). */
export const countDeliveriesByStatus = async (q: Queryable, activationIds: string[]): Promise<Array<{ activationId: string; status: string; n: number }>> => {
  if (activationIds.length === 0) return [];
  const res = await q.query(
    'SELECT activation_id, status, count(*)::int AS n FROM deliveries WHERE activation_id = ANY($1::uuid[]) GROUP BY activation_id, status',
    [activationIds],
  );
  return res.rows.map((r) => ({ activationId: r.activation_id, status: r.status, n: r.n }));
};

/** Newest first; keyset pagination on (created_at, id); `limit + 1` rows so the caller sees whether more follow. */
export const listNamedActivations = async (
  q: Queryable, accountId: string, f: ActivationFilters, page: { limit: number; cursor?: string | null },
): Promise<Array<NamedActivation & { cursorT: string }>> => {
  const params: unknown[] = [accountId];
  let where = 'a.account_id = $1';
  if (f.workflowId) where += ` AND a.workflow_id = $${params.push(f.workflowId)}`;
  if (f.source) where += ` AND a.source = $${params.push(f.source)}`;
  if (f.from) where += ` AND a.created_at >= $${params.push(f.from)}`;
  if (f.to) where += ` AND a.created_at < $${params.push(f.to)}`;
  if (page.cursor) {
    const k = decodeCursor(page.cursor);
    where += ` AND (a.created_at, a.id) < ($${params.push(k.t)}::timestamptz, $${params.push(k.id)}::uuid)`;
  }
  const res = await q.query(
    `SELECT a.*, w.name AS workflow_name,
            to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS _cursor_t
       FROM activations a JOIN workflows w ON w.id = a.workflow_id
      WHERE ${where} ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.push(page.limit + 1)}`,
    params,
  );
  return res.rows.map((r) => ({ ...toNamed(r), cursorT: r._cursor_t }));
};

/** Status and recipient count only (live feed snapshot); null when not in the account. */
export const findActivationStatus = async (q: Queryable, accountId: string, id: string): Promise<{ status: string; recipientCount: number | null } | null> => {
  const res = await q.query('SELECT status, recipient_count FROM activations WHERE account_id = $1 AND id = $2', [accountId, id]);
  return res.rows[0] ? { status: res.rows[0].status, recipientCount: res.rows[0].recipient_count } : null;
};

export const activationQueriesRepo = {
  findNamedActivation, listActivationDeliveries, countDeliveriesByStatus, listNamedActivations, findActivationStatus,
};
export type ActivationQueriesRepo = typeof activationQueriesRepo;
