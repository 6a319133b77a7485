import type { Queryable } from '../db/db.js';

export type Poll = {
  id: string;
  accountId: string;
  activationId: string;
  actionId: string;
  question: string;
  options: string[];
  openedAt: Date;
  closesAt: Date;
};

export type PollAnswer = {
  pollId: string;
  contactId: string;
  contactName: string | null;
  option: number;
  channel: 'sms' | 'voice' | 'push';
  deliveryId: string | null;
  firstAnsweredAt: Date;
  answeredAt: Date;
  changes: number;
};

const POLL = 'p.id, p.account_id, p.activation_id, p.action_id, p.question, p.options, p.opened_at, p.closes_at';

const toPoll = (r: Record<string, unknown>): Poll => ({
  id: r.id as string,
  accountId: r.account_id as string,
  activationId: r.activation_id as string,
  actionId: r.action_id as string,
  question: r.question as string,
  options: r.options as string[],
  openedAt: r.opened_at as Date,
  closesAt: r.closes_at as Date,
});

/** Inserts the poll of (activation, action) or returns the one already there. */
export const upsertPoll = async (
  db: Queryable,
  p: { accountId: string; activationId: string; actionId: string; question: string; options: string[]; durationMinutes: number },
): Promise<Poll> => {
  const { rows } = await db.query(
    `WITH ins AS (
       INSERT INTO polls (account_id, activation_id, action_id, question, options, closes_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))
       ON CONFLICT (activation_id, action_id) DO NOTHING
       RETURNING *)
     SELECT ${POLL} FROM ins p
     UNION ALL
     SELECT ${POLL} FROM polls p WHERE p.activation_id = $2 AND p.action_id = $3
     LIMIT 1`,
    [p.accountId, p.activationId, p.actionId, p.question, p.options, p.durationMinutes],
  );
  if (rows[0]) return toPoll(rows[0]);
  // A concurrent planner inserted it after this statement's snapshot: read it now.
  const again = await db.query(`SELECT ${POLL} FROM polls p WHERE p.activation_id = $1 AND p.action_id = $2`, [p.activationId, p.actionId]);
  return toPoll(again.rows[0]);
};

export const findPoll = async (db: Queryable, accountId: string, pollId: string): Promise<Poll | null> => {
  const { rows } = await db.query(`SELECT ${POLL} FROM polls p WHERE p.account_id = $1 AND p.id = $2`, [accountId, pollId]);
  return rows[0] ? toPoll(rows[0]) : null;
};

export const pollsOfActivation = async (db: Queryable, accountId: string, activationId: string): Promise<Poll[]> => {
  const { rows } = await db.query(`SELECT ${POLL} FROM polls p WHERE p.account_id = $1 AND p.activation_id = $2 ORDER BY p.opened_at, p.action_id`, [accountId, activationId]);
  return rows.map(toPoll);
};

/**
 * The latest open poll whose notification went to this person: by contact, or by the phone
 * number an SMS or call was sent to (deliveries that were skipped do not count).
 */
export const latestOpenPollFor = async (
  db: Queryable,
  accountId: string,
  who: { contactId: string | null; phone: string },
): Promise<(Poll & { contactId: string; deliveryId: string }) | null> => {
  const { rows } = await db.query(
    `SELECT ${POLL}, d.contact_id AS recipient_id, d.id AS delivery_id
       FROM polls p
       JOIN deliveries d ON d.activation_id = p.activation_id AND d.action_id = p.action_id
      WHERE p.account_id = $1 AND p.closes_at > now()
        AND d.contact_id IS NOT NULL AND d.status <> 'skipped'
        AND (d.contact_id = $2 OR (d.address = $3 AND d.channel IN ('sms', 'voice')))
      ORDER BY p.opened_at DESC, (d.channel = 'sms') DESC
      LIMIT 1`,
    [accountId, who.contactId, who.phone],
  );
  const r = rows[0];
  return r ? { ...toPoll(r), contactId: r.recipient_id as string, deliveryId: r.delivery_id as string } : null;
};

/**
 * The most recently closed poll whose notification went to this person (same matching as
 * `latestOpenPollFor`): a late answer is told the poll is closed rather than left to code matching.
 */
