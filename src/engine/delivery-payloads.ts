/**
 * What the planner stores in `deliveries.payload` for each channel — the contract between the
 * planner and each `ChannelSender`. Text is fully rendered (placeholders, fields, prompt output,
 * attachment link) before a sender sees it. `address` on the delivery row is the recipient's
 * phone (sms, voice, conference), e-mail, pager number or push token.
 */
import type { WebhookRequest } from '../webhooks/webhook-payload.js';

/** Notes the planner leaves for the delivery log (e.g. a prompt that failed). */
export type PayloadNotes = { promptError?: string; fallbackFrom?: 'push' };

/** sms: one text from the sending line. */
export type SmsPayload = PayloadNotes & { body: string; lineId: string; from: string };

/** voice: text-to-voice call; the TwiML speaks `text` twice, "press 1 to acknowledge". */
export type VoicePayload = PayloadNotes & {
  text: string; lineId: string; from: string; pollId?: string; pollQuestion?: string; pollOptions?: string[];
  /** A callback's agent call (src/rules/callback-calls.ts): `text` is the whisper; the contact is dialled once the agent answers. */
  callback?: { id: string; contactNumber: string };
};

/** conference: call, speak `intro`, then join the activation's conference. */
export type ConferencePayload = { intro: string; lineId: string; from: string; conferenceName: string; round: number };

/** pager: call the pager number and play `digits` as DTMF. */
export type PagerPayload = { digits: string; lineId: string; from: string };

/** email: `to` is the delivery's address. */
export type EmailPayload = PayloadNotes & { subject: string; text: string };

/**
 * push: `to` is the contact's push token (the delivery's address; Web Push sends to every
 * subscription of `contactId` instead). `poll*` when the notification carries a poll.
 * `smsFallback`: the SMS row the planner would have planned instead, inserted (once, by its
 * unique key) when the push fails at send time (see src/push/push-fallback.ts).
 */
export type PushPayload = PayloadNotes & {
  title: string; body: string; contactId: string;
  pollId?: string; pollQuestion?: string; pollOptions?: string[];
  smsFallback?: SmsFallbackRow;
};

/** A planned SMS delivery row, kept in a push payload for the send-time fallback. */
export type SmsFallbackRow = {
  actionId: string; recipientKey: string; contactId: string | null; channel: 'sms'; address: string | null;
  status: 'pending' | 'skipped'; skipReason: string | null; payload: Record<string, unknown>; meta: Record<string, unknown>;
};

/**
 * webhook: `body` is rendered with JSON escaping; `authorizationSealed` is the action's
 * Authorization header exactly as stored in the workflow definition (sealed with SecretBox);
 * the webhook sender opens it and never logs it.
 */
export type WebhookPayload = PayloadNotes & WebhookRequest;
