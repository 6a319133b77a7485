import type { Queryable } from '../db/db.js';

export type CallbackStatus = 'scheduled' | 'calling' | 'completed' | 'failed' | 'cancelled';

/** A call back to a contact that connects an agent (table `callbacks`). */
export type Callback = {
  id: string;
  accountId: string;
  contactId: string;
  ruleId: string | null;
  pendingId: string | null;
  actionId: string | null;
  eventId: string | null;
  chainDepth: number;
  /** `scheduled` (schedule_callback) or `immediate` (place_call). */
  kind: 'scheduled' | 'immediate';
  lineId: string;
  agentGroupId: string | null;
  agentNumber: string | null;
  whisper: string;
  window: string;
  status: CallbackStatus;
  dueAt: Date;
  /** The agents' numbers, in ring order, fixed when the callback is claimed. */
  agents: string[];
  agentIndex: number;
  deliveryId: string | null;
  answeredBy: string | null;
  reason: string | null;
  talkSeconds: number | null;
  createdAt: Date;
  updatedAt: Date;
  claimedAt: Date | null;
  finishedAt: Date | null;
};

const toCallback = (r: Record<string, any>): Callback => ({
  id: r.id, accountId: r.account_id, contactId: r.contact_id, ruleId: r.rule_id, pendingId: r.pending_id, actionId: r.action_id,
  eventId: r.event_id, chainDepth: r.chain_depth, kind: r.kind, lineId: r.line_id, agentGroupId: r.agent_group_id,
  agentNumber: r.agent_number, whisper: r.whisper, window: r.schedule_window, status: r.status, dueAt: r.due_at, agents: r.agents ?? [],
  agentIndex: r.agent_index, deliveryId: r.delivery_id, answeredBy: r.answered_by, reason: r.reason, talkSeconds: r.talk_seconds,
  createdAt: r.created_at, updatedAt: r.updated_at, claimedAt: r.claimed_at, finishedAt: r.finished_at,
});

export type NewCallback = Pick<Callback, 'accountId' | 'contactId' | 'ruleId' | 'pendingId' | 'actionId' | 'eventId' | 'chainDepth' | 'kind'
  | 'lineId' | 'agentGroupId' | 'agentNumber' | 'whisper' | 'window' | 'dueAt'> & { status?: 'scheduled' | 'failed'; reason?: string | null };

/** Inserts a callback; null when the rule action (`pendingId`) already booked one. */
export const insertCallback = async (q: Queryable, c: NewCallback, now: Date): Promise<Callback | null> => {
  const res = await q.query(
    `INSERT INTO callbacks (account_id, contact_id, rule_id, pending_id, action_id, event_id, chain_depth, kind, line_id, agent_group_id,
                            agent_number, whisper, schedule_window, due_at, status, reason, finished_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, CASE WHEN $15 = 'failed' THEN $17::timestamptz END, $17, $17)
     ON CONFLICT (pending_id) DO NOTHING RETURNING *`,
    [c.accountId, c.contactId, c.ruleId, c.pendingId, c.actionId, c.eventId, c.chainDepth, c.kind, c.lineId, c.agentGroupId, c.agentNumber,
      c.whisper, c.window, c.dueAt, c.status ?? 'scheduled', c.reason ?? null, now],
  );
  return res.rows[0] ? toCallback(res.rows[0]) : null;
};

export const findCallback = async (q: Queryable, accountId: string, id: string, forUpdate = false): Promise<Callback | null> => {
  const res = await q.query(`SELECT * FROM callbacks WHERE account_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [accountId, id]);
  return res.rows[0] ? toCallback(res.rows[0]) : null;
};

export const findCallbackByDelivery = async (q: Queryable, deliveryId: string, forUpdate = false): Promise<Callback | null> => {
  const res = await q.query(`SELECT * FROM callbacks WHERE delivery_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [deliveryId]);
  return res.rows[0] ? toCallback(res.rows[0]) : null;
};

/** The contact's next scheduled callback (earliest due), locked. */
export const nextScheduledFor = async (q: Queryable, accountId: string, contactId: string): Promise<Callback | null> => {
  const res = await q.query(
    `SELECT * FROM callbacks WHERE account_id = $1 AND contact_id = $2 AND status = 'scheduled' ORDER BY due_at, id LIMIT 1 FOR UPDATE`,
    [accountId, contactId],
  );
  return res.rows[0] ? toCallback(res.rows[0]) : null;
};

