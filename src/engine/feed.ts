import type { Redis } from 'ioredis';

/** One delivery's new state, as the live feed and the activation API show it. */
export type DeliveryChange = {
  type: 'delivery';
  activationId: string;
  deliveryId: string;
  actionId: string;
  recipientKey: string;
  contactId: string | null;
  channel: string;
  status: string;
  skipReason: string | null;
  errorCode: string | null;
  /** Why it was skipped or failed, in words (`describeFailure`), with the code it comes from. */
  failureReason: string | null;
  failureCode: string | null;
  /** The carrier's id of the send (message or call SID) once handed over, else null. */
  providerMessageId: string | null;
  at: string;
};

/** The activation's own new state. */
export type ActivationChange = {
  type: 'activation';
  activationId: string;
  status: string;
  recipientCount: number | null;
  at: string;
};

/** A person answered (or changed their answer to) a notification poll of the activation. */
export type PollAnswerChange = {
  type: 'poll_answer';
  activationId: string;
  pollId: string;
  actionId: string;
  contactId: string;
  /** 1-based option number. */
  option: number;
  channel: 'sms' | 'voice' | 'push';
  at: string;
};

export type FeedEvent = DeliveryChange | ActivationChange | PollAnswerChange;

/**
 * Publishes every delivery, activation and poll-answer change on Redis pub/sub, one channel per activation,
 * so every web process can push it to its websocket subscribers. Best effort: a lost message
 * only delays the dashboard (the API shows the stored state). Events of one call are sent as one
 * message (a batch), in order.
 */
export type FeedPublisher = { publish(accountId: string, events: FeedEvent[]): Promise<void> };

/** Subscribes to one activation's changes; returns the unsubscribe function. */
export type FeedSubscriber = {
  subscribe(accountId: string, activationId: string, onEvents: (events: FeedEvent[]) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

const channelName = (prefix: string, accountId: string, activationId: string) => `${prefix}:feed:${accountId}:${activationId}`;

export const createFeedPublisher = (redis: Redis, prefix: string): FeedPublisher => ({
  async publish(accountId, events) {
    if (events.length === 0) return;
    const byActivation = new Map<string, FeedEvent[]>();
    for (const e of events) byActivation.set(e.activationId, [...(byActivation.get(e.activationId) ?? []), e]);
    const p = redis.pipeline();
    for (const [id, list] of byActivation) p.publish(channelName(prefix, accountId, id), JSON.stringify(list));
    await p.exec().catch(() => undefined);
  },
});

/**
 * One subscriber connection per process, shared by every websocket; channels are reference
 * counted. The connection is created on first use (a web process with no feed clients holds none).
 */
export const createFeedSubscriber = (base: Redis, prefix: string): FeedSubscriber => {
  let sub: Redis | null = null;
  const handlers = new Map<string, Set<(events: FeedEvent[]) => void>>();
  const connection = (): Redis => {
    if (sub) return sub;
    sub = base.duplicate();
    sub.on('error', () => undefined);
    sub.on('message', (channel: string, message: string) => {
      const set = handlers.get(channel);
      if (!set) return;
      let events: FeedEvent[];
      try {
        events = JSON.parse(message) as FeedEvent[];
      } catch {
        return;
      }
      for (const h of set) h(events);
    });
    return sub;
  };
  return {
    async subscribe(accountId, activationId, onEvents) {
      const name = channelName(prefix, accountId, activationId);
      let set = handlers.get(name);
      if (!set) {
        set = new Set();
        handlers.set(name, set);
        await connection().subscribe(name);
      }
      set.add(onEvents);
      return async () => {
        const s = handlers.get(name);
        if (!s) return;
        s.delete(onEvents);
        if (s.size === 0) {
          handlers.delete(name);
          await sub?.unsubscribe(name).catch(() => undefined);
        }
      };
    },
    async close() {
      handlers.clear();
      await sub?.quit().catch(() => undefined);
      sub = null;
    },
  };
};
