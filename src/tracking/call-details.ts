/**
 * A tracked call as people read it: the template fields of an SMS to the caller, the owners'
 * e-mail and the webhook's JSON body. Pure: the evaluator loads the data.
 */
import { DateTime } from 'luxon';
import { fillFields } from '../templates/templates.js';
import type { TrackedCall } from './tracked-calls-repo.js';

export type CallDetails = {
  call: TrackedCall;
  line: { id: string | null; name: string; number: string | null };
  contact: { id: string; name: string } | null;
  timezone: string;
};

const fmtDuration = (s: number): string => (s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`);

/** The call's start in the account's time zone, e.g. `2025-03-14 09:05 (Europe/Paris)`. */
export const localTime = (d: CallDetails): string => {
  const dt = DateTime.fromJSDate(d.call.startedAt, { zone: d.timezone });
  return dt.isValid ? dt.toFormat('yyyy-LL-dd HH:mm') : DateTime.fromJSDate(d.call.startedAt, { zone: 'utc' }).toFormat('yyyy-LL-dd HH:mm');
};

/** `{{fields}}` of SMS templates and activation placeholders. */
export const templateFields = (d: CallDetails): Record<string, string | number> => ({
  caller: d.call.caller,
  duration: d.call.talkSeconds ?? 0,
  source: d.call.source,
  campaign: d.call.source,
  line: d.line.name || d.line.number || '',
  line_number: d.line.number ?? '',
  time: localTime(d),
  outcome: d.call.outcome ?? '',
  reason: d.call.endReason ?? '',
  recording_url: d.call.recordingUrl ?? '',
  contact_name: d.contact?.name ?? '',
  // The website session (Dynamic Number Insertion); empty for calls to a number not shown by the snippet.
  utm_source: d.call.visitor?.utmSource ?? '',
  utm_medium: d.call.visitor?.utmMedium ?? '',
  utm_campaign: d.call.visitor?.utmCampaign ?? '',
  referrer: d.call.visitor?.referrerHost ?? '',
  landing_page: d.call.visitor?.landingPage ?? '',
});

export const renderSms = (template: string, d: CallDetails): string => fillFields(template, templateFields(d));

/** The call as JSON (webhook body, log detail). Times in ISO 8601 UTC. */
export const callJson = (d: CallDetails) => ({
  id: d.call.callId,
  callSid: d.call.providerCallId,
  caller: d.call.caller,
  contact: d.contact,
  line: d.line,
  source: d.call.source,
  outcome: d.call.outcome,
  endReason: d.call.endReason,
  talkSeconds: d.call.talkSeconds ?? 0,
  answeredBy: d.call.answeredNumber,
  forwardedTo: d.call.numbers,
  ringStrategy: d.call.strategy,
  recordingUrl: d.call.recordingUrl,
  startedAt: d.call.startedAt.toISOString(),
  answeredAt: d.call.answeredAt?.toISOString() ?? null,
  endedAt: d.call.endedAt?.toISOString() ?? null,
  visitor: d.call.visitor ?? null,
});

export const webhookBody = (d: CallDetails, wf: { id: string; name: string }): string =>
  JSON.stringify({ event: `call.${d.call.outcome}`, workflow: wf, call: callJson(d) });

/** The owners' e-mail: every detail of the call, plain text. */
export const ownerEmail = (d: CallDetails, wf: { name: string }, subject?: string): { subject: string; text: string } => {
  const c = d.call;
  const who = d.contact ? `${d.contact.name} (${c.caller})` : c.caller || 'withheld number';
  const what = c.outcome === 'answered' ? 'Answered call' : 'Missed call';
  const lines = [
    `${what} from ${who} on ${d.line.name || d.line.number || 'a tracking line'} (${c.source}).`,
    '',
    `Caller: ${c.caller || 'withheld'}`,
    ...(d.contact ? [`Contact: ${d.contact.name}`] : []),
    `Source / campaign: ${c.source}`,
    `Tracking line: ${[d.line.name, d.line.number].filter(Boolean).join(' ')}`,
    `Time: ${localTime(d)} (${d.timezone})`,
    `Outcome: ${c.outcome}${c.outcome === 'missed' ? ` (${c.endReason})` : ''}`,
    `Talk time: ${fmtDuration(c.talkSeconds ?? 0)}`,
    ...(c.answeredNumber ? [`Answered by: ${c.answeredNumber}`] : []),
    `Forwarded to: ${c.numbers.join(', ')} (${c.strategy})`,
    ...(c.recordingUrl ? [`Recording: ${c.recordingUrl}`] : []),
    `Call SID: ${c.providerCallId}`,
    '',
    `Sent by the post-call workflow "${wf.name}".`,
  ];
  return { subject: subject ? fillFields(subject, templateFields(d)) : `${what} from ${c.caller || 'withheld number'} (${c.source})`, text: lines.join('\n') };
};
