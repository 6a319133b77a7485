/**
 * What the mail catcher (SMTP_URL=catcher, adapters/email/mail-catcher.ts) received instead of
 * sending: the newest CAUGHT_MAIL_KEEP e-mails per account, in Redis, so every web process shows
 * what any worker process caught. Nothing here leaves the machine.
 */
import type { Redis } from 'ioredis';

/** One e-mail as the catcher's SMTP server received it, decoded. */
export type CaughtMail = {
  /** Increasing across the install: newer mail has a higher id. */
  id: number;
  deliveryId: string | null;
  activationId: string | null;
  from: string | null;
  to: string[];
  subject: string;
  text: string;
  messageId: string | null;
  receivedAt: string;
};

export type CaughtMailQuery = { to?: string; limit: number };

/** Per account; older ones are dropped. */
export const CAUGHT_MAIL_KEEP = 500;

/**
 * Port: `add` stores one caught e-mail for an account; `list` returns an account's newest first,
 * optionally only those addressed to `to` (case-insensitive).
 */
export type MailCatcherStore = {
  add(accountId: string, mail: Omit<CaughtMail, 'id'>): Promise<CaughtMail>;
  list(accountId: string, q: CaughtMailQuery): Promise<CaughtMail[]>;
};

export const createMailCatcherStore = (deps: { redis: Redis; prefix: string }): MailCatcherStore => {
  const listKey = (accountId: string) => `${deps.prefix}:mail-catcher:${accountId}`;
  const seqKey = `${deps.prefix}:mail-catcher:seq`;
  return {
    async add(accountId, mail) {
      const caught: CaughtMail = { id: await deps.redis.incr(seqKey), ...mail };
      await deps.redis.multi().lpush(listKey(accountId), JSON.stringify(caught)).ltrim(listKey(accountId), 0, CAUGHT_MAIL_KEEP - 1).exec();
      return caught;
    },
    async list(accountId, q) {
      const all = (await deps.redis.lrange(listKey(accountId), 0, CAUGHT_MAIL_KEEP - 1)).map((s) => JSON.parse(s) as CaughtMail);
      const to = q.to?.toLowerCase();
      return (to ? all.filter((m) => m.to.some((a) => a.toLowerCase() === to)) : all).slice(0, q.limit);
    },
  };
};
