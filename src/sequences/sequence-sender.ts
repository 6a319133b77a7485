import type { PoolClient } from 'pg';
import { render } from '../templates/templates.js';
import type { SequenceContact } from './conditions.js';
import type { SendOutcome } from './sequence-engine.js';
import type { SendStep } from './sequence-types.js';

/**
 * How a sequence step sends: through the action engine's delivery path. Each send step becomes
 * an activation (source `sequence`, idempotency key `sequence:<enrollment>:<step>`) of the
 * account's hidden "Sequence sends" system workflow, with exactly one `pending` delivery whose
 * payload follows src/delivery/delivery-payloads.ts. Both rows are written in the engine's
 * transaction, so advancing the enrollment and creating the delivery commit together — a crash
 * or a second worker can never send a step twice. After COMMIT the delivery ids go to the
 * delivery queue (`DeliveryDispatch`); the engine's sweeper re-queues any that Redis lost. The
 * delivery worker and channel senders then apply rate limits, retries and status callbacks
 * exactly as for any other notification. The outbound `messages` row (conversation history,
 * linked by `delivery_id`) is written here, with the delivery.
 *
 * Opt-outs and do-not-contact are checked here too (the planner's checks are bypassed): such a
 * step is recorded as a `skipped` delivery and never queued.
 */
export type DeliveryDispatch = { dispatch(deliveryIds: string[]): Promise<void> };

export type SendRequest = {
  accountId: string;
  sequenceId: string;
  enrollmentId: string;
  version: number;
  contact: SequenceContact;
  placeholders: Record<string, string>;
  /** The sequence's default line (used when the step names none). */
  defaultLineId: string | null;
  step: SendStep & { id: string };
};

type Line = { id: string; phoneNumber: string };

const SYSTEM_WORKFLOW_NAME = 'Sequence sends';

/** Fields a sequence message may use as `{{field}}`. */
export const contactFieldsFor = (c: SequenceContact): Record<string, string | number | null> => {
  const fields: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(c.customFields)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v === null ? null : String(v);
  return {
    ...fields,
    name: c.name, contact_name: c.name, first_name: c.name.trim().split(/\s+/)[0] ?? c.name, phone: c.phone, email: c.email, status: c.status,
  };
};

