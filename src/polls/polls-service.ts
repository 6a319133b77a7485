import { withTransaction, type Db } from '../db/db.js';
import { isUuid } from '../db/db.js';
import type { PollPort, PollSpec } from '../engine/notification-extras-port.js';
import { NotFoundError } from '../errors.js';
import type { PollAnswerChange } from '../engine/feed.js';
import type { InboundSms, InterceptResult } from '../telephony/inbound-port.js';
import type { Poll, PollAnswer, PollsRepo } from './polls-repo.js';

/** Published (feed) after an answer is stored. */
export type PollAnswerEvent = PollAnswerChange;

export type PollsServiceDeps = {
  db: Db;
  polls: Pick<PollsRepo,
    'upsertPoll' | 'findPoll' | 'pollsOfActivation' | 'latestOpenPollFor' | 'latestClosedPollFor' | 'logVote' | 'saveAnswer' | 'answersOf'
    | 'activationExists'>;
  /** Told of every stored answer (the live feed); best effort, errors are ignored. */
  onAnswer?: (accountId: string, e: PollAnswerEvent) => Promise<void> | void;
};

export type PollResult = {
  id: string;
  activationId: string;
  actionId: string;
  question: string;
  openedAt: Date;
  closesAt: Date;
  closed: boolean;
  answerCount: number;
  options: Array<{ number: number; text: string; count: number }>;
  answers: Array<{
    contactId: string; contactName: string | null; option: number; optionText: string; channel: 'sms' | 'voice' | 'push';
    firstAnsweredAt: Date; answeredAt: Date; changes: number;
  }>;
};

const OPTION_REPLY = /^\s*#?\s*(\d{1,2})\s*[.)]?\s*$/;
const short = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const closedReply = (poll: Poll) => `The poll "${short(poll.question)}" is closed.`;

/**
 * Notification polls: a question with 2–9 numbered options, open for its duration. Answers come
 * by SMS reply with the option number (the latest open poll sent to that person) or by a key
 * press on the notification call. One answer per person: the LAST answer received while the
 * poll is open wins (people correct themselves; the results show how often they changed it).
 * Implements the engine's `PollPort`; `answerBySms` backs the polls `SmsInterceptor`.
 */