export const latestClosedPollFor = async (db: Queryable, accountId: string, who: { contactId: string | null; phone: string }): Promise<Poll | null> => {
  const { rows } = await db.query(
    `SELECT ${POLL}
       FROM polls p
       JOIN deliveries d ON d.activation_id = p.activation_id AND d.action_id = p.action_id
      WHERE p.account_id = $1 AND p.closes_at <= now()
        AND d.contact_id IS NOT NULL AND d.status <> 'skipped'
        AND (d.contact_id = $2 OR (d.address = $3 AND d.channel IN ('sms', 'voice')))
      ORDER BY p.closes_at DESC
      LIMIT 1`,
    [accountId, who.contactId, who.phone],
  );
  return rows[0] ? toPoll(rows[0]) : null;
};

/**
 * Logs a received answer; with a provider id (the carrier's message id) a second arrival of the
 * same message is refused. Returns the logged row's id, or the earlier option for a duplicate.
 */
export const logVote = async (
  db: Queryable,
  v: { pollId: string; accountId: string; contactId: string; option: number; channel: string; providerId: string | null; accepted: boolean },
): Promise<{ duplicateOf: { option: number; accepted: boolean } | null }> => {
  const { rows } = await db.query(
    `INSERT INTO poll_votes (poll_id, account_id, contact_id, option, channel, provider_id, accepted)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (account_id, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
     RETURNING id`,
    [v.pollId, v.accountId, v.contactId, v.option, v.channel, v.providerId, v.accepted],
  );
  if (rows[0]) return { duplicateOf: null };
  const prev = await db.query(`SELECT option, accepted FROM poll_votes WHERE account_id = $1 AND provider_id = $2`, [v.accountId, v.providerId]);
  return { duplicateOf: { option: Number(prev.rows[0]?.option ?? v.option), accepted: Boolean(prev.rows[0]?.accepted) } };
};

/**
 * Stores a person's answer while the poll is open; a later answer replaces the earlier one
 * (last answer wins). Returns false when the poll is closed (nothing stored).
 */
export const saveAnswer = async (
  db: Queryable,
  a: { pollId: string; accountId: string; contactId: string; option: number; channel: 'sms' | 'voice' | 'push'; deliveryId: string | null },
): Promise<boolean> => {
  const { rowCount } = await db.query(
    `INSERT INTO poll_answers (poll_id, contact_id, account_id, option, channel, delivery_id)
     SELECT p.id, $2, $3, $4, $5, $6 FROM polls p WHERE p.id = $1 AND p.account_id = $3 AND p.closes_at > now()
     ON CONFLICT (poll_id, contact_id) DO UPDATE
       SET option = EXCLUDED.option, channel = EXCLUDED.channel, delivery_id = COALESCE(EXCLUDED.delivery_id, poll_answers.delivery_id),
           answered_at = now(), changes = poll_answers.changes + (poll_answers.option <> EXCLUDED.option)::int`,
    [a.pollId, a.contactId, a.accountId, a.option, a.channel, a.deliveryId],
  );
  return (rowCount ?? 0) > 0;
};

export const answersOf = async (db: Queryable, accountId: string, pollIds: string[]): Promise<PollAnswer[]> => {
  if (pollIds.length === 0) return [];
  const { rows } = await db.query(
    `SELECT a.poll_id, a.contact_id, c.name AS contact_name, a.option, a.channel, a.delivery_id, a.first_answered_at, a.answered_at, a.changes
       FROM poll_answers a LEFT JOIN contacts c ON c.id = a.contact_id
      WHERE a.account_id = $1 AND a.poll_id = ANY($2::uuid[])
      ORDER BY a.answered_at, a.contact_id`,
    [accountId, pollIds],
  );
  return rows.map((r) => ({
    pollId: r.poll_id, contactId: r.contact_id, contactName: r.contact_name, option: Number(r.option), channel: r.channel,
    deliveryId: r.delivery_id, firstAnsweredAt: r.first_answered_at, answeredAt: r.answered_at, changes: Number(r.changes),
  }));
};

/** Whether the activation is the account's. */
export const activationExists = async (db: Queryable, accountId: string, activationId: string): Promise<boolean> => {
  const { rowCount } = await db.query('SELECT 1 FROM activations WHERE account_id = $1 AND id = $2', [accountId, activationId]);
  return (rowCount ?? 0) > 0;
};

export const pollsRepo = {
  upsertPoll, findPoll, pollsOfActivation, latestOpenPollFor, latestClosedPollFor, logVote, saveAnswer, answersOf, activationExists,
};
export type PollsRepo = typeof pollsRepo;
