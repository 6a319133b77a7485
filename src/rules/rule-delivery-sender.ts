import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { enqueueDeliveries } from '../delivery/delivery-queue.js';
import { queueNames, type DeliveryBatchJob } from '../queue/queues.js';

/**
 * Port: puts committed delivery rows on the action engine's delivery queue (fast path). Best
 * effort: the engine's sweeper queues pending deliveries that were never queued.
 */
export type DeliveryDispatch = { dispatch(deliveryIds: string[]): Promise<void> };

export type RuleChannel = 'sms' | 'voice' | 'email' | 'webhook';

/**
 * One send of a rule action (or an account notification), already rendered. `payload` follows
 * src/delivery/delivery-payloads.ts for the channel: sms `{ body, lineId, from }`, voice
 * `{ text, lineId, from }`, email `{ subject, text }`, webhook `{ method, url, body, authorizationSealed }`.
 */
export type RuleSend = {
  accountId: string;
  /** Idempotency key of the activation: `rule:<pending action id>`, `notification:<id>:<n>`. */
  key: string;
  actionId: string;
  channel: RuleChannel;
  contactId: string | null;
  /** Recipient key of the delivery: the contact id, `webhook`, `owner:<email>`. */
  recipientKey: string;
  address: string | null;
  payload: Record<string, unknown>;
  context: Record<string, unknown>;
};

const SYSTEM_WORKFLOW_NAME = 'Rule sends';

/**
 * How rules send: through the action engine's deliveries, like every other message. Each send
 * is an activation (source `rule`) of the account's hidden "Rule sends" system workflow with
 * exactly one `pending` delivery, written in the caller's transaction — so finishing the rule
 * action and creating the delivery commit together and a send can never happen twice. The
 * delivery worker then applies pacing, retries, the SSRF guard (webhooks) and status callbacks.
 */
export const createRuleDeliverySender = () => {
  const cache = new Map<string, { workflowId: string; versionId: string }>();

  const systemWorkflow = async (tx: PoolClient, accountId: string) => {
    const cached = cache.get(accountId);
    if (cached) return cached;
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rule-sends:${accountId}`]);
    const found = await tx.query(
      `SELECT w.id, v.id AS version_id FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = 1
        WHERE w.account_id = $1 AND w.name = $2 AND w.deleted_at IS NOT NULL ORDER BY w.created_at LIMIT 1`,
      [accountId, SYSTEM_WORKFLOW_NAME],
    );
    if (found.rows[0]) {
      const row = { workflowId: found.rows[0].id as string, versionId: found.rows[0].version_id as string };
      cache.set(accountId, row); // committed rows only: one created below could still roll back
      return row;
    }
    // Soft-deleted: never listed, never takes a code, never activated by anything else.
    const w = await tx.query(
      `INSERT INTO workflows (account_id, name, description, deleted_at) VALUES ($1, $2, 'System workflow: one activation per rule send', now()) RETURNING id`,
      [accountId, SYSTEM_WORKFLOW_NAME],
    );
    const v = await tx.query(
      'INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3) RETURNING id',
      [w.rows[0].id, accountId, JSON.stringify({ name: SYSTEM_WORKFLOW_NAME, description: '', actions: [] })],
    );
    return { workflowId: w.rows[0].id as string, versionId: v.rows[0].id as string };
  };

  /** Writes the activation, its one delivery and (for messages) the conversation row. Idempotent on `key`. */
  const send = async (tx: PoolClient, s: RuleSend): Promise<{ deliveryId: string; activationId: string; created: boolean }> => {
    const wf = await systemWorkflow(tx, s.accountId);
    const a = await tx.query(
      `INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, context, status, recipient_count, planned_at)
       VALUES ($1, $2, $3, 1, 'rule', $4, $5, 'running', 1, now())
       ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id`,
      [s.accountId, wf.workflowId, wf.versionId, s.key, JSON.stringify(s.context)],
    );
    if (!a.rows[0]) {
      const d = await tx.query(
        `SELECT d.id, d.activation_id FROM deliveries d JOIN activations a ON a.id = d.activation_id WHERE a.account_id = $1 AND a.idempotency_key = $2 LIMIT 1`,
        [s.accountId, s.key],
      );
      return { deliveryId: d.rows[0]?.id, activationId: d.rows[0]?.activation_id, created: false };
    }
    const activationId = a.rows[0].id as string;
    const d = await tx.query(
      `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, payload, meta)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) RETURNING id`,
      [s.accountId, activationId, s.actionId, s.recipientKey, s.contactId, s.channel, s.address, JSON.stringify(s.payload), JSON.stringify(s.context)],
    );
    const deliveryId = d.rows[0].id as string;
    if (s.channel !== 'webhook' && s.contactId) {
      const p = s.payload;
      await tx.query(
        `INSERT INTO messages (account_id, contact_id, line_id, direction, channel, from_address, to_address, body, status, activation_id, delivery_id, meta)
         VALUES ($1, $2, $3, 'outbound', $4, $5, $6, $7, 'queued', $8, $9, $10)`,
        [s.accountId, s.contactId, p.lineId ?? null, s.channel, p.from ?? null, s.address,
          s.channel === 'email' ? `${p.subject}\n\n${p.text}` : String(p.body ?? p.text ?? ''), activationId, deliveryId, JSON.stringify(s.context)],
      );
    }
    return { deliveryId, activationId, created: true };
  };

  return { send };
};
export type RuleDeliverySender = ReturnType<typeof createRuleDeliverySender>;

/**
 * The fast path from committed rule sends to the action engine's delivery queue (job ids
 * `rule-<first delivery id>`, so a repeat is a no-op). Connects on first use.
 */
export const createRuleDeliveryDispatch = (redis: () => Redis, prefix: string, batchSize: number): DeliveryDispatch & { close(): Promise<void> } => {
  let queue: Queue<DeliveryBatchJob> | null = null;
  return {
    async dispatch(ids) {
      if (ids.length === 0) return;
      queue ??= new Queue<DeliveryBatchJob>(queueNames.deliveries, { connection: redis(), prefix });
      await enqueueDeliveries(queue, ids, batchSize, { tag: 'rule' });
    },
    async close() {
      await queue?.close();
      queue = null;
    },
  };
};
