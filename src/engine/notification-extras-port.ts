/**
 * Ports the planner and the outbound-call flows call for a notification's extras. Each is
 * optional: the engine works without them (no prompt output, no attachment link, no poll).
 * Implemented by the channels feature (prompt client, attachments, polls, push).
 */

/** What a prompt may refer to: the activation it runs for. */
export type PromptContext = {
  accountId: string;
  activationId: string;
  actionId: string;
  workflowName: string;
  placeholders: Record<string, string>;
  inboundMessage: string | null;
  recordingUrl: string | null;
  /** The action's prompt settings (a saved prompt's): override the runner's defaults. */
  settings?: { model?: string; maxOutputChars?: number; temperature?: number };
};

/**
 * Port: sends a configured prompt (placeholders already filled) to the OpenAI-compatible
 * chat-completions endpoint and returns its text output. The planner calls it at most once per
 * action per activation (re-planning re-runs it only if no delivery was planned yet). Throws on
 * timeout, HTTP error or empty output: the planner then sends without it and notes
 * `promptError` on each delivery of that action.
 */
export interface PromptRunner {
  run(prompt: string, ctx: PromptContext): Promise<string>;
}

/**
 * Port: the public short URL served by Switchboard for a stored attachment
 * (`PUBLIC_URL/a/<code>`), appended to the notification. Null when the attachment does not
 * exist in this account (deleted): the message is sent without a link.
 */
export interface AttachmentLinks {
  shortUrl(accountId: string, attachmentId: string): Promise<string | null>;
}

export type PollSpec = { question: string; options: string[]; durationMinutes: number };

/**
 * Port: notification polls. `createPoll` is idempotent on (activationId, actionId) — the
 * planner may run twice — and returns the same poll each time; the poll closes after
 * `durationMinutes`. `recordAnswer` stores one answer per person (a later answer replaces the
 * earlier one while the poll is open) and returns false when the poll is closed or the option
 * does not exist. SMS answers are taken by the channels feature's own inbound interceptor.
 */
export interface PollPort {
  createPoll(input: { accountId: string; activationId: string; actionId: string; poll: PollSpec }): Promise<{ pollId: string }>;
  recordAnswer(input: {
    accountId: string;
    pollId: string;
    contactId: string;
    /** 1-based, as the person keyed or typed it. */
    option: number;
    channel: 'voice' | 'sms' | 'push';
    deliveryId: string | null;
  }): Promise<boolean>;
}

/** The contact fields a push provider may look at (`pushDevices`: their Web Push subscriptions). */
export type PushContact = { id: string; pushToken: string | null; customFields: Record<string, unknown>; pushDevices?: number };

/**
 * Port: can this contact receive a push notification? When not (no device, no provider
 * configured), the planner sends SMS instead, as the product promises. Must be cheap (called
 * per recipient while planning); default when no provider is wired: never.
 */
export interface PushCapability {
  canPush(contact: PushContact): boolean;
}

/** The optional extras, as the composition root passes them to the engine. */
export type NotificationExtras = {
  prompts?: PromptRunner;
  attachments?: AttachmentLinks;
  polls?: PollPort;
  push?: PushCapability;
};
