/**
 * Pure planning: one action's recipients x channels -> delivery rows, with every skip and its
 * reason. No I/O; the planner gathers contacts, the sending line and the rendered texts.
 */
import type { PlannedDelivery } from './deliveries-repo.js';
import type {
  ConferencePayload, EmailPayload, PagerPayload, PushPayload, SmsFallbackRow, SmsPayload, VoicePayload, WebhookPayload,
} from './delivery-payloads.js';
import type { PushCapability } from './notification-extras-port.js';
import { composeNotification, fitValue, pollText } from '../templates/sms-text.js';
import { render } from '../templates/templates.js';
import type { ConferenceAction, NotificationAction, PagerAction, StoredAction, StoredWebhookAction } from '../workflows/workflow-types.js';

export type PlanContact = {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  pagerNumber: string | null;
  pushToken: string | null;
  /** Web Push subscriptions (devices) of the contact. */
  pushDevices?: number;
  optedOutChannels: string[];
  doNotContact: boolean;
  customFields: Record<string, unknown>;
};

export type SendingLine = { id: string; phoneNumber: string };

/** What is fixed for the whole activation. */
export type PlanScope = {
  activationId: string;
  workflowName: string;
  placeholders: Record<string, string>;
  inboundMessage: string | null;
  recordingUrl: string | null;
};

/** What was computed once for the action (prompt, attachment link, poll). */
export type ActionExtras = {
  promptOutput: string | null;
  promptError: string | null;
  attachmentUrl: string | null;
  pollId: string | null;
};

export const noExtras: ActionExtras = { promptOutput: null, promptError: null, attachmentUrl: null, pollId: null };

/** `{{fields}}` Switchboard fills: the activation's own, then the contact's custom fields. */
export const fieldsFor = (scope: PlanScope, extras: ActionExtras, contact?: PlanContact | null): Record<string, string | null> => {
  const custom: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(contact?.customFields ?? {})) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) custom[k] = v === null ? null : String(v);
  }
  return {
    ...custom,
    contact_name: contact?.name ?? null,
    workflow_name: scope.workflowName,
    activation_uuid: scope.activationId,
    recording_url: scope.recordingUrl,
    inbound_message: scope.inboundMessage,
    prompt_output: extras.promptOutput,
  };
};

const conferenceName = (activationId: string, actionId: string) => `switchboard-${activationId}-${actionId}`;

export { pollText };

/**
 * A notification's text message, within the carrier's limit (SMS_MAX_CHARS): when too long, what
 * the texter wrote (`{{inbound_message}}`) is shortened with '…', then the prompt's output; the
 * workflow's own words, the attachment link and the poll are kept whole (their length is checked
 * when the workflow is saved and activated). `shortened` names what was cut. Anything still too
 * long (long contact fields) is refused by the sender (`text_too_long`), never sent.
 */
export const smsText = (
  a: NotificationAction, scope: PlanScope, fields: Record<string, string | null>, extras: ActionExtras,
): { body: string; shortened: string[] } => {
  const prompt = a.prompt?.appendToMessage !== false ? extras.promptOutput : null;
  const build = (inbound: string | null, promptOutput: string | null) => composeNotification({
    text: render(a.message, scope.placeholders, { ...fields, inbound_message: inbound }),
    promptOutput, attachmentUrl: extras.attachmentUrl, poll: a.poll,
  });
  const shortened: string[] = [];
  let inbound = scope.inboundMessage;
  if (inbound) {
    const fit = fitValue((v) => build(v, null), inbound); // the texter's words before the prompt's
    if (fit !== inbound) shortened.push('inbound_message');
    inbound = fit;
  }
  let promptOut = prompt;
  if (promptOut) {
    const fit = fitValue((v) => build(inbound, v || null), promptOut);
    if (fit !== promptOut) shortened.push('prompt_output');
    promptOut = fit || null;
  }
  return { body: build(inbound, promptOut), shortened };
};

type Skip = string | null;
const skipFor = (c: PlanContact, channel: string, address: string | null, missing: string): Skip => {
  if (c.doNotContact) return 'do_not_contact';
  if (c.optedOutChannels.includes(channel)) return `opted_out_${channel}`;
  if (!address) return missing;
  return null;
};

const row = (actionId: string, c: PlanContact, channel: PlannedDelivery['channel'], address: string | null, skip: Skip, payload: object, meta: Record<string, unknown>): PlannedDelivery => ({
  actionId, recipientKey: c.id, contactId: c.id, channel, address,
  status: skip ? 'skipped' : 'pending', skipReason: skip, payload: skip ? {} : (payload as Record<string, unknown>), meta,
});