export const createPollsService = (deps: PollsServiceDeps) => {
  const repo = deps.polls;
  const publish = async (poll: Poll, contactId: string, option: number, channel: 'sms' | 'voice' | 'push') => {
    if (!deps.onAnswer) return;
    try {
      await deps.onAnswer(poll.accountId, {
        type: 'poll_answer', activationId: poll.activationId, pollId: poll.id, actionId: poll.actionId, contactId, option, channel, at: new Date().toISOString(),
      });
    } catch {
      // The feed is best effort; the answer is stored.
    }
  };

  /** Idempotent on (activationId, actionId): a second call returns the first poll unchanged. */
  const createPoll: PollPort['createPoll'] = async ({ accountId, activationId, actionId, poll }: { accountId: string; activationId: string; actionId: string; poll: PollSpec }) => {
    const p = await repo.upsertPoll(deps.db, { accountId, activationId, actionId, question: poll.question, options: poll.options, durationMinutes: poll.durationMinutes });
    return { pollId: p.id };
  };

  /** A key press on the call (or any channel but SMS): false when closed, unknown or out of range. */
  const recordAnswer: PollPort['recordAnswer'] = async (input) => {
    if (!isUuid(input.pollId)) return false;
    const poll = await repo.findPoll(deps.db, input.accountId, input.pollId);
    if (!poll || !Number.isInteger(input.option) || input.option < 1 || input.option > poll.options.length) return false;
    const saved = await withTransaction(deps.db, async (tx) => {
      const ok = await repo.saveAnswer(tx, { ...input, pollId: poll.id });
      await repo.logVote(tx, { pollId: poll.id, accountId: input.accountId, contactId: input.contactId, option: input.option, channel: input.channel, providerId: null, accepted: ok });
      return ok;
    });
    if (saved) await publish(poll, input.contactId, input.option, input.channel);
    return saved;
  };

  /**
   * An inbound SMS that is just an option number ("2", "2.", "#2") answers the latest open poll
   * sent to the sender; when every poll sent to them has closed, the reply says the latest one is
   * closed (nothing stored). Anything else, or nobody polled: null (not ours). A carrier retry of the
   * same message (same providerId) changes nothing and gets the same confirmation.
   */
  const answerBySms = async (msg: InboundSms): Promise<InterceptResult | null> => {
    const m = OPTION_REPLY.exec(msg.body);
    if (!m) return null;
    const who = { contactId: msg.contactId, phone: msg.from };
    const poll = await repo.latestOpenPollFor(deps.db, msg.accountId, who);
    if (!poll) {
      // A late answer to a poll that has closed: say so (it is not a code to be "not recognised").
      const closed = await repo.latestClosedPollFor(deps.db, msg.accountId, who);
      return closed ? { handled: true, reply: closedReply(closed) } : null;
    }
    const option = Number(m[1]);
    const n = poll.options.length;
    if (option < 1 || option > n) {
      return { handled: true, reply: `Reply with a number from 1 to ${n} to answer "${short(poll.question)}".` };
    }
    const result = await withTransaction(deps.db, async (tx) => {
      const saved = await repo.saveAnswer(tx, { pollId: poll.id, accountId: msg.accountId, contactId: poll.contactId, option, channel: 'sms', deliveryId: poll.deliveryId });
      const { duplicateOf } = await repo.logVote(tx, {
        pollId: poll.id, accountId: msg.accountId, contactId: poll.contactId, option, channel: 'sms', providerId: msg.providerId, accepted: saved,
      });
      if (duplicateOf) throw new DuplicateVote(duplicateOf.option, duplicateOf.accepted);
      return saved;
    }).catch((err: unknown) => {
      // The duplicate's transaction rolled back: the earlier answer stands untouched.
      if (err instanceof DuplicateVote) return err;
      throw err;
    });
    const [stored, shownOption] = result instanceof DuplicateVote ? [result.accepted, result.option] : [result, option];
    if (!stored) return { handled: true, reply: closedReply(poll) };
    if (!(result instanceof DuplicateVote)) await publish(poll, poll.contactId, option, 'sms');
    return { handled: true, reply: `Answer recorded: ${shownOption} (${short(poll.options[shownOption - 1] ?? '', 40)}). Reply another number to change it.` };
  };

  const toResult = (poll: Poll, answers: PollAnswer[], now: Date): PollResult => {
    const mine = answers.filter((a) => a.pollId === poll.id);
    return {
      id: poll.id,
      activationId: poll.activationId,
      actionId: poll.actionId,
      question: poll.question,
      openedAt: poll.openedAt,
      closesAt: poll.closesAt,
      closed: poll.closesAt.getTime() <= now.getTime(),
      answerCount: mine.length,
      options: poll.options.map((text, i) => ({ number: i + 1, text, count: mine.filter((a) => a.option === i + 1).length })),
      answers: mine.map((a) => ({
        contactId: a.contactId, contactName: a.contactName, option: a.option, optionText: poll.options[a.option - 1] ?? '', channel: a.channel,
        firstAnsweredAt: a.firstAnsweredAt, answeredAt: a.answeredAt, changes: a.changes,
      })),
    };
  };

  /** Every poll of an activation with per-option counts and per-person answers; 404 for another account's activation. */
  const resultsForActivation = async (accountId: string, activationId: string): Promise<PollResult[]> => {
    if (!(await repo.activationExists(deps.db, accountId, activationId))) throw new NotFoundError('activation');
    const polls = await repo.pollsOfActivation(deps.db, accountId, activationId);
    const answers = await repo.answersOf(deps.db, accountId, polls.map((p) => p.id));
    const now = new Date();
    return polls.map((p) => toResult(p, answers, now));
  };

  const result = async (accountId: string, pollId: string): Promise<PollResult> => {
    const poll = isUuid(pollId) ? await repo.findPoll(deps.db, accountId, pollId) : null;
    if (!poll) throw new NotFoundError('poll');
    return toResult(poll, await repo.answersOf(deps.db, accountId, [poll.id]), new Date());
  };

  return { createPoll, recordAnswer, answerBySms, resultsForActivation, result };
};
export type PollsService = ReturnType<typeof createPollsService>;

class DuplicateVote extends Error {
  constructor(readonly option: number, readonly accepted: boolean) {
    super('duplicate poll vote');
  }
}
