/**
 * Direct sends: deliveries that do not come from a workflow definition — rule actions and
 * account notifications, sequence steps, post-call (call tracking) workflows.
 *
 * One direct send is one activation of the account's hidden system workflow for that source
 * ("Rule sends", "Sequence sends", "Call tracking sends": soft-deleted, so it is never listed,
 * never takes a code and nothing else activates it), holding its delivery rows. Everything is
 * written in the CALLER's transaction, so the feature's own state change (rule action done,
 * enrollment advanced, tracking log written) and the deliveries commit together or not at all;
 * the activation's idempotency key makes a repeat return the first send's rows and create
 * nothing. After COMMIT the caller hands the pending delivery ids to the delivery queue
 * (`DeliveryDispatch`); the engine's sweeper queues any the fast path missed. The delivery worker
 * then applies pacing, do-not-contact / opt-out refusals, retries, the SSRF guard (webhooks)
 * and status callbacks exactly as for any other delivery.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { queueNames, type DeliveryBatchJob } from './queues.js';
import type { DeliveryChannel } from './channel-port.js';
import { enqueueDeliveries } from './delivery-queue.js';

/**
 * Port: puts committed delivery rows on the action engine's delivery queue (fast path). Best
 * effort: the engine's sweeper queues pending deliveries that were never queued.
 */
export type DeliveryDispatch = { dispatch(deliveryIds: string[]): Promise<void> };

/** Who sends directly: the activation's `source` and its system workflow. */
export type DirectSendKind = { source: 'rule' | 'sequence' | 'call_tracking' | 'sender_report'; workflowName: string; description: string };

export const ruleSends: DirectSendKind = { source: 'rule', workflowName: 'Rule sends', description: 'System workflow: one activation per rule send' };
export const sequenceSends: DirectSendKind = { source: 'sequence', workflowName: 'Sequence sends', description: 'System workflow: one activation per sequence send step' };
export const trackingSends: DirectSendKind = { source: 'call_tracking', workflowName: 'Call tracking sends', description: 'System workflow: one activation per post-call workflow run' };
export const senderReportSends: DirectSendKind = {
  source: 'sender_report', workflowName: 'Sender reports', description: 'System workflow: tells a texter their activation reached nobody',
};

/** One delivery row of a direct send, already rendered. */
export type DirectDelivery = {
  actionId: string;
  channel: DeliveryChannel;
  /** Unique per action within the activation: a contact id, `caller`, `owner:<email>`, `webhook`. */
  recipientKey: string;
  contactId: string | null;
  address: string | null;
  /** src/delivery/delivery-payloads.ts for the channel: sms `{ body, lineId, from }`, voice `{ text, lineId, from }`, email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`. */
  payload: Record<string, unknown>;
  meta: Record<string, unknown>;
  /** Stored as a `skipped` delivery with this reason (final at once, never queued). */
  skipReason?: string | null;
  /** Also write the outbound conversation-history row (`messages`, linked by delivery id); never for webhooks or skips. */
  history?: boolean;
};

export type DirectSend = {
  accountId: string;
  /** The activation's idempotency key (`rule:<pending id>`, `sequence:<enrollment>:<step>`, `tracking:<CallSid>:<workflow>`…). */
  key: string;
  context: Record<string, unknown>;
  placeholders?: Record<string, string>;
  deliveries: DirectDelivery[];
};

export type DirectDeliveryRow = { id: string; actionId: string; recipientKey: string; status: string; skipReason: string | null };

/** `created: false` when the key was used before: `deliveries` are then the first send's rows. */
export type DirectSendResult = { activationId: string | null; created: boolean; deliveries: DirectDeliveryRow[] };

const toRow = (r: Record<string, any>): DirectDeliveryRow => ({ id: r.id, actionId: r.action_id, recipientKey: r.recipient_key, status: r.status, skipReason: r.skip_reason ?? null });

/** The pending delivery ids of a send: what goes to the delivery queue after commit. */
export const pendingOf = (r: DirectSendResult): string[] => r.deliveries.filter((d) => d.status === 'pending').map((d) => d.id);