/** A notification: each channel per person; push falls back to SMS when no push is possible. */
export const planNotification = (
  a: NotificationAction & { id: string }, contacts: PlanContact[], scope: PlanScope, extras: ActionExtras,
  line: SendingLine | null, push: PushCapability | undefined,
): PlannedDelivery[] => {
  const rows = new Map<string, PlannedDelivery>();
  const add = (r: PlannedDelivery) => {
    const key = `${r.recipientKey}/${r.channel}`;
    // A real channel row wins over a push fallback for the same person and channel.
    if (!rows.has(key) || (rows.get(key)!.meta.fallbackFrom && !r.meta.fallbackFrom)) rows.set(key, r);
  };
  const notes = extras.promptError ? { promptError: extras.promptError } : {};
  for (const c of contacts) {
    const fields = fieldsFor(scope, extras, c);
    // Rendered when a channel needs them, once per contact: a text-only fan-out renders each
    // contact's message once (in smsText), not three more times for texts it never uses.
    let parts: Parameters<typeof composeNotification>[0] | undefined;
    const partsOf = () => (parts ??= {
      text: render(a.message, scope.placeholders, fields),
      promptOutput: a.prompt?.appendToMessage !== false ? extras.promptOutput : null,
      attachmentUrl: extras.attachmentUrl,
    });
    let textOnce: string | undefined;
    let withPollOnce: string | undefined;
    let subjectOnce: string | undefined;
    const text = () => (textOnce ??= composeNotification(partsOf()));
    const withPoll = () => (withPollOnce ??= composeNotification({ ...partsOf(), poll: a.poll }));
    const subject = () => (subjectOnce ??= render(a.subject ?? scope.workflowName, scope.placeholders, fields));
    const smsRow = (meta: Record<string, unknown>) => {
      const skip = skipFor(c, 'sms', c.phone, 'no_phone') ?? (line ? null : 'no_sending_line');
      const fitted = skip ? null : smsText(a, scope, fields, extras); // a skipped row keeps no payload
      const payload: SmsPayload = { body: fitted?.body ?? '', lineId: line?.id ?? '', from: line?.phoneNumber ?? '' };
      const cut = fitted?.shortened.length ? { shortened: fitted.shortened } : {};
      return row(a.id, c, 'sms', c.phone, skip, payload, { ...notes, ...cut, ...meta });
    };
    const sms = (meta: Record<string, unknown>) => add(smsRow(meta));
    for (const channel of a.channels) {
      if (channel === 'sms') sms({});
      else if (channel === 'email') {
        const payload: EmailPayload = { subject: subject(), text: withPoll() };
        add(row(a.id, c, 'email', c.email, skipFor(c, 'email', c.email, 'no_email'), payload, notes));
      } else if (channel === 'voice') {
        const skip = skipFor(c, 'voice', c.phone, 'no_phone') ?? (line ? null : 'no_sending_line');
        const payload: VoicePayload = {
          text: text(), lineId: line?.id ?? '', from: line?.phoneNumber ?? '',
          ...(a.poll && extras.pollId ? { pollId: extras.pollId, pollQuestion: a.poll.question, pollOptions: a.poll.options } : {}),
        };
        add(row(a.id, c, 'voice', c.phone, skip, payload, notes));
      } else if (channel === 'push') {
        const pushSkip = c.doNotContact ? 'do_not_contact' : c.optedOutChannels.includes('push') ? 'opted_out_push' : null;
        if (pushSkip) add(row(a.id, c, 'push', c.pushToken, pushSkip, {}, notes));
        else if (push?.canPush({ id: c.id, pushToken: c.pushToken, customFields: c.customFields, pushDevices: c.pushDevices ?? 0 })) {
          // The SMS it becomes if the push fails at send time (planned now: same text, same line).
          const smsFallback = smsRow({ fallbackFrom: 'push' }) as SmsFallbackRow;
          const poll = a.poll && extras.pollId ? { pollId: extras.pollId, pollQuestion: a.poll.question, pollOptions: a.poll.options } : {};
          // A poll travels as data (the notification's buttons), not as "reply with a number" text.
          const payload: PushPayload = { title: subject(), body: a.poll && extras.pollId ? text() : withPoll(), contactId: c.id, ...poll, smsFallback };
          add(row(a.id, c, 'push', c.pushToken, null, payload, notes));
        } else sms({ fallbackFrom: 'push' });
      }
    }
  }
  return [...rows.values()];
};

export const planConference = (
  a: ConferenceAction & { id: string }, contacts: PlanContact[], scope: PlanScope, line: SendingLine | null, round = 1,
): PlannedDelivery[] =>
  contacts.map((c) => {
    const skip = skipFor(c, 'voice', c.phone, 'no_phone') ?? (line ? null : 'no_sending_line');
    const payload: ConferencePayload = {
      intro: render(a.intro, scope.placeholders, fieldsFor(scope, noExtras, c)),
      lineId: line?.id ?? '', from: line?.phoneNumber ?? '', conferenceName: conferenceName(scope.activationId, a.id), round,
    };
    const r = row(a.id, c, 'conference', c.phone, skip, payload, round > 1 ? { round } : {});
    return round > 1 ? { ...r, recipientKey: `retry-${c.id}` } : r;
  });

export const planPager = (a: PagerAction & { id: string }, contacts: PlanContact[], line: SendingLine | null): PlannedDelivery[] =>
  contacts.map((c) => {
    const skip = c.doNotContact ? 'do_not_contact' : !c.pagerNumber ? 'no_pager_number' : line ? null : 'no_sending_line';
    const payload: PagerPayload = { digits: a.message, lineId: line?.id ?? '', from: line?.phoneNumber ?? '' };
    return row(a.id, c, 'pager', c.pagerNumber, skip, payload, {});
  });

/** One request per activation; `{{fields}}` and `[[placeholders]]` are JSON-escaped into the body. */
export const planWebhook = (a: StoredWebhookAction & { id: string }, scope: PlanScope, extras: ActionExtras): PlannedDelivery => {
  const fields = fieldsFor(scope, extras, null);
  const payload: WebhookPayload = {
    method: a.method,
    url: a.url,
    body: a.body ? render(a.body, scope.placeholders, fields, 'json') : null,
    authorizationSealed: a.authorizationSealed ?? null,
  };
  return {
    actionId: a.id, recipientKey: 'webhook', contactId: null, channel: 'webhook', address: a.url, status: 'pending', skipReason: null,
    payload: payload as unknown as Record<string, unknown>, meta: extras.promptError ? { promptError: extras.promptError } : {},
  };
};

/** Groups an action reaches (webhooks reach none). */
export const actionGroups = (a: StoredAction): { groupIds: string[]; includeOffDuty: boolean } | null =>
  a.type === 'webhook' ? null : { groupIds: a.groupIds, includeOffDuty: a.includeOffDuty };