export const createSequenceSender = () => {
  const systemWorkflows = new Map<string, { workflowId: string; versionId: string }>();

  /** The account's hidden system workflow (soft-deleted, so it never shows in lists or takes codes). */
  const systemWorkflow = async (tx: PoolClient, accountId: string) => {
    const cached = systemWorkflows.get(accountId);
    if (cached) return cached;
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sequence-sends:${accountId}`]);
    const found = await tx.query(
      `SELECT w.id, v.id AS version_id FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = 1
        WHERE w.account_id = $1 AND w.name = $2 AND w.deleted_at IS NOT NULL ORDER BY w.created_at LIMIT 1`,
      [accountId, SYSTEM_WORKFLOW_NAME],
    );
    let row = found.rows[0] as { id: string; version_id: string } | undefined;
    // Cache only committed rows: one created here vanishes if this transaction rolls back.
    if (row) systemWorkflows.set(accountId, { workflowId: row.id, versionId: row.version_id });
    else {
      const w = await tx.query(
        `INSERT INTO workflows (account_id, name, description, deleted_at) VALUES ($1, $2, 'System workflow: one activation per sequence send step', now()) RETURNING id`,
        [accountId, SYSTEM_WORKFLOW_NAME],
      );
      const v = await tx.query(
        `INSERT INTO workflow_versions (workflow_id, account_id, version, definition) VALUES ($1, $2, 1, $3) RETURNING id`,
        [w.rows[0].id, accountId, JSON.stringify({ name: SYSTEM_WORKFLOW_NAME, description: '', actions: [] })],
      );
      row = { id: w.rows[0].id, version_id: v.rows[0].id };
    }
    return { workflowId: row.id, versionId: row.version_id };
  };

  const findLine = async (tx: PoolClient, accountId: string, lineId: string | null): Promise<Line | null> => {
    const res = lineId
      ? await tx.query('SELECT id, phone_number FROM lines WHERE account_id = $1 AND id = $2', [accountId, lineId])
      : await tx.query(`SELECT id, phone_number FROM lines WHERE account_id = $1 AND mode = 'activation' ORDER BY created_at, id LIMIT 1`, [accountId]);
    const r = res.rows[0];
    return r ? { id: r.id, phoneNumber: r.phone_number } : null;
  };

  /** What to put on the delivery row, or why the step is skipped. */
  const plan = async (tx: PoolClient, r: SendRequest) => {
    const s = r.step.send;
    const c = r.contact;
    const fields = contactFieldsFor(c);
    const text = (t: string, esc: 'none' | 'json' = 'none') => render(t, r.placeholders, fields, esc);
    const optedOut = (ch: string) => (c.doNotContact ? 'do_not_contact' : c.optedOutChannels.includes(ch) ? 'opted_out' : null);
    switch (s.channel) {
      case 'sms':
      case 'voice': {
        const line = await findLine(tx, r.accountId, s.lineId ?? r.defaultLineId);
        const skip = optedOut(s.channel) ?? (!c.phone ? 'no_phone' : !line ? 'no_line' : null);
        const body = text(s.message);
        const payload = s.channel === 'sms'
          ? { body, lineId: line?.id ?? null, from: line?.phoneNumber ?? null }
          : { text: body, lineId: line?.id ?? null, from: line?.phoneNumber ?? null };
        return { channel: s.channel, address: c.phone, recipientKey: c.id, payload, skip };
      }
      case 'email':
        return {
          channel: 'email', address: c.email, recipientKey: c.id,
          payload: { subject: text(s.subject), text: text(s.message) },
          skip: optedOut('email') ?? (!c.email ? 'no_email' : null),
        };
      case 'webhook': {
        const sealed = (s as typeof s & { authorizationSealed?: string }).authorizationSealed ?? null;
        return {
          channel: 'webhook', address: null, recipientKey: 'webhook',
          payload: { method: s.method, url: text(s.url), body: s.body === undefined ? null : text(s.body, 'json'), authorizationSealed: sealed },
          skip: null,
        };
      }
    }
  };

  /**
   * Writes the step's activation and delivery in `tx` (idempotent: a repeat returns the first
   * delivery). Returns `queued` with the delivery id to dispatch after commit, or `skipped`.
   */
  const send = async (tx: PoolClient, r: SendRequest): Promise<SendOutcome> => {
    const wf = await systemWorkflow(tx, r.accountId);
    const p = await plan(tx, r);
    const key = `sequence:${r.enrollmentId}:${r.step.id}`;
    const a = await tx.query(
      `INSERT INTO activations (account_id, workflow_id, workflow_version_id, workflow_version, source, idempotency_key, placeholders,
                                context, status, recipient_count, planned_at, completed_at)
       VALUES ($1, $2, $3, 1, 'sequence', $4, $5, $6, $7, 1, now(), $8)
       ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id`,
      [r.accountId, wf.workflowId, wf.versionId, key, JSON.stringify(r.placeholders),
        JSON.stringify({ sequenceId: r.sequenceId, enrollmentId: r.enrollmentId, stepId: r.step.id, version: r.version, contactId: r.contact.id }),
        p.skip ? 'completed' : 'running', p.skip ? new Date() : null],
    );
    if (!a.rows[0]) {
      const d = await tx.query(
        `SELECT d.id, d.status, d.skip_reason FROM deliveries d JOIN activations a ON a.id = d.activation_id
          WHERE a.account_id = $1 AND a.idempotency_key = $2 LIMIT 1`,
        [r.accountId, key],
      );
      const row = d.rows[0];
      if (!row) return { status: 'skipped', reason: 'already_sent', channel: p.channel };
      return row.status === 'skipped'
        ? { status: 'skipped', reason: row.skip_reason ?? 'skipped', channel: p.channel, deliveryId: row.id }
        : { status: 'queued', deliveryId: row.id, channel: p.channel };
    }
    const d = await tx.query(
      // clock_timestamp(): several steps can run in one transaction; their rows keep step order.
      `INSERT INTO deliveries (account_id, activation_id, action_id, recipient_key, contact_id, channel, address, status, skip_reason, payload, meta, final_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, clock_timestamp()) RETURNING id`,
      [r.accountId, a.rows[0].id, r.step.id, p.recipientKey, r.contact.id, p.channel, p.address, p.skip ? 'skipped' : 'pending', p.skip,
        JSON.stringify(p.payload), JSON.stringify({ sequenceId: r.sequenceId, enrollmentId: r.enrollmentId, stepId: r.step.id }), p.skip ? new Date() : null],
    );
    const deliveryId = d.rows[0].id as string;
    if (!p.skip && p.channel !== 'webhook') {
      // Conversation history: the contact's timeline shows every message a sequence sends (the
      // delivery row carries the carrier's id and status once sent).
      const payload = p.payload as Record<string, unknown>;
      await tx.query(
        `INSERT INTO messages (account_id, contact_id, line_id, direction, channel, from_address, to_address, body, status, activation_id, delivery_id, meta)
         VALUES ($1, $2, $3, 'outbound', $4, $5, $6, $7, 'queued', $8, $9, $10)`,
        [r.accountId, r.contact.id, payload.lineId ?? null, p.channel, payload.from ?? null, p.address,
          p.channel === 'email' ? `${payload.subject}\n\n${payload.text}` : String(payload.body ?? payload.text ?? ''),
          a.rows[0].id, deliveryId, JSON.stringify({ sequenceId: r.sequenceId, enrollmentId: r.enrollmentId, stepId: r.step.id })],
      );
    }
    return p.skip ? { status: 'skipped', reason: p.skip, channel: p.channel, deliveryId } : { status: 'queued', deliveryId, channel: p.channel };
  };

  return { send, forgetAccount: (accountId: string) => systemWorkflows.delete(accountId) };
};
export type SequenceSender = ReturnType<typeof createSequenceSender>;
