/**
 * Carrier-standard SMS keywords, handled before anything else on an inbound text:
 * STOP/STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT opt the sender out of SMS from the account,
 * START/UNSTOP opt back in, HELP/INFO answers with the account's help text.
 *
 * Where the opt-out lives: `sms_opt_outs (account_id, phone)` is the authority (it also covers
 * numbers that are not contacts); when the number is a contact, `contacts.opted_out_channels`
 * gets 'sms' too, so planners that read contacts skip them. Every SMS delivery to a number in
 * `sms_opt_outs` is refused by the delivery worker right before sending
 * (src/delivery/contact-refusals.ts), whatever planned it.
 */
import type { PoolClient } from 'pg';
import { withTransaction, type Db } from '../db/db.js';
import type { InboundSms, SmsInterceptor } from './inbound-port.js';
import type { SmsOptOutsRepo } from './sms-opt-outs-repo.js';

export const STOP_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'] as const;
export const START_WORDS = ['START', 'UNSTOP'] as const;
export const HELP_WORDS = ['HELP', 'INFO'] as const;

export type KeywordReplies = { optedOut: string; optedIn: string };

/** A number that just texted an opt-out keyword (STOP_WORDS), in one account. */
export type OptOut = { accountId: string; phone: string; keyword: string; lineId: string | null };

/**
 * Port: a feature that must act the moment a number opts out (sequences end its contacts'
 * enrollments). Called inside the opt-out's transaction, before the opt-out rows are written:
 * a failure rolls the whole opt-out back (the carrier retries the webhook). Must be idempotent.
 */
export type OptOutListener = { name: string; onOptOut(tx: PoolClient, o: OptOut): Promise<void> };

/** The keyword a whole message is (trimmed, any case), or null. */
export const keywordOf = (body: string): { kind: 'stop' | 'start' | 'help'; word: string } | null => {
  const w = body.trim().toUpperCase();
  if ((STOP_WORDS as readonly string[]).includes(w)) return { kind: 'stop', word: w };
  if ((START_WORDS as readonly string[]).includes(w)) return { kind: 'start', word: w };
  if ((HELP_WORDS as readonly string[]).includes(w)) return { kind: 'help', word: w };
  return null;
};

/**
 * The keyword step as an interceptor (idempotent: opting out twice is one opt-out). An opt-out
 * and what every `OptOutListener` does about it commit together, or not at all.
 */
export const createKeywordInterceptor = (deps: {
  db: Db;
  optOuts: Pick<SmsOptOutsRepo, 'optOutSms' | 'optInSms' | 'accountHelpText'>;
  replies: KeywordReplies;
  /** Read for every opt-out, so a feature built later may add itself. */
  optOutListeners?: () => readonly OptOutListener[];
}): SmsInterceptor => ({
  name: 'sms-keywords',
  async intercept(msg: InboundSms) {
    const k = keywordOf(msg.body);
    if (!k) return null;
    if (k.kind === 'stop') {
      const o: OptOut = { accountId: msg.accountId, phone: msg.from, keyword: k.word, lineId: msg.lineId };
      await withTransaction(deps.db, async (tx) => {
        // Listeners first: they lock what they change (enrollments) before the contact row, the
        // order the sequence runner locks them in.
        for (const l of deps.optOutListeners?.() ?? []) await l.onOptOut(tx, o);
        await deps.optOuts.optOutSms(tx, msg.accountId, msg.from, k.word, msg.lineId);
      });
      return { handled: true, reply: deps.replies.optedOut };
    }
    if (k.kind === 'start') {
      await deps.optOuts.optInSms(deps.db, msg.accountId, msg.from);
      return { handled: true, reply: deps.replies.optedIn };
    }
    return { handled: true, reply: (await deps.optOuts.accountHelpText(deps.db, msg.accountId)) || null };
  },
});
