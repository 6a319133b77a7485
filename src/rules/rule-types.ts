import { z } from 'zod';

const uuid = z.uuid({ error: 'must be a UUID' });

/** Hours (account time zone) during which actions may run: [start, end). 5–9 is the evening. */
export const scheduleWindows = {
  always: null,
  '9-9': [9, 21],
  '9-5': [9, 17],
  '12-5': [12, 17],
  '12-9': [12, 21],
  '5-9': [17, 21],
  '8-9': [8, 21],
} as const satisfies Record<string, readonly [number, number] | null>;
export type ScheduleWindow = keyof typeof scheduleWindows;
const windowName = z.enum(Object.keys(scheduleWindows) as [ScheduleWindow, ...ScheduleWindow[]]);

export const operators = [
  'equals', 'not_equals', 'greater_than', 'less_than', 'between', 'within',
  'starts_with', 'contains', 'in', 'is_blank', 'is_not_blank', 'is_numeric',
] as const;
export type Operator = (typeof operators)[number];
export const fieldTypes = ['text', 'number', 'date', 'boolean'] as const;
export type FieldType = (typeof fieldTypes)[number];

/** `event.<data key>`, `contact.<field>` or `contact.custom.<key>`. */
export const fieldPath = z.string().regex(/^(event|contact)\.[A-Za-z0-9_]{1,64}(\.[A-Za-z0-9_]{1,64})?$/, 'must be event.<key>, contact.<field> or contact.custom.<key>');

export const conditionSchema = z.object({
  field: fieldPath,
  operator: z.enum(operators),
  /** Shape depends on the operator (see rule-validation.ts); absent for is_blank / is_not_blank / is_numeric. */
  value: z.unknown().optional(),
  /** Type of a custom field or custom event value (default text); built-in fields have their own. */
  type: z.enum(fieldTypes).optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const scopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('account') }),
  z.object({ type: z.literal('lines'), ids: z.array(uuid).min(1).max(100) }),
  z.object({ type: z.literal('groups'), ids: z.array(uuid).min(1).max(100) }),
  z.object({ type: z.literal('lists'), ids: z.array(uuid).min(1).max(100) }),
  /** Campaigns are workflows: matches events whose `workflowId` (or activation's workflow) is listed. */
  z.object({ type: z.literal('campaigns'), ids: z.array(uuid).min(1).max(100) }),
]);
export type Scope = z.infer<typeof scopeSchema>;

const offset = {
  days: z.number().int().min(0).max(3650).default(0),
  hours: z.number().int().min(0).max(1000).default(0),
  minutes: z.number().int().min(0).max(100_000).default(0),
};
export const timingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('immediate') }),
  z.object({ type: z.literal('delay'), ...offset }).refine((t) => t.days + t.hours + t.minutes > 0, { message: 'give a delay greater than zero', path: ['minutes'] }),
  z.object({ type: z.literal('relative'), field: fieldPath, direction: z.enum(['before', 'after']).default('after'), ...offset }),
]);
export type Timing = z.infer<typeof timingSchema>;

const common = {
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, _ or -').optional(),
  name: z.string().max(200).optional(),
  active: z.boolean().default(true),
  timing: timingSchema.default({ type: 'immediate' }),
  /** Overrides the rule's window for this action. */
  window: windowName.optional(),
  skipIfLiveCall: z.boolean().default(false),
};
const message = z.string().trim().min(1, 'may not be empty');

/**
 * Who a callback connects the contact to: calls leave from `lineId` (its number is the caller ID
 * the agent and the contact see); the agents are `agentNumber`, or `agentGroupId`'s on-duty members
 * with a phone (rung one after another), or else the tracking line's `forwardTo` numbers.
 */
const callbackTarget = {
  lineId: uuid,
  agentGroupId: uuid.optional(),
  agentNumber: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567').optional(),
  /** Spoken to the agent who answers, before the contact is dialled; `{{contact.name}}`-style fields. */
  whisper: z.string().trim().min(1, 'may not be empty').max(500).default('Callback to {{contact.name}}.'),
};