export type CallbackQuery = { contactId?: string; status?: CallbackStatus; from?: Date; to?: Date; cursor?: string; limit: number };

/** By due time then id; `cursor` is the last id of the previous page. */
export const listCallbacks = async (q: Queryable, accountId: string, f: CallbackQuery): Promise<Callback[]> => {
  const res = await q.query(
    `SELECT * FROM callbacks
      WHERE account_id = $1 AND ($2::uuid IS NULL OR contact_id = $2) AND ($3::text IS NULL OR status = $3)
        AND ($4::timestamptz IS NULL OR due_at >= $4) AND ($5::timestamptz IS NULL OR due_at < $5)
        AND ($6::uuid IS NULL OR (due_at, id) > (SELECT due_at, id FROM callbacks WHERE id = $6 AND account_id = $1))
      ORDER BY due_at, id LIMIT $7`,
    [accountId, f.contactId ?? null, f.status ?? null, f.from ?? null, f.to ?? null, f.cursor ?? null, f.limit],
  );
  return res.rows.map(toCallback);
};

/** Due scheduled callbacks, locked (SKIP LOCKED: concurrent workers split them). Call inside a transaction. */
export const lockDue = async (q: Queryable, now: Date, limit: number, ids?: string[]): Promise<Callback[]> => {
  const res = await q.query(
    `SELECT * FROM callbacks WHERE status = 'scheduled' AND due_at <= $1 AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[]))
      ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit, ids ?? null],
  );
  return res.rows.map(toCallback);
};

/**
 * Calling callbacks whose current agent call ended without an answer (the delivery is final and
 * never answered: no-answer, busy, failed, canceled, or refused `skipped`), locked SKIP LOCKED.
 */
export const lockUnanswered = async (q: Queryable, limit: number): Promise<Array<Callback & { deliveryStatus: string }>> => {
  const res = await q.query(
    `SELECT c.*, d.status AS delivery_status FROM callbacks c JOIN deliveries d ON d.id = c.delivery_id
      WHERE c.status = 'calling' AND c.answered_by IS NULL
        AND d.status IN ('no-answer', 'busy', 'failed', 'canceled', 'skipped', 'undelivered')
      ORDER BY c.claimed_at LIMIT $1 FOR UPDATE OF c SKIP LOCKED`,
    [limit],
  );
  return res.rows.map((r) => ({ ...toCallback(r), deliveryStatus: r.delivery_status as string }));
};

/**
 * Calling callbacks whose agent answered but whose call ended more than `graceSeconds` ago with
 * no Dial outcome (the agent hung up during the whisper, or the Dial action was lost), locked.
 */
export const lockHungUp = async (q: Queryable, graceSeconds: number, limit: number): Promise<Callback[]> => {
  const res = await q.query(
    `SELECT c.* FROM callbacks c JOIN deliveries d ON d.id = c.delivery_id
       JOIN calls k ON k.provider_call_id = d.provider_id AND k.account_id = c.account_id
      WHERE c.status = 'calling' AND c.answered_by IS NOT NULL AND k.ended_at < now() - make_interval(secs => $1)
      ORDER BY c.claimed_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED`,
    [graceSeconds, limit],
  );
  return res.rows.map(toCallback);
};

/** scheduled -> calling (or the next agent of a calling one), with the agent call's delivery. */
export const markCalling = async (q: Queryable, id: string, agents: string[], agentIndex: number, deliveryId: string, now: Date): Promise<void> => {
  await q.query(
    `UPDATE callbacks SET status = 'calling', agents = $2, agent_index = $3, delivery_id = $4, claimed_at = COALESCE(claimed_at, $5), updated_at = $5
      WHERE id = $1`,
    [id, agents, agentIndex, deliveryId, now],
  );
};

/** Moves a scheduled callback (quiet hours, window, a rule or the API). False when it is no longer scheduled. */
export const moveCallback = async (q: Queryable, id: string, dueAt: Date, reason: string | null, now: Date): Promise<boolean> => {
  const res = await q.query(
    `UPDATE callbacks SET due_at = $2, reason = $3, updated_at = $4 WHERE id = $1 AND status = 'scheduled'`, [id, dueAt, reason, now],
  );
  return (res.rowCount ?? 0) > 0;
};

export const markAnswered = async (q: Queryable, id: string, agent: string, now: Date): Promise<void> => {
  await q.query(`UPDATE callbacks SET answered_by = $2, updated_at = $3 WHERE id = $1 AND status = 'calling'`, [id, agent, now]);
};

/** The contact is being called now (the callback's leg to them is not a row of `calls`). */
export const stampLastCalled = async (q: Queryable, contactId: string, at: Date): Promise<void> => {
  await q.query('UPDATE contacts SET last_called_at = $2 WHERE id = $1 AND (last_called_at IS NULL OR last_called_at < $2)', [contactId, at]);
};

/**
 * Ends a callback once: `from` lists the statuses it may leave (conditional UPDATE), so duplicated
 * carrier callbacks or racing workers finish it exactly once. Null when it was not in `from`.
 */
export const finishCallback = async (
  q: Queryable, id: string, from: CallbackStatus[], to: 'completed' | 'failed' | 'cancelled', fields: { reason?: string | null; talkSeconds?: number | null }, now: Date,
): Promise<Callback | null> => {
  const res = await q.query(
    `UPDATE callbacks SET status = $3, reason = $4, talk_seconds = $5, finished_at = $6, updated_at = $6
      WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`,
    [id, from, to, fields.reason ?? null, fields.talkSeconds ?? null, now],
  );
  return res.rows[0] ? toCallback(res.rows[0]) : null;
};

/** The agents of a group: on-duty members with a phone, by name (the contact called back is left out). */
export const groupAgents = async (q: Queryable, accountId: string, groupId: string, leadPhone: string): Promise<string[]> => {
  const res = await q.query(
    `SELECT c.phone FROM group_members m JOIN contacts c ON c.id = m.contact_id
      WHERE m.group_id = $1 AND m.account_id = $2 AND c.on_duty AND c.phone IS NOT NULL AND c.phone <> $3 AND NOT c.do_not_contact
      ORDER BY c.name, c.id`,
    [groupId, accountId, leadPhone],
  );
  return res.rows.map((r) => r.phone as string);
};

/** The calling line: its number, and its tracking `forwardTo` numbers (agents when none are named). */
export const callbackLine = async (q: Queryable, accountId: string, lineId: string): Promise<{ id: string; number: string; forwardTo: string[] } | null> => {
  const res = await q.query('SELECT id, phone_number, settings FROM lines WHERE account_id = $1 AND id = $2', [accountId, lineId]);
  const r = res.rows[0];
  if (!r) return null;
  const fwd = r.settings?.tracking?.forwardTo;
  const forwardTo = Array.isArray(fwd) ? fwd.map(String) : typeof fwd === 'string' ? [fwd] : [];
  return { id: r.id, number: r.phone_number, forwardTo };
};

/** Account time zone and quiet hours setting, for callback timing. */
export const accountTiming = async (q: Queryable, accountId: string): Promise<{ timezone: string; settings: Record<string, unknown> } | null> => {
  const res = await q.query('SELECT timezone, settings FROM accounts WHERE id = $1', [accountId]);
  return res.rows[0] ? { timezone: res.rows[0].timezone, settings: res.rows[0].settings ?? {} } : null;
};

/** What a callback needs of its contact: the number, time zone, and whether calls are refused. */
export const callbackContact = async (
  q: Queryable, contactId: string,
): Promise<{ phone: string | null; timezone: string | null; doNotContact: boolean; optedOutChannels: string[] } | null> => {
  const res = await q.query('SELECT phone, timezone, do_not_contact, opted_out_channels FROM contacts WHERE id = $1', [contactId]);
  const r = res.rows[0];
  return r ? { phone: r.phone, timezone: r.timezone, doNotContact: r.do_not_contact, optedOutChannels: r.opted_out_channels ?? [] } : null;
};

export const callbacksRepo = {
  insertCallback, findCallback, findCallbackByDelivery, nextScheduledFor, listCallbacks, lockDue, lockUnanswered, lockHungUp, markCalling,
  moveCallback, markAnswered, stampLastCalled, finishCallback, groupAgents, callbackLine, accountTiming, callbackContact,
};
export type CallbacksRepo = typeof callbacksRepo;
