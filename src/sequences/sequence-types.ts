import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors.js';

/**
 * The zod definition of a sequence version: steps on a timeline (send, delay, branch) and exit
 * conditions for the whole sequence. Pure: no I/O.
 */
const stepId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, _ or -');
const uuid = z.uuid({ error: 'must be a UUID' });

export const durationUnits = ['minutes', 'hours', 'days', 'weeks'] as const;
export const durationSchema = z.object({
  amount: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'may not be negative').max(10_000, 'at most 10000'),
  unit: z.enum(durationUnits, { error: 'must be minutes, hours, days or weeks' }),
});
export type Duration = z.infer<typeof durationSchema>;

const scalar = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
export const fieldOps = ['eq', 'neq', 'in', 'not_in', 'exists', 'not_exists', 'contains', 'gt', 'gte', 'lt', 'lte'] as const;

/**
 * A contact field rule. `field`: `status`, `name`, `email`, `phone`, `timezone`, `onDuty`,
 * `doNotContact`, `optedOut.<channel>` (true when opted out of that channel) or `custom.<key>`.
 */
export const fieldConditionSchema = z.object({
  type: z.literal('field'),
  field: z.string().regex(/^(status|name|email|phone|timezone|onDuty|doNotContact|optedOut\.(sms|email|voice|push)|custom\.[A-Za-z0-9_.-]{1,64})$/,
    'must be status, name, email, phone, timezone, onDuty, doNotContact, optedOut.<channel> or custom.<key>'),
  op: z.enum(fieldOps).default('eq'),
  value: z.union([scalar, z.array(scalar).max(100)]).optional(),
});

/** Any event of `eventType` for the contact (`invoice.paid` posted to /v1/events…); `match` filters `data`. */
export const eventConditionSchema = z.object({
  type: z.literal('event'),
  eventType: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted event type such as invoice.paid').max(100),
  match: z.record(z.string(), scalar).optional(),
});