export const ruleActionSchema = z.discriminatedUnion('type', [
  z.object({
    ...common, type: z.literal('http'),
    method: z.enum(['GET', 'POST']).default('POST'),
    url: z.url({ error: 'must be a URL' }).max(2000).refine((u) => u.startsWith('https://'), 'must start with https://'),
    /** Write-only: stored encrypted, shown as `authorizationSet: true`. */
    authorization: z.string().min(1).max(2000).optional(),
    body: z.string().max(20_000).optional(),
  }),
  z.object({ ...common, type: z.literal('email'), subject: z.string().trim().min(1).max(200), message: message.max(20_000) }),
  /** `message` may be longer than 1,600 as written: its length without `{{fields}}` is checked on save (sms-text.ts). */
  z.object({ ...common, type: z.literal('sms'), message: message.max(4000), lineId: uuid.optional() }),
  z.object({ ...common, type: z.literal('voice'), message: message.max(4000), lineId: uuid.optional() }),
  z.object({ ...common, type: z.literal('move_to_list'), listId: uuid, removeFromOthers: z.boolean().default(true) }),
  z.object({ ...common, type: z.literal('change_status'), status: z.string().trim().min(1).max(64) }),
  z.object({
    ...common, type: z.literal('update_field'),
    field: fieldPath,
    operation: z.enum(['set', 'copy', 'add', 'subtract', 'stamp_now']),
    value: z.union([z.string().max(2000), z.number(), z.boolean()]).optional(),
    from: fieldPath.optional(),
  }),
  z.object({ ...common, type: z.literal('add_to_dnc') }),
  z.object({
    ...common, type: z.literal('log_revenue'),
    amount: z.number().min(-1e11).max(1e11).optional(),
    /** Take the amount from the event or contact instead (`event.amount`). */
    amountField: fieldPath.optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code').default('USD'),
    note: z.string().max(500).default(''),
  }),
  z.object({ ...common, type: z.literal('schedule_callback'), ...callbackTarget }),
  z.object({ ...common, type: z.literal('place_call'), ...callbackTarget }),
  z.object({
    ...common, type: z.literal('update_callback'),
    operation: z.enum(['move', 'cancel']),
    /** A callback id, or `event.callbackId` (a rule on callback.* events); absent: the contact's next scheduled callback. */
    callbackId: z.union([uuid, z.literal('event.callbackId')]).optional(),
    /** move: the new time, counted from when the action runs. */
    moveBy: z.object(offset).refine((t) => t.days + t.hours + t.minutes > 0, { message: 'give a delay greater than zero', path: ['minutes'] }).optional(),
  }),
  z.object({
    ...common, type: z.literal('activate_workflow'),
    workflowId: uuid,
    /** `[[placeholder]]` values; may use `{{contact.name}}`-style fields. */
    placeholders: z.record(z.string(), z.string().max(2000)).default({}),
  }),
  /** Puts the contact in a sequence (once: already enrolled is a logged no-op); a paused or archived sequence refuses. */
  z.object({
    ...common, type: z.literal('enroll_sequence'),
    sequenceId: uuid,
    /** The sequence's `[[placeholder]]` values; may use `{{contact.name}}`-style fields. */
    placeholders: z.record(z.string(), z.string().max(2000)).default({}),
  }),
  /** Takes the contact out of the sequence (not enrolled: a logged no-op). */
  z.object({ ...common, type: z.literal('unenroll_sequence'), sequenceId: uuid }),
]);
export type RuleActionInput = z.infer<typeof ruleActionSchema>;
export type RuleActionType = RuleActionInput['type'];
/** Stored form: every action has an id; an http authorization is sealed. */
export type RuleAction = (RuleActionInput extends infer A ? (A extends unknown ? Omit<A, 'id' | 'authorization'> : never) : never) & {
  id: string;
  authorizationSealed?: string;
};

export const stopIfSchema = z.object({
  statuses: z.array(z.string().trim().min(1).max(64)).max(50).default([]),
  /** Stop when the contact reaches one of the account's final statuses (settings.finalStatuses). */
  finalStatus: z.boolean().default(false),
  /** Stop when the contact matches all of these (contact fields only). */
  conditions: z.array(conditionSchema).max(20).default([]),
}).refine((s) => s.statuses.length > 0 || s.finalStatus || s.conditions.length > 0, 'give statuses, finalStatus or conditions');
export type StopIf = z.infer<typeof stopIfSchema>;

export const eventTypeSchema = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'must be a dotted lower-case name such as call.ended');

export const ruleInputSchema = z.object({
  name: z.string().trim().min(1, 'may not be empty').max(200),
  eventType: eventTypeSchema,
  enabled: z.boolean().default(true),
  scope: scopeSchema.default({ type: 'account' }),
  conditions: z.array(conditionSchema).max(30).default([]),
  actions: z.array(ruleActionSchema).min(1, 'add at least one action').max(20),
  rolloutPercent: z.number().int().min(0).max(100).default(100),
  skipIfPending: z.boolean().default(false),
  stopIf: stopIfSchema.nullish(),
  window: windowName.default('always'),
}).strict();
export type RuleInput = z.infer<typeof ruleInputSchema>;
const S = ruleInputSchema.shape;
/**
 * PATCH body: only the fields sent change. No defaults here (zod applies a default inside
 * `.partial()`, so `{ name }` alone would reset conditions, scope and enabled to the create defaults).
 */
export const rulePatchSchema = z.object({
  name: S.name.optional(), eventType: S.eventType.optional(), enabled: S.enabled.unwrap().optional(), scope: S.scope.unwrap().optional(),
  conditions: S.conditions.unwrap().optional(), actions: S.actions.optional(), rolloutPercent: S.rolloutPercent.unwrap().optional(),
  skipIfPending: S.skipIfPending.unwrap().optional(), stopIf: S.stopIf, window: S.window.unwrap().optional(),
}).strict();
export type RulePatch = z.infer<typeof rulePatchSchema>;

export type Rule = {
  id: string;
  accountId: string;
  name: string;
  eventType: string;
  enabled: boolean;
  scope: Scope;
  conditions: Condition[];
  actions: RuleAction[];
  rolloutPercent: number;
  skipIfPending: boolean;
  stopIf: StopIf | null;
  window: ScheduleWindow;
  loopCount: number;
  disabledReason: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** Actions that touch only PostgreSQL (run in one transaction with their log entry). */
export const localActionTypes = new Set<RuleActionType>(['move_to_list', 'change_status', 'update_field', 'add_to_dnc', 'log_revenue']);
/** Actions that book, place or change callbacks (src/rules/callback-actions.ts). */
export const callbackActionTypes = new Set<RuleActionType>(['schedule_callback', 'place_call', 'update_callback']);
/** Actions that reach a person or another system. */
export const sendActionTypes = new Set<RuleActionType>(['http', 'email', 'sms', 'voice']);
/** Actions that enroll the contact in a sequence or take it out (src/rules/sequence-actions.ts). */
export const sequenceActionTypes = new Set<RuleActionType>(['enroll_sequence', 'unenroll_sequence']);
