import { z } from 'zod';
import { promptSettingsSchema } from '../prompts/prompt-types.js';
import { scheduleSpecSchema } from '../calendar/schedule-types.js';

const uuid = z.uuid({ error: 'must be a UUID' });
const actionId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, _ or -');
const groupIds = z.array(uuid).min(1, 'choose at least one group').max(50);

export const channels = ['sms', 'email', 'push', 'voice'] as const;
export type NotificationChannel = (typeof channels)[number];

/**
 * The action's prompt: its own `text`, or a saved prompt (`promptId`, docs/CHANNELS.md "Prompt library"),
 * whose version — `promptVersion`, else the current one — is pinned in the workflow version
 * when it is saved (text and settings copied in, so an activation runs exactly that version).
 */
const promptSchema = z.object({
  text: z.string().trim().min(1).max(4000).optional(),
  promptId: uuid.optional(),
  promptVersion: z.number().int().min(1).optional(),
  /** The prompt runner's settings (model, maxOutputChars, temperature); a saved prompt brings its own. */
  settings: promptSettingsSchema.optional(),
  /** Notifications: append the output to the message. Webhooks use `{{prompt_output}}` (or `{{craig_prompt_output}}`). */
  appendToMessage: z.boolean().default(true),
}).refine((p) => p.text !== undefined || p.promptId !== undefined, { message: 'give the prompt text or a saved prompt (promptId)', path: ['text'] });

const pollSchema = z.object({
  question: z.string().trim().min(1).max(500),
  options: z.array(z.string().trim().min(1).max(100)).min(2, 'give at least 2 options').max(9, 'at most 9 options (one key each)'),
  durationMinutes: z.number().int().min(1).max(10_080),
});

export const notificationActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('notification'),
  name: z.string().max(200).optional(),
  groupIds,
  includeOffDuty: z.boolean().default(false),
  subject: z.string().max(200).optional(),
  message: z.string().trim().min(1, 'may not be empty').max(1600),
  channels: z
    .array(z.enum(channels))
    .min(1, 'choose at least one delivery method')
    .refine((c) => new Set(c).size === c.length, 'delivery methods repeat'),
  attachmentId: uuid.optional(),
  prompt: promptSchema.optional(),
  poll: pollSchema.optional(),
});

export const conferenceActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('conference'),
  name: z.string().max(200).optional(),
  groupIds,
  includeOffDuty: z.boolean().default(false),
  lineId: uuid,
  intro: z.string().trim().min(1).max(1000),
  /** Nobody answered within 2 minutes: call again, off-duty contacts included. */
  retryWithOffDuty: z.boolean().default(false),
});

export const pagerActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('pager'),
  name: z.string().max(200).optional(),
  groupIds,
  includeOffDuty: z.boolean().default(false),
  lineId: uuid.optional(),
  message: z.string().regex(/^[0-9#*w]{1,64}$/, 'may contain only 0-9 # * and w (half-second pause)'),
});

export const webhookActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('webhook'),
  name: z.string().max(200).optional(),
  method: z.enum(['POST', 'GET']).default('POST'),
  url: z
    .url({ error: 'must be a URL' })
    .max(2000)
    .refine((u) => u.startsWith('https://'), 'must start with https://'),
  /**
   * Write-only: stored encrypted (`authorizationSealed`), shown as `authorizationSet: true`.
   * On update, leaving it out keeps the stored value of the action with the same id; null clears it.
   */
  authorization: z.string().min(1).max(2000).nullish(),
  body: z.string().max(20_000).optional(),
  prompt: promptSchema.optional(),
});

export const actionSchema = z.discriminatedUnion('type', [
  notificationActionSchema,
  conferenceActionSchema,
  pagerActionSchema,
  webhookActionSchema,
]);

export const codeActivationSchema = z.object({
  lineId: uuid,
  code: z
    .string()
    .transform((c) => c.trim().toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9]{4}$/, 'must be exactly 4 characters A–Z or 0–9')),
  askVoiceMessage: z.boolean().default(false),
  maxRecordingSeconds: z.number().int().min(5).max(300).default(60),
});

/** What a client sends to create or update a workflow. */
export const workflowInputSchema = z.object({
  name: z.string().trim().min(1, 'may not be empty').max(200),
  description: z.string().max(2000).default(''),
  codeActivation: codeActivationSchema.nullish(),
  schedule: scheduleSpecSchema.nullish(),
  actions: z.array(actionSchema).min(1, 'add at least one action').max(25),
});

export type WorkflowInput = z.infer<typeof workflowInputSchema>;
export type Action = z.infer<typeof actionSchema>;
export type NotificationAction = z.infer<typeof notificationActionSchema>;
export type ConferenceAction = z.infer<typeof conferenceActionSchema>;
export type PagerAction = z.infer<typeof pagerActionSchema>;
export type WebhookAction = z.infer<typeof webhookActionSchema>;

/** A webhook action as stored: the Authorization header sealed with SecretBox, never in clear. */
export type StoredWebhookAction = Omit<WebhookAction, 'authorization'> & { authorizationSealed?: string };
export type StoredAction = (Exclude<Action, WebhookAction> | StoredWebhookAction) & { id: string };

/** The stored, immutable definition of one workflow version: every action has an id. */
export type WorkflowDefinition = Omit<WorkflowInput, 'actions'> & { actions: StoredAction[] };
