/**
 * `POST /v1/tracking-workflows/preview`: an SMS-to-caller template rendered exactly as a real
 * post-call run renders it (call-details `renderSms`), on a sample call: a made-up caller on the
 * chosen (or first) tracking line, now, in the account's time zone. Writes nothing.
 */
import type { Db } from '../db/db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { smsLength, SMS_MAX_CHARS } from '../templates/sms-text.js';
import { findFields } from '../templates/templates.js';
import { renderSms, templateFields, type CallDetails } from './call-details.js';
import { forwardPlan } from './tracking-plan.js';
import type { TrackingPreviewRepo } from './tracking-preview-repo.js';
import type { TrackingTrigger } from './tracking-types.js';

export type SmsPreviewInput = { message: string; trigger: TrackingTrigger; lineId?: string };
export type SmsPreview = {
  text: string;
  length: number;
  /** Over SMS_MAX_CHARS the carrier refuses the text. */
  maxLength: number;
  /** `{{fields}}` that are not template fields: they come out empty. */
  unknownFields: string[];
  /** The sample values used, by field name. */
  sample: Record<string, string | number>;
};

export const SAMPLE_CALLER = '+14155550100';

/** A sample tracked call on `line` (ended now; answered after 42 s, or missed with no answer). */
export const sampleDetails = (trigger: TrackingTrigger, timezone: string, line: { id: string; name: string; phoneNumber: string; settings: Record<string, unknown> } | null, now = new Date()): CallDetails => {
  const plan = line ? forwardPlan(line) : null;
  const answered = trigger === 'answered';
  return {
    call: {
      callId: '00000000-0000-0000-0000-000000000000', accountId: '', lineId: line?.id ?? null, providerCallId: 'CA0000000000000000000000000000test',
      caller: SAMPLE_CALLER, calledNumber: line?.phoneNumber ?? null, contactId: null,
      source: plan?.source ?? (line ? line.name.trim() || line.phoneNumber : 'Spring mailer'), startedAt: now,
      numbers: plan?.numbers ?? [], strategy: plan?.strategy ?? 'sequential', ringTimeoutSeconds: plan?.ringTimeoutSeconds ?? 20, record: plan?.record ?? false,
      answeredAt: answered ? now : null, talkSeconds: answered ? 42 : 0, answeredNumber: answered ? plan?.numbers[0] ?? null : null,
      lastLegStatus: answered ? 'completed' : 'no-answer', recordingUrl: plan?.record && answered ? 'https://example.com/recordings/RE0000.mp3' : null,
      endedAt: now, outcome: trigger, endReason: answered ? 'completed' : 'no-answer', endedBy: 'dial-action',
    },
    line: { id: line?.id ?? null, name: line?.name ?? 'Sample line', number: line?.phoneNumber ?? '+14155550123' },
    contact: { id: '00000000-0000-0000-0000-000000000000', name: 'Alex Sample' },
    timezone,
  };
};

/** Renders `message` on the sample call; pure. */
export const previewSms = (message: string, d: CallDetails): SmsPreview => {
  const sample = templateFields(d);
  const unknownFields = findFields(message).filter((f) => !(f in sample));
  const text = renderSms(message, d);
  return { text, length: smsLength(text), maxLength: SMS_MAX_CHARS, unknownFields, sample };
};

export const createTrackingPreview = (deps: { db: Db; repo: Pick<TrackingPreviewRepo, 'loadPreviewContext'> }) => ({
  /** 400 naming `lineId` when the line is not the account's. */
  async sms(accountId: string, input: SmsPreviewInput): Promise<SmsPreview> {
    const ctx = await deps.repo.loadPreviewContext(deps.db, accountId, input.lineId);
    if (!ctx) throw new NotFoundError('account');
    if (input.lineId && !ctx.line) throw new ValidationError('lineId: no such line in this account', [{ path: 'lineId', message: 'no such line in this account' }]);
    return previewSms(input.message, sampleDetails(input.trigger, ctx.timezone, ctx.line));
  },
});
export type TrackingPreview = ReturnType<typeof createTrackingPreview>;