/** The contact texted back (optionally: a reply containing `contains`, case-insensitive). */
export const repliedConditionSchema = z.object({ type: z.literal('replied'), contains: z.string().trim().min(1).max(100).optional() });
/** The contact pressed a key on a sequence call (`digits`: a specific key). */
export const keyPressedConditionSchema = z.object({ type: z.literal('key_pressed'), digits: z.string().regex(/^[0-9*#]{1,10}$/, 'must be keypad digits').optional() });
/** The contact answered a poll (`option`: a specific 1-based option number; `answer`: its text). */
export const pollAnsweredConditionSchema = z.object({
  type: z.literal('poll_answered'),
  option: z.number().int().min(1).max(9).optional(),
  answer: z.string().trim().min(1).max(100).optional(),
});
/** The contact opted out (of one channel, or of any) or is marked do-not-contact. */
export const optedOutConditionSchema = z.object({ type: z.literal('opted_out'), channel: z.enum(['sms', 'email', 'voice', 'push']).optional() });

/**
 * The contact opened (`email_opened`) or clicked a link in (`email_clicked`) an e-mail this
 * enrollment sent (the account must track opens/clicks: settings.emailTracking). In a branch:
 * the e-mail of `step` (a send step with channel email), by default the step the branch looks
 * back to (`since`, else the latest send step before it); in exits: any e-mail of the enrollment.
 * `ignoreMachineOpens`: an open an image proxy made (Apple Mail Privacy Protection, Google's
 * image proxy…: `machineOpen` on the event) does not count.
 */
const emailEngagement = { step: stepId.optional(), ignoreMachineOpens: z.boolean({ error: 'must be true or false' }).default(false) };
export const emailOpenedConditionSchema = z.object({ type: z.literal('email_opened'), ...emailEngagement });
export const emailClickedConditionSchema = z.object({ type: z.literal('email_clicked'), ...emailEngagement });

export const conditionSchema = z.discriminatedUnion('type', [
  fieldConditionSchema, eventConditionSchema, repliedConditionSchema, keyPressedConditionSchema, pollAnsweredConditionSchema, optedOutConditionSchema,
  emailOpenedConditionSchema, emailClickedConditionSchema,
], { error: 'must be one of field, event, replied, key_pressed, poll_answered, opted_out, email_opened, email_clicked' });
export type Condition = z.infer<typeof conditionSchema>;
export type FieldCondition = z.infer<typeof fieldConditionSchema>;

const text = (max: number) => z.string().trim().min(1, 'may not be empty').max(max);

export const sendSchema = z.discriminatedUnion('channel', [
  /** `message`: its length without `{{fields}}` and `[[placeholders]]` is checked on save (sequence-service.ts). */
  z.object({ channel: z.literal('sms'), lineId: uuid.optional(), message: text(4000) }),
  z.object({ channel: z.literal('email'), subject: text(200), message: text(20_000) }),
  z.object({ channel: z.literal('voice'), lineId: uuid.optional(), message: text(4000) }),
  z.object({
    channel: z.literal('webhook'),
    method: z.enum(['POST', 'GET']).default('POST'),
    url: z.url({ error: 'must be a URL' }).max(2000).refine((u) => u.startsWith('https://'), 'must start with https://'),
    /** Write-only: sealed at rest, shown as `authorizationSet`; omitted on update keeps it, null clears it. */
    authorization: z.string().min(1).max(2000).nullish(),
    body: z.string().max(20_000).optional(),
  }),
], { error: 'must be sms, email, voice or webhook' });
export type SendSpec = z.infer<typeof sendSchema>;

/** Where a branch goes: a later step's id, `next` (the following step) or `end` (complete). */
const target = z.string().regex(/^([A-Za-z0-9_-]{1,40})$/, 'must be a step id, next or end');

export const sendStepSchema = z.object({ id: stepId.optional(), type: z.literal('send'), name: z.string().max(200).optional(), send: sendSchema });
export const delayStepSchema = z.object({ id: stepId.optional(), type: z.literal('delay'), name: z.string().max(200).optional(), delay: durationSchema });
export const branchStepSchema = z.object({
  id: stepId.optional(),
  type: z.literal('branch'),
  name: z.string().max(200).optional(),
  branch: z.object({
    condition: conditionSchema,
    /** Look at what happened since this step last ran (default: since this enrollment started). */
    since: stepId.optional(),
    /** Wait up to this long for the condition (events wake the enrollment early); absent: decide at once. */
    within: durationSchema.optional(),
    then: target.default('next'),
    else: target.default('next'),
  }),
});

/** Flags the contact: sets its status and/or custom fields (e.g. `collections: true`). */
export const updateContactStepSchema = z.object({
  id: stepId.optional(),
  type: z.literal('update_contact'),
  name: z.string().max(200).optional(),
  update: z.object({
    status: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be 1–40 lower-case letters, digits, _ or -').optional(),
    fields: z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'custom field names are 1–64 letters, digits or _'), scalar).optional(),
  }).refine((u) => u.status !== undefined || (u.fields && Object.keys(u.fields).length > 0), 'set a status or at least one field'),
});

export const stepSchema = z.discriminatedUnion('type', [sendStepSchema, delayStepSchema, branchStepSchema, updateContactStepSchema], {
  error: 'must be send, delay, branch or update_contact',
});

export const sequenceInputSchema = z.object({
  name: text(200),
  description: z.string().max(2000).default(''),
  allowReenrollment: z.boolean().default(false),
  /** Default line for SMS and voice steps that name none. */
  lineId: uuid.optional(),
  steps: z.array(stepSchema).min(1, 'add at least one step').max(100, 'at most 100 steps'),
  /** Any of these ends the whole sequence for the contact (job booked, invoice paid, opted out…). */
  exits: z.array(conditionSchema).max(20).default([]),
});
export type SequenceInput = z.infer<typeof sequenceInputSchema>;
export type Step = z.infer<typeof stepSchema>;
export type SendStep = z.infer<typeof sendStepSchema>;
export type BranchStep = z.infer<typeof branchStepSchema>;
export type UpdateContactStep = z.infer<typeof updateContactStepSchema>;

/** The stored, immutable definition of one version: every step has an id. */
export type SequenceDefinition = Omit<SequenceInput, 'name' | 'description' | 'allowReenrollment' | 'steps'> & {
  steps: Array<Step & { id: string }>;
};

/**
 * The step whose e-mail an `email_opened`/`email_clicked` branch at `index` waits on: `named`
 * (the condition's `step`, else the branch's `since`), else the latest send step before it.
 * It must be an earlier send step on the e-mail channel.
 */
export const emailStepOf = (
  steps: ReadonlyArray<Step & { id: string }>, index: number, named: string | undefined,
): { ok: true; stepId: string } | { ok: false; message: string } => {
  const at = named === undefined
    ? steps.slice(0, index).map((s) => s.type).lastIndexOf('send')
    : steps.findIndex((s) => s.id === named);
  const st = at >= 0 && at < index ? steps[at] : undefined;
  if (!st) return { ok: false, message: named === undefined ? 'no send step comes before this branch: name the e-mail step' : 'must name an earlier e-mail send step' };
  if (st.type !== 'send' || st.send.channel !== 'email') return { ok: false, message: `step ${st.id} does not send an e-mail` };
  return { ok: true, stepId: st.id };
};

/**
 * Gives every step an id (`s1`, `s2`… when absent) and checks references: ids unique, branch
 * targets and `since` name existing steps, and branches only jump forward (no loops, so an
 * enrollment always finishes). Throws ValidationError naming the field (`steps.2.branch.then`).
 */
export const normalizeDefinition = (input: Pick<SequenceInput, 'steps' | 'exits' | 'lineId'>): SequenceDefinition => {
  const issues: FieldIssue[] = [];
  const taken = new Set(input.steps.map((s) => s.id).filter(Boolean) as string[]);
  const seen = new Map<string, number>();
  let n = 0;
  const steps = input.steps.map((s, i) => {
    let id = s.id;
    if (!id) {
      do id = `s${++n}`; while (taken.has(id));
      taken.add(id);
    }
    if (id === 'next' || id === 'end') issues.push({ path: `steps.${i}.id`, message: 'next and end are reserved' });
    if (seen.has(id)) issues.push({ path: `steps.${i}.id`, message: `repeats the id of step ${seen.get(id)}` });
    seen.set(id, i);
    return { ...s, id };
  });
  steps.forEach((s, i) => {
    if (s.type !== 'branch') return;
    for (const key of ['then', 'else'] as const) {
      const t = s.branch[key];
      if (t === 'next' || t === 'end') continue;
      const at = seen.get(t);
      if (at === undefined) issues.push({ path: `steps.${i}.branch.${key}`, message: `no step has the id ${t}` });
      else if (at <= i) issues.push({ path: `steps.${i}.branch.${key}`, message: 'must point to a later step (sequences may not loop)' });
    }
    const since = s.branch.since;
    if (since !== undefined) {
      const at = seen.get(since);
      if (at === undefined) issues.push({ path: `steps.${i}.branch.since`, message: `no step has the id ${since}` });
      else if (at >= i) issues.push({ path: `steps.${i}.branch.since`, message: 'must name an earlier step' });
    }
    const c = s.branch.condition;
    if (c.type === 'email_opened' || c.type === 'email_clicked') {
      const named = emailStepOf(steps, i, c.step ?? since);
      if (!named.ok) issues.push({ path: `steps.${i}.branch.condition.step`, message: named.message });
    }
  });
  input.exits.forEach((c, j) => {
    if ((c.type === 'email_opened' || c.type === 'email_clicked') && c.step !== undefined) {
      const at = seen.get(c.step);
      const st = at === undefined ? undefined : steps[at];
      if (!st || st.type !== 'send' || st.send.channel !== 'email') issues.push({ path: `exits.${j}.step`, message: 'must name an e-mail send step' });
    }
  });
  if (issues.length > 0) throw new ValidationError(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);
  return { lineId: input.lineId, steps, exits: input.exits };
};

export const durationMs = (d: Duration): number =>
  d.amount * { minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 }[d.unit];

/** `[[placeholders]]` every send step uses: enrollment must supply them. */
export const definitionTexts = (def: SequenceDefinition): string[] =>
  def.steps.flatMap((s) => {
    if (s.type !== 'send') return [];
    const x = s.send;
    return x.channel === 'email' ? [x.subject, x.message] : x.channel === 'webhook' ? [x.body ?? '', x.url] : [x.message];
  });
