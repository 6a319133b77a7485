import { decodeCursor, type Page } from '../db/pagination.js';
import type { Db } from '../db/db.js';
import { describeFailure } from './failure-reasons.js';
import { NotFoundError } from '../errors.js';
import type { Activation, ActivationSource } from './activation-types.js';
import { toActivation } from './activations-repo.js';

/** One delivery of a recipient, as the API shows it (no payload, no secrets). */
export type RecipientDelivery = {
  deliveryId: string;
  actionId: string;
  channel: string;
  status: string;
  skipReason: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** The carrier's id of the send (message SID `SM…`, call SID `CA…`, e-mail Message-ID); null until handed over. */
  providerMessageId: string | null;
  /** Why it was skipped or failed, in words, and the code beside them (`describeFailure`): as the live feed says it. */
  failureReason: string | null;
  failureCode: string | null;
  attempts: number;
  notes: Record<string, unknown>;
  updatedAt: Date;
};

/** A person (or a webhook) reached by the activation, with one entry per action and channel. */
export type Recipient = { recipientKey: string; contactId: string | null; name: string | null; deliveries: RecipientDelivery[] };

/** Deliveries per status (`{ queued: 4, delivered: 2 }`; statuses with none are left out). */
export type DeliveryCounts = Record<string, number>;

export type ActivationDetail = Activation & { workflowName: string; counts: DeliveryCounts; recipients: Recipient[] };

/** An activation as listed: with its workflow's name and its deliveries per status. */
export type ActivationListItem = Activation & { workflowName: string; counts: DeliveryCounts };

export type ActivationFilters = { workflowId?: string; source?: ActivationSource; from?: Date; to?: Date };

const cursorOf = (t: string, id: string) => Buffer.from(JSON.stringify({ t, id })).toString('base64url');

/** Reads for the activation API: an activation with every recipient's state, and the list. */
export const createActivationQueries = (deps: { db: Db }) => {
  const detail = async (accountId: string, id: string): Promise<ActivationDetail> => {
    const a = await deps.db.query(
      `SELECT a.*, w.name AS workflow_name FROM activations a JOIN workflows w ON w.id = a.workflow_id WHERE a.account_id = $1 AND a.id = $2`,
      [accountId, id],
    );
    if (!a.rows[0]) throw new NotFoundError('activation');
    const d = await deps.db.query(
      `SELECT d.id, d.action_id, d.recipient_key, d.contact_id, d.channel, d.status, d.skip_reason, d.error_code, d.error_message,
              d.attempts, d.meta, d.updated_at, d.provider_id, c.name AS contact_name
         FROM deliveries d LEFT JOIN contacts c ON c.id = d.contact_id
        WHERE d.activation_id = $1 AND d.account_id = $2
        ORDER BY c.name NULLS LAST, d.recipient_key, d.action_id, d.channel`,
      [id, accountId],
    );
    const recipients = new Map<string, Recipient>();
    const counts: Record<string, number> = {};
    for (const r of d.rows) {
      const key = r.contact_id ?? r.recipient_key;
      const rec: Recipient = recipients.get(key) ?? { recipientKey: r.recipient_key, contactId: r.contact_id, name: r.contact_name, deliveries: [] };
      const { promptError, fallbackFrom, round, reconciled } = (r.meta ?? {}) as Record<string, unknown>;
      rec.deliveries.push({
        deliveryId: r.id, actionId: r.action_id, channel: r.channel, status: r.status, skipReason: r.skip_reason,
        errorCode: r.error_code, errorMessage: r.error_message, providerMessageId: r.provider_id ?? null, attempts: r.attempts, updatedAt: r.updated_at,
        ...describeFailure({ status: r.status, skipReason: r.skip_reason, errorCode: r.error_code }),
        notes: Object.fromEntries(Object.entries({ promptError, fallbackFrom, round, reconciled }).filter(([, v]) => v !== undefined)),
      });
      recipients.set(key, rec);
      counts[r.status] = (counts[r.status] ?? 0) + 1;
    }
    return { ...toActivation(a.rows[0]), workflowName: a.rows[0].workflow_name, counts, recipients: [...recipients.values()] };
  };

  /** Deliveries per status of each activation (one query for a page). */
  const countsOf = async (ids: string[]): Promise<Map<string, DeliveryCounts>> => {
    const out = new Map<string, DeliveryCounts>(ids.map((id) => [id, {}]));
    if (ids.length === 0) return out;
    const res = await deps.db.query(
      'SELECT activation_id, status, count(*)::int AS n FROM deliveries WHERE activation_id = ANY($1::uuid[]) GROUP BY activation_id, status',
      [ids],
    );
    for (const r of res.rows) out.get(r.activation_id)![r.status] = r.n;
    return out;
  };

  /** Newest first; keyset pagination on (created_at, id); each with its deliveries per status. */
  const list = async (accountId: string, f: ActivationFilters, page: { limit: number; cursor?: string | null }): Promise<Page<ActivationListItem>> => {
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
    const res = await deps.db.query(
      `SELECT a.*, w.name AS workflow_name,
              to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS _cursor_t
         FROM activations a JOIN workflows w ON w.id = a.workflow_id
        WHERE ${where} ORDER BY a.created_at DESC, a.id DESC LIMIT $${params.push(page.limit + 1)}`,
      params,
    );
    const more = res.rows.length > page.limit;
    const rows = more ? res.rows.slice(0, page.limit) : res.rows;
    const last = rows[rows.length - 1];
    const counts = await countsOf(rows.map((r) => r.id as string));
    return {
      data: rows.map((r) => ({ ...toActivation(r), workflowName: r.workflow_name, counts: counts.get(r.id) ?? {} })),
      nextCursor: more && last ? cursorOf(last._cursor_t, last.id) : null,
    };
  };

  /** For the live feed: does this activation exist in the account? */
  const exists = async (accountId: string, id: string): Promise<boolean> => {
    const res = await deps.db.query('SELECT 1 FROM activations WHERE account_id = $1 AND id = $2', [accountId, id]);
    return (res.rowCount ?? 0) > 0;
  };

  /** Status and counts per delivery status, without the recipients (live feed snapshot). */
  const summary = async (accountId: string, id: string): Promise<{ status: string; recipientCount: number | null; counts: Record<string, number> } | null> => {
    const a = await deps.db.query('SELECT status, recipient_count FROM activations WHERE account_id = $1 AND id = $2', [accountId, id]);
    if (!a.rows[0]) return null;
    const c = await deps.db.query('SELECT status, count(*)::int AS n FROM deliveries WHERE activation_id = $1 GROUP BY status', [id]);
    return { status: a.rows[0].status, recipientCount: a.rows[0].recipient_count, counts: Object.fromEntries(c.rows.map((r) => [r.status, r.n])) };
  };

  return { detail, list, exists, summary };
};

export type ActivationQueries = ReturnType<typeof createActivationQueries>;
