// Sequences in the API's own words: step kinds, channels, conditions, units, history kinds.
// One place, so the editor, the lists and the status pages say the same thing.

export const STEP_TYPES = [['send', 'Send'], ['delay', 'Delay'], ['branch', 'Branch'], ['update_contact', 'Update contact']];
export const CHANNELS = [['sms', 'SMS'], ['email', 'E-mail'], ['voice', 'Voice call'], ['webhook', 'Webhook']];
export const UNITS = [['minutes', 'minutes'], ['hours', 'hours'], ['days', 'days'], ['weeks', 'weeks']];
// The engine's conditions (src/sequences/sequence-types.ts). E-mail opens and clicks count only when the
// account tracks them (settings.emailTracking).
export const CONDITIONS = [
  ['replied', 'SMS reply (replied)'],
  ['key_pressed', 'Key press on a call (key_pressed)'],
  ['poll_answered', 'Poll answer (poll_answered)'],
  ['event', 'External event (event)'],
  ['field', 'Contact field value (field)'],
  ['opted_out', 'Opted out (opted_out)'],
  ['email_opened', 'Opened an e-mail (email_opened)'],
  ['email_clicked', 'Clicked a link in an e-mail (email_clicked)'],
];
export const FIELD_OPS = [['eq', 'equals (eq)'], ['neq', 'does not equal (neq)'], ['in', 'is one of (in)'], ['not_in', 'is none of (not_in)'],
  ['exists', 'is set (exists)'], ['not_exists', 'is not set (not_exists)'], ['contains', 'contains'], ['gt', '> (gt)'], ['gte', '≥ (gte)'],
  ['lt', '< (lt)'], ['lte', '≤ (lte)']];
export const OPT_CHANNELS = [['', 'any channel'], ['sms', 'SMS'], ['email', 'e-mail'], ['voice', 'voice'], ['push', 'push']];
export const ENROLLMENT_STATUSES = ['active', 'completed', 'exited', 'unenrolled', 'failed'];
export const HISTORY_KINDS = [
  ['enrolled', 'enrolled'], ['waiting', 'waiting'], ['deferred_quiet_hours', 'deferred (quiet hours)'], ['sent', 'sent'], ['skipped', 'skipped'],
  ['branch', 'branch'], ['contact_updated', 'contact updated'], ['completed', 'completed'], ['exited', 'exited'], ['unenrolled', 'unenrolled'],
  ['error', 'error'], ['failed', 'failed'],
];
export const WAITING = { ready: 'due now', delay: 'in a delay', branch: 'waiting for a condition', quiet_hours: 'held by quiet hours', retry: 'retrying', none: '—' };

const label = (pairs, v) => pairs.find(([k]) => k === v)?.[1] ?? v;
export const channelLabel = (c) => label(CHANNELS, c);
export const typeLabel = (t) => label(STEP_TYPES, t);

/** "SMS reply containing “yes”", "event invoice.paid", "field status eq won". */
export function conditionText(c) {
  if (!c) return '';
  switch (c.type) {
    case 'replied': return c.contains ? `SMS reply containing “${c.contains}”` : 'SMS reply';
    case 'key_pressed': return c.digits ? `pressed ${c.digits} on a call` : 'key press on a call';
    case 'poll_answered': return c.option ? `poll answered with option ${c.option}` : c.answer ? `poll answered “${c.answer}”` : 'poll answered';
    case 'event': return `event ${c.eventType ?? ''}`.trim();
    case 'field': return `field ${c.field ?? ''} ${c.op ?? 'eq'}${c.value === undefined ? '' : ` ${Array.isArray(c.value) ? c.value.join(', ') : c.value}`}`;
    case 'opted_out': return c.channel ? `opted out of ${c.channel}` : 'opted out';
    case 'email_opened': case 'email_clicked':
      return `${c.type === 'email_opened' ? 'opened' : 'clicked a link in'} ${c.step ? `the e-mail of step ${c.step}` : 'the e-mail'}${c.ignoreMachineOpens ? ' (machine opens ignored)' : ''}`;
    default: return c.type;
  }
}

const target = (t) => (t === 'end' ? 'end' : t === 'next' || !t ? 'next step' : `step ${t}`);

/** One line per step, e.g. "Send SMS: Hi…", "Delay 2 days", "Branch on SMS reply (wait up to 2 days): then step thanks, else next step". */
export function stepText(s) {
  const name = s.name ? `${s.name} — ` : '';
  if (s.type === 'send') {
    const x = s.send ?? {};
    const what = x.channel === 'email' ? x.subject : x.channel === 'webhook' ? x.url : x.message;
    return `${name}Send ${channelLabel(x.channel)}: ${String(what ?? '').slice(0, 80)}`;
  }
  if (s.type === 'delay') return `${name}Delay ${s.delay?.amount} ${s.delay?.unit}`;
  if (s.type === 'branch') {
    const b = s.branch ?? {};
    const within = b.within ? ` (wait up to ${b.within.amount} ${b.within.unit})` : '';
    return `${name}Branch on ${conditionText(b.condition)}${within}: then ${target(b.then)}, else ${target(b.else)}`;
  }
  if (s.type === 'update_contact') {
    const u = s.update ?? {};
    const parts = [u.status ? `status ${u.status}` : null, ...Object.entries(u.fields ?? {}).map(([k, v]) => `${k} = ${v}`)].filter(Boolean);
    return `${name}Update contact: ${parts.join(', ')}`;
  }
  return `${name}${s.type}`;
}

/** `[[placeholders]]` the steps use (as src/templates/templates.ts finds them). */
export function placeholdersOf(steps) {
  const seen = new Set();
  const re = /\[\[\s*([A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}?)\s*\]\]/g;
  for (const s of steps ?? []) {
    if (s.type !== 'send') continue;
    for (const t of [s.send?.message, s.send?.subject, s.send?.body, s.send?.url]) for (const m of String(t ?? '').matchAll(re)) seen.add(m[1]);
  }
  return [...seen];
}