export const createDirectSends = (kind: DirectSendKind) => {
  const cache = new Map<string, { workflowId: string; versionId: string }>();

  const systemWorkflow = async (tx: PoolClient, accountId: string) => {
    const cached = cache.get(accountId);
    if (cached) return cached;
    // One creator per account across processes; the others wait and then find its row.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${kind.source}-sends:${accountId}`]);
    const found = await tx.query(
      `SELECT w.id, v.id AS version_id FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = 1
        WHERE w.account_id = $1 AND w.name = $2 AND w.deleted_at IS NOT NULL ORDER BY w.created_at LIMIT 1`,
      [accountId, kind.workflowName],
    );
    if (found.rows[0]) {
      const row = { workflowId: found.rows[0].id as string, versionId: found.rows[0].version_id as string };
      cache.set(accountId, row); // committed rows only: one created below could still roll back
      return row;
    }
    const w = await tx.query(
      `INSERT INTO workflows (account_id, name, description, deleted_at) VALUES ($1, $2, $3, now()) RETURNING id`,
      [accountId, kind.workflowName, kind.description],
    );
    const v = await tx.query(
      'INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3) RETURNING id',
      [w.rows[0].id, accountId, JSON.stringify({ name: kind.workflowName, description: '', actions: [] })],
    );
    return { workflowId: w.rows[0].id as string, versionId: v.rows[0].id as string };
  };

  const insertDelivery = async (tx: PoolClient, s: DirectSend, activationId: string, d: DirectDelivery): Promise<DirectDeliveryRow> => {
    const skip = d.skipReason ?? null;
    const res = await tx.query(
      // clock_timestamp(): several sends can share one transaction; their rows keep their order.
      `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, skip_reason, payload, meta, final_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $9::text IS NOT NULL THEN now() END, clock_timestamp())
       RETURNING id, action_id, recipient_key, status, skip_reason`,
      [s.accountId, activationId, d.actionId, d.recipientKey, d.contactId, d.channel, d.address, skip ? 'skipped' : 'pending', skip,
        JSON.stringify(d.payload), JSON.stringify(d.meta)],
    );
    const row = toRow(res.rows[0]);
    if (d.history && !skip && d.channel !== 'webhook') {
      const p = d.payload;
      await tx.query(
        `INSERT INTO messages (account_id, contact_id, line_id, direction, channel, from_address, to_address, body, status, activation_id, delivery_id, meta)
         VALUES ($1, $2, $3, 'outbound', $4, $5, $6, $7, 'queued', $8, $9, $10)`,
        [s.accountId, d.contactId, p.lineId ?? null, d.channel, p.from ?? null, d.address,
          d.channel === 'email' ? `${p.subject}\n\n${p.text}` : String(p.body ?? p.text ?? ''), activationId, row.id, JSON.stringify(d.meta)],
      );
    }
    return row;
  };

  /**
   * Writes the activation, its deliveries and their conversation rows in `tx`. Idempotent on
   * `key`: a repeat creates nothing and returns the first send's activation and deliveries. An
   * activation whose every delivery is skipped is `completed` at once.
   */
  const send = async (tx: PoolClient, s: DirectSend): Promise<DirectSendResult> => {
    const wf = await systemWorkflow(tx, s.accountId);
    const allSkipped = s.deliveries.every((d) => d.skipReason);
    const a = await tx.query(
      `INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders,
                                context, status, recipient_count, planned_at, completed_at)
       VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, now(), CASE WHEN $8 = 'completed' THEN now() END)
       ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id`,
      [s.accountId, wf.workflowId, wf.versionId, kind.source, s.key, JSON.stringify(s.placeholders ?? {}), JSON.stringify(s.context),
        allSkipped ? 'completed' : 'running', s.deliveries.length],
    );
    if (!a.rows[0]) {
      const found = await tx.query(
        `SELECT a.id AS activation_id, d.id, d.action_id, d.recipient_key, d.status, d.skip_reason
           FROM activations a LEFT JOIN deliveries d ON d.activation_id = a.id
          WHERE a.account_id = $1 AND a.idempotency_key = $2 ORDER BY d.created_at, d.id`,
        [s.accountId, s.key],
      );
      return { activationId: found.rows[0]?.activation_id ?? null, created: false, deliveries: found.rows.filter((r) => r.id).map(toRow) };
    }
    const activationId = a.rows[0].id as string;
    const deliveries: DirectDeliveryRow[] = [];
    for (const d of s.deliveries) deliveries.push(await insertDelivery(tx, s, activationId, d));
    return { activationId, created: true, deliveries };
  };

  return { send, forgetAccount: (accountId: string) => cache.delete(accountId) };
};
export type DirectSends = ReturnType<typeof createDirectSends>;

/**
 * The fast path from committed direct sends to the engine's delivery queue. Job ids carry
 * `tag` and the first delivery id, so a repeat is a no-op; the queue connects on first use.
 */
export const createDeliveryDispatch = (redis: () => Redis, prefix: string, batchSize: number, tag: string): DeliveryDispatch & { close(): Promise<void> } => {
  let queue: Queue<DeliveryBatchJob> | null = null;
  return {
    async dispatch(ids) {
      if (ids.length === 0) return;
      queue ??= new Queue<DeliveryBatchJob>(queueNames.deliveries, { connection: redis(), prefix });
      await enqueueDeliveries(queue, ids, batchSize, { tag });
    },
    async close() {
      await queue?.close();
      queue = null;
    },
  };
};
