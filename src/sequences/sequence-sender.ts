import type { PoolClient } from 'pg';
import { createReadyPlans } from '../engine/ready-plans.js';
import type { ReadyPlansRepo } from '../engine/ready-plans-repo.js';
import { render } from '../templates/templates.js';
import type { SendingLinesRepo } from '../engine/sending-lines-repo.js';
import type { SequenceContact } from './conditions.js';
import type { SendOutcome } from './sequence-engine.js';
import type { SendStep } from './sequence-types.js';

export type { ActivationDispatcher } from '../engine/activation-service.js';

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


/** Fields a sequence message may use as `{{field}}`. */
export const contactFieldsFor = (c: SequenceContact): Record<string, string | number | null> => {
  const fields: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(c.customFields)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v === null ? null : String(v);
  return {
    ...fields,
    name: c.name, contact_name: c.name, first_name: c.name.trim().split(/\s+/)[0] ?? c.name, phone: c.phone, email: c.email, status: c.status,
  };
};

/** The statements a sender runs, wired by its feature's module (the engine's ready-plans-repo.ts). */
export type SequenceSenderDeps = {
  readyPlans: Pick<ReadyPlansRepo, 'findOrCreateSystemWorkflow' | 'insertReadyActivation' | 'findReadyByKey'>;
  sendingLines: Pick<SendingLinesRepo, 'findSendingLine'>;
};

/**
 * How a sequence step sends: through the engine's one send path (src/engine/ready-plans.ts).
 * Each send step becomes an activation (source `sequence`, idempotency key
 * `sequence:<enrollment>:<step>`) of the account's hidden "Sequence sends" system workflow whose
 * ready plan holds exactly one delivery (payload as in src/engine/delivery-payloads.ts), written
 * with its outbox row in the runner's transaction — so advancing the enrollment and the send
 * commit together, and a crash or a second worker can never send a step twice. After COMMIT the
 * runner hands the activations to the outbox relay (`ActivationDispatcher`); the outbox sweeper
 * queues any it missed. The planner writes the delivery (with the id returned here) and its
 * outbound `messages` row (conversation history); the delivery worker then applies pacing,
 * refusals, retries and status callbacks exactly as for any other notification.
 *
 * Opt-outs and do-not-contact known now are checked here too: such a step is recorded as a
 * `skipped` delivery and never queued.
 */
export const createSequenceSender = (deps: SequenceSenderDeps) => {
  const plans = createReadyPlans({ repo: deps.readyPlans });

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
        // Which line sends (src/engine/sending-line.ts): the step's line, else the sequence's (either
        // gone: skipped, no_line), else the oldest activation line, else the oldest line.
        const line = await deps.sendingLines.findSendingLine(tx, r.accountId, { named: s.lineId ?? r.defaultLineId });
        const skip = optedOut(s.channel) ?? (!c.phone ? 'no_phone' : !line ? 'no_line' : null);
        const body = text(s.message);
        const payload = s.channel === 'sms'
          ? { body, lineId: line?.id ?? null, from: line?.phoneNumber ?? null }
          : { text: body, lineId: line?.id ?? null, from: line?.phoneNumber ?? null };
        return { channel: s.channel, address: c.phone, recipientKey: c.id, payload, skip };
      }
      case 'email':
        return {
          channel: 'email' as const, address: c.email, recipientKey: c.id,
          payload: { subject: text(s.subject), text: text(s.message) },
          skip: optedOut('email') ?? (!c.email ? 'no_email' : null),
        };
      case 'webhook': {
        const sealed = (s as typeof s & { authorizationSealed?: string }).authorizationSealed ?? null;
        return {
          channel: 'webhook' as const, address: null, recipientKey: 'webhook',
          payload: { method: s.method, url: text(s.url), body: s.body === undefined ? null : text(s.body, 'json'), authorizationSealed: sealed },
          skip: null,
        };
      }
    }
  };

  /**
   * Writes the step's activation and its ready plan in `tx` (idempotent: a repeat returns the
   * first delivery). Returns `queued` with the delivery id (and the activation to dispatch after
   * commit when it was just created), or `skipped`.
   */
  const send = async (tx: PoolClient, r: SendRequest): Promise<SendOutcome> => {
    const p = await plan(tx, r);
    const meta = { sequenceId: r.sequenceId, enrollmentId: r.enrollmentId, stepId: r.step.id };
    const out = await plans.activateReady(tx, {
      accountId: r.accountId, source: 'sequence', key: `sequence:${r.enrollmentId}:${r.step.id}`, placeholders: r.placeholders,
      context: { ...meta, version: r.version, contactId: r.contact.id },
      // Conversation history: the contact's timeline shows every message a sequence sends (the
      // delivery row carries the carrier's id and status once sent).
      deliveries: [{
        actionId: r.step.id, channel: p.channel, recipientKey: p.recipientKey, contactId: r.contact.id, address: p.address,
        payload: p.payload, meta, skipReason: p.skip, history: true,
      }],
    });
    const row = out.deliveries[0];
    if (!row) return { status: 'skipped', reason: 'already_sent', channel: p.channel };
    return row.status === 'skipped'
      ? { status: 'skipped', reason: row.skipReason ?? 'skipped', channel: p.channel, deliveryId: row.id }
      : { status: 'queued', deliveryId: row.id, channel: p.channel, ...(out.created ? { activationId: out.activationId } : {}) };
  };

  return { send };
};
export type SequenceSender = ReturnType<typeof createSequenceSender>;
