/**
 * The last check before anything reaches a person, for EVERY send path (workflow
 * notifications, conference, pager and voice calls, sequences, rule actions, post-call texts to
 * callers, account notifications): the delivery worker runs it on the rows it just claimed,
 * right before sending, so a number put on the do-not-contact list or texting STOP in the middle
 * of a long paced fan-out is honoured for every message not yet sent.
 *
 * A claimed delivery is refused (stored `skipped` with the reason, final at once, never sent) when
 * - its contact is flagged `do_not_contact` (any channel but webhooks) -> `do_not_contact`;
 * - it goes to a phone number (sms, voice, conference, pager) on the account's do-not-contact list
 *   (`dnc_numbers`, src/rules/dnc-service.ts) or of a contact flagged do-not-contact -> `do_not_contact`;
 * - its contact opted out of the channel (`contacts.opted_out_channels`; conference counts as voice)
 *   -> `opted_out_<channel>`;
 * - it is a text to a number that texted STOP (`sms_opt_outs`, src/telephony/sms-keywords.ts),
 *   contact or not -> `opted_out_sms`.
 * Feature-level checks (planner, sequences, rules, tracking) stay: they record skips at planning
 * time; this one guarantees nothing slips through whatever planned the row, and when.
 */
import type { Queryable } from '../db/db.js';
import { CLAIM_SQL, toDelivery, type Delivery } from './deliveries-repo.js';

/**
 * Why the delivery `v` (id, account_id, contact_id, channel, address) must not be sent; NULL: it
 * may. `vc` is its contact (LEFT JOIN by id: one probe for both the do-not-contact flag and the
 * opted-out channels). A number's do-not-contact contacts are found through
 * contacts_do_not_contact_phone_idx (only flagged contacts: an empty probe for nearly every row).
 */
const REASON = `CASE
       WHEN v.channel = 'webhook' OR (v.contact_id IS NULL AND v.address IS NULL) THEN NULL
       WHEN vc.do_not_contact THEN 'do_not_contact'
       WHEN v.channel IN ('sms', 'voice', 'conference', 'pager') AND (
              EXISTS (SELECT 1 FROM dnc_numbers n WHERE n.account_id = v.account_id AND n.phone = v.address)
           OR EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = v.account_id AND c.phone = v.address AND c.do_not_contact))
         THEN 'do_not_contact'
       WHEN (CASE WHEN v.channel = 'conference' THEN 'voice' ELSE v.channel END) = ANY(vc.opted_out_channels)
         THEN 'opted_out_' || CASE WHEN v.channel = 'conference' THEN 'voice' ELSE v.channel END
       WHEN v.channel = 'sms' AND EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.account_id = v.account_id AND o.phone = v.address)
         THEN 'opted_out_sms'
     END`;

/**
 * The delivery worker's claim: claims the given due `pending` deliveries for `token` (see
 * `claim` in deliveries-repo.ts) and, in the same statement, works out which of them must not be
 * sent; those are then stored `skipped` (`refuseClaimed`). One statement per batch instead of a
 * claim and a separate check (bench:fanout: one round trip and 100 re-sent ids fewer per batch).
 */
export const claimSendable = async (q: Queryable, ids: string[], token: string): Promise<{ send: Delivery[]; refused: Delivery[] }> => {
  const res = await q.query({
    name: 'sb-delivery-claim-sendable',
    text: `WITH v AS (${CLAIM_SQL}) SELECT v.*, ${REASON} AS refusal FROM v LEFT JOIN contacts vc ON vc.id = v.contact_id`,
    values: [ids, token],
  });
  const claimed = res.rows.map(toDelivery);
  const reasons = new Map<string, string>(res.rows.filter((r) => r.refusal).map((r) => [r.id as string, r.refusal as string]));
  return reasons.size === 0 ? { send: claimed, refused: [] } : refuseClaimed(q, token, claimed, reasons);
};

/**
 * Splits claimed rows into those that may be sent and those refused (`reasons` by delivery id); the refused ones are stored
 * `skipped` with their reason (only while `token` still holds the claim; the claim's attempt is
 * given back), with a delivery event, and their conversation rows marked `skipped`.
 */
const refuseClaimed = async (
  q: Queryable, token: string, rows: Delivery[], reasons: Map<string, string>,
): Promise<{ send: Delivery[]; refused: Delivery[] }> => {
  const res = await q.query(
    `WITH v AS (SELECT * FROM unnest($2::uuid[], $3::text[]) AS v(id, reason)),
     u AS (
       UPDATE deliveries d SET status = 'skipped', skip_reason = v.reason, claim_token = NULL, attempts = GREATEST(d.attempts - 1, 0),
              final_at = now(), updated_at = now()
         FROM v WHERE d.id = v.id AND d.claim_token = $1 AND d.status = 'sending'
       RETURNING d.*
     ), e AS (
       INSERT INTO delivery_events (delivery_id, account_id, status, detail)
       SELECT u.id, u.account_id, 'skipped', jsonb_build_object('skipReason', u.skip_reason) FROM u
     ), m AS (
       -- by contact first (indexed); a row without a contact is in no conversation history anyway
       UPDATE messages SET status = 'skipped' WHERE contact_id IN (SELECT contact_id FROM u) AND delivery_id IN (SELECT id FROM u)
     )
     SELECT * FROM u`,
    [token, [...reasons.keys()], [...reasons.values()]],
  );
  // A refused row whose claim was lost meanwhile is not sent either.
  return { send: rows.filter((r) => !reasons.has(r.id)), refused: res.rows.map(toDelivery) };
};

export const contactRefusalsRepo = { claimSendable };
export type ContactRefusalsRepo = typeof contactRefusalsRepo;
