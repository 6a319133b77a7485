import type { Db } from '../db/db.js';
import { encodeCursor, type Page } from '../db/pagination.js';
import { NotFoundError } from '../errors.js';
import type { ActivationFilters, ActivationQueriesRepo } from './activation-queries-repo.js';
import type { Activation } from './activation-types.js';
import { describeFailure } from './failure-reasons.js';

export type { ActivationFilters };

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


/** Reads for the activation API: an activation with every recipient's state, and the list. */
export const createActivationQueries = (deps: { db: Db; repo: ActivationQueriesRepo }) => {
  const { db, repo } = deps;

  const detail = async (accountId: string, id: string): Promise<ActivationDetail> => {
    const a = await repo.findNamedActivation(db, accountId, id);
    if (!a) throw new NotFoundError('activation');
    const recipients = new Map<string, Recipient>();
    const counts: Record<string, number> = {};
    for (const r of await repo.listActivationDeliveries(db, accountId, id)) {
      const key = r.contactId ?? r.recipientKey;
      const rec: Recipient = recipients.get(key) ?? { recipientKey: r.recipientKey, contactId: r.contactId, name: r.contactName, deliveries: [] };
      const { promptError, fallbackFrom, round, reconciled } = (r.meta ?? {}) as Record<string, unknown>;
      rec.deliveries.push({
        deliveryId: r.id, actionId: r.actionId, channel: r.channel, status: r.status, skipReason: r.skipReason,
        errorCode: r.errorCode, errorMessage: r.errorMessage, providerMessageId: r.providerId, attempts: r.attempts, updatedAt: r.updatedAt,
        ...describeFailure({ status: r.status, skipReason: r.skipReason, errorCode: r.errorCode }),
        notes: Object.fromEntries(Object.entries({ promptError, fallbackFrom, round, reconciled }).filter(([, v]) => v !== undefined)),
      });
      recipients.set(key, rec);
      counts[r.status] = (counts[r.status] ?? 0) + 1;
    }
    return { ...a, counts, recipients: [...recipients.values()] };
  };

  /** Deliveries per status of each activation (one query for a page). */
  const countsOf = async (ids: string[]): Promise<Map<string, DeliveryCounts>> => {
    const out = new Map<string, DeliveryCounts>(ids.map((id) => [id, {}]));
    for (const r of await repo.countDeliveriesByStatus(db, ids)) out.get(r.activationId)![r.status] = r.n;
    return out;
  };

  /** Newest first; keyset pagination on (created_at, id); each with its deliveries per status. */
  const list = async (accountId: string, f: ActivationFilters, page: { limit: number; cursor?: string | null }): Promise<Page<ActivationListItem>> => {
    const found = await repo.listNamedActivations(db, accountId, f, page);
    const more = found.length > page.limit;
    const rows = more ? found.slice(0, page.limit) : found;
    const last = rows[rows.length - 1];
    const counts = await countsOf(rows.map((r) => r.id));
    return {
      data: rows.map(({ cursorT: _, ...a }) => ({ ...a, counts: counts.get(a.id) ?? {} })),
      nextCursor: more && last ? encodeCursor({ t: last.cursorT, id: last.id }) : null,
    };
  };

  /** For the live feed: does this activation exist in the account? */
  const exists = async (accountId: string, id: string): Promise<boolean> => (await repo.findActivationStatus(db, accountId, id)) !== null;

  /** Status and counts per delivery status, without the recipients (live feed snapshot). */
  const summary = async (accountId: string, id: string): Promise<{ status: string; recipientCount: number | null; counts: Record<string, number> } | null> => {
    const a = await repo.findActivationStatus(db, accountId, id);
    if (!a) return null;
    const counts = (await countsOf([id])).get(id)!;
    return { ...a, counts };
  };

  return { detail, list, exists, summary };
};

export type ActivationQueries = ReturnType<typeof createActivationQueries>;
