/**
 * Post-call ("tracking") workflows: what fires them, the conditions that must ALL match, and
 * the actions they run. Stored per account in `tracking_workflows` (docs/CALL-TRACKING.md).
 */
import { z } from 'zod';

const uuid = z.uuid({ error: 'must be a UUID' });
const actionId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, _ or -');
const seconds = z.number({ error: 'must be a number of seconds' }).int('must be a whole number').min(0).max(86_400);

export const trackingTriggers = ['answered', 'missed'] as const;
export type TrackingTrigger = (typeof trackingTriggers)[number];

/** Talk time (seconds the caller was connected; 0 for a missed call). */
export const durationConditionSchema = z.object({
  type: z.literal('duration'),
  operator: z.enum(['greater_than', 'less_than'], { error: 'must be greater_than or less_than' }),
  seconds,
});

/**
 * How often this number called the account's tracking lines, counted from stored calls that
 * started before this one (plus this one): `first_call` = no earlier tracked call ever;
 * `at_least` / `at_most` N calls (this one included) in the last `days` days.
 */
export const frequencyConditionSchema = z.discriminatedUnion('operator', [
  z.object({ type: z.literal('caller_frequency'), operator: z.literal('first_call') }),
  z.object({
    type: z.literal('caller_frequency'),
    operator: z.enum(['at_least', 'at_most']),
    calls: z.number({ error: 'must be a number' }).int().min(1).max(10_000),
    days: z.number({ error: 'must be a number' }).int().min(1).max(3650),
  }),
], { error: 'operator must be first_call, at_least or at_most' });

/** The call came in on one of these tracking lines, or for one of these campaigns (sources). */
export const sourceConditionSchema = z.object({
  type: z.literal('source'),
  lineIds: z.array(uuid).max(50).default([]),
  campaigns: z.array(z.string().trim().min(1, 'may not be empty').max(200)).max(50).default([]),
}).refine((c) => c.lineIds.length + c.campaigns.length > 0, { message: 'give at least one line or campaign', path: ['lineIds'] });

const conditionSchema = z.union([durationConditionSchema, frequencyConditionSchema, sourceConditionSchema], {
  error: 'type must be duration, caller_frequency or source',
});

/**
 * Texts the caller from `lineId` (default: the tracking line called). `message` takes
 * {{caller}}, {{duration}}, {{source}}, {{campaign}}, {{line}}, {{line_number}}, {{time}}, {{outcome}}.
 */
export const smsCallerActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('sms_caller'),
  /** Its length without `{{fields}}` is checked on save (tracking-workflows-service.ts). */
  message: z.string().trim().min(1, 'may not be empty').max(4000),
  lineId: uuid.optional(),
});

/** E-mails the account's owners (`owner_emails`) every detail of the call. */
export const emailOwnersActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('email_owners'),
  subject: z.string().trim().min(1).max(200).optional(),
});

/** POSTs the call details as JSON (HTTPS only; the address connected to must be public). */
export const webhookActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('webhook'),
  url: z.url({ error: 'must be a URL' }).max(2000).refine((u) => u.startsWith('https://'), 'must start with https://'),
  /** Write-only, stored sealed; on update, leaving it out keeps the stored one of the same action id; null clears it. */
  authorization: z.string().min(1).max(2000).nullish(),
});

/** Activates an existing workflow (source `call_tracking`); placeholder values take the same {{fields}}. */
export const activateWorkflowActionSchema = z.object({
  id: actionId.optional(),
  type: z.literal('activate_workflow'),
  workflowId: uuid,
  placeholders: z.record(z.string().max(64), z.string().max(1000)).default({}),
});

export const trackingActionSchema = z.discriminatedUnion('type', [
  smsCallerActionSchema, emailOwnersActionSchema, webhookActionSchema, activateWorkflowActionSchema,
], { error: 'type must be sms_caller, email_owners, webhook or activate_workflow' });

export const trackingWorkflowInputSchema = z.object({
  name: z.string().trim().min(1, 'may not be empty').max(200),
  enabled: z.boolean().default(true),
  trigger: z.enum(trackingTriggers, { error: 'must be answered or missed' }),
  conditions: z.array(conditionSchema).max(10, 'at most 10 conditions').default([]),
  actions: z.array(trackingActionSchema).min(1, 'add at least one action').max(10, 'at most 10 actions'),
});

export type TrackingWorkflowInput = z.infer<typeof trackingWorkflowInputSchema>;
export type TrackingCondition = z.infer<typeof conditionSchema>;
export type TrackingAction = z.infer<typeof trackingActionSchema>;

type WebhookAction = z.infer<typeof webhookActionSchema>;
/** An action as stored: every action has an id; a webhook's Authorization only sealed. */
export type StoredTrackingAction = (Exclude<TrackingAction, WebhookAction> | (Omit<WebhookAction, 'authorization'> & { authorizationSealed?: string })) & { id: string };

export type TrackingWorkflow = {
  id: string;
  accountId: string;
  name: string;
  enabled: boolean;
  trigger: TrackingTrigger;
  conditions: TrackingCondition[];
  actions: StoredTrackingAction[];
  createdAt: Date;
  updatedAt: Date;
};

/** Tracked call outcome: why a missed call was missed. */
export type EndReason = 'completed' | 'no-answer' | 'busy' | 'failed' | 'canceled';
