/**
 * How post-call workflows send: through the action engine's deliveries, like every message.
 * One post-call workflow run on one call is one activation (source `call_tracking`, idempotency
 * key `tracking:<CallSid>:<workflow id>`) of the account's hidden "Call tracking sends" system
 * workflow, holding one `pending` delivery per send. Written in the caller's transaction, with
 * the log row — so a run's sends exist once or not at all. The delivery worker then applies
 * pacing, retries, the SSRF guard (webhooks) and status callbacks.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { enqueueDeliveries } from '../delivery/delivery-queue.js';
import { queueNames, type DeliveryBatchJob } from '../queue/queues.js';

export type TrackingDelivery = {
  actionId: string;
  channel: 'sms' | 'email' | 'webhook';
  /** `caller`, `owner:<email>`, `webhook`: unique per action in the activation. */
  recipientKey: string;
  contactId: string | null;
  address: string | null;
  /** src/delivery/delivery-payloads.ts: sms `{ body, lineId, from }`, email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`. */
  payload: Record<string, unknown>;
};

export type TrackingSendBatch = {
  accountId: string;
  key: string;
  context: Record<string, unknown>;
  lineId: string | null;
  deliveries: TrackingDelivery[];
};

const SYSTEM_WORKFLOW_NAME = 'Call tracking sends';

export const createTrackingSends = () => {
  const cache = new Map<string, { workflowId: string; versionId: string }>();

  /** The account's soft-deleted system workflow (never listed, never given a code), made once. */
  const systemWorkflow = async (tx: PoolClient, accountId: string) => {
    const cached = cache.get(accountId);
    if (cached) return cached;
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tracking-sends:${accountId}`]);
    const found = await tx.query(
      `SELECT w.id, v.id AS version_id FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = 1
        WHERE w.account_id = $1 AND w.name = $2 AND w.deleted_at IS NOT NULL ORDER BY w.created_at LIMIT 1`,
      [accountId, SYSTEM_WORKFLOW_NAME],
    );
    if (found.rows[0]) {
      const row = { workflowId: found.rows[0].id as string, versionId: found.rows[0].version_id as string };
      cache.set(accountId, row);
      return row;
    }
    const w = await tx.query(
      `INSERT INTO workflows (account_id, name, description, deleted_at) VALUES ($1, $2, 'System workflow: one activation per post-call workflow run', now()) RETURNING id`,
      [accountId, SYSTEM_WORKFLOW_NAME],
    );
    const v = await tx.query(
      'INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3) RETURNING id',
      [w.rows[0].id, accountId, JSON.stringify({ name: SYSTEM_WORKFLOW_NAME, description: '', actions: [] })],
    );
    return { workflowId: w.rows[0].id as string, versionId: v.rows[0].id as string };
  };

  /**
   * Writes the activation and its deliveries (and the conversation rows of texts and e-mails).
   * Idempotent on `key`: a repeat creates nothing and returns the first run's ids.
   */
  const send = async (tx: PoolClient, b: TrackingSendBatch): Promise<{ activationId: string; deliveryIds: Record<string, string>; created: boolean }> => {
    const wf = await systemWorkflow(tx, b.accountId);
    const a = await tx.query(
      `INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, context, status, recipient_count, planned_at)
       VALUES ($1, $2, $3, 1, 'call_tracking', $4, $5, 'running', $6, now())
       ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id`,
      [b.accountId, wf.workflowId, wf.versionId, b.key, JSON.stringify(b.context), b.deliveries.length],
    );
    const keyOf = (d: { action_id: string; recipient_key: string }) => `${d.action_id}/${d.recipient_key}`;
    if (!a.rows[0]) {
      const d = await tx.query(
        `SELECT d.id, d.action_id, d.recipient_key, a.id AS activation_id FROM activations a LEFT JOIN deliveries d ON d.activation_id = a.id
          WHERE a.account_id = $1 AND a.idempotency_key = $2`,
        [b.accountId, b.key],
      );
      const ids = Object.fromEntries(d.rows.filter((r) => r.id).map((r) => [keyOf(r), r.id as string]));
      return { activationId: d.rows[0]?.activation_id, deliveryIds: ids, created: false };
    }
    const activationId = a.rows[0].id as string;
    const deliveryIds: Record<string, string> = {};
    for (const s of b.deliveries) {
      const d = await tx.query(
        `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, payload, meta)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) RETURNING id`,
        [b.accountId, activationId, s.actionId, s.recipientKey, s.contactId, s.channel, s.address, JSON.stringify(s.payload), JSON.stringify(b.context)],
      );
      const deliveryId = d.rows[0].id as string;
      deliveryIds[`${s.actionId}/${s.recipientKey}`] = deliveryId;
      if (s.channel === 'sms') {
        await tx.query(
          `INSERT INTO messages (account_id, contact_id, line_id, direction, channel, from_address, to_address, body, status, activation_id, delivery_id, meta)
           VALUES ($1, $2, $3, 'outbound', 'sms', $4, $5, $6, 'queued', $7, $8, $9)`,
          [b.accountId, s.contactId, s.payload.lineId ?? null, s.payload.from ?? null, s.address, String(s.payload.body ?? ''), activationId, deliveryId, JSON.stringify(b.context)],
        );
      }
    }
    return { activationId, deliveryIds, created: true };
  };

  return { send };
};
export type TrackingSends = ReturnType<typeof createTrackingSends>;

/** Fast path from committed deliveries to the engine's delivery queue (the sweeper covers misses). */
export const createTrackingDeliveryDispatch = (redis: () => Redis, prefix: string, batchSize: number) => {
  let queue: Queue<DeliveryBatchJob> | null = null;
  return {
    async dispatch(ids: string[]) {
      if (ids.length === 0) return;
      queue ??= new Queue<DeliveryBatchJob>(queueNames.deliveries, { connection: redis(), prefix });
      await enqueueDeliveries(queue, ids, batchSize, { tag: 'trk' });
    },
    async close() {
      await queue?.close();
      queue = null;
    },
  };
};
