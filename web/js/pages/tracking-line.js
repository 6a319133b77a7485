// Call tracking on the Phone lines page: a line's forwarding (numbers, order, ring time, recording, whisper, source),
// shown and edited through PATCH /v1/lines/:id with `mode: tracking` and `settings.tracking` (the API's own validation).
import { api, ApiError } from '../api.js';
import { area, check, num, pick, text } from '../controls.js';
import { alertBox, announce, field, h, nextId, showFieldErrors } from '../dom.js';

const STRATEGIES = [['sequential', 'One after another (sequential)'], ['simultaneous', 'All at once, first to answer takes it (simultaneous)']];
const P = 'settings.tracking';

/**
 * The tracking block of one line card. `onSaved(line)` gets the updated line (the page redraws the card).
 * Admins get "Set up call tracking" / "Edit call tracking".
 */
export function trackingLineSection(line, ctx, onSaved) {
  const t = line.settings?.tracking ?? {};
  const tracking = line.mode === 'tracking';
  const headingId = nextId('trk');
  const sec = h('section', { 'aria-labelledby': headingId }, h('h3', { id: headingId, class: 'small' }, 'Call tracking'));
  if (tracking) {
    const numbers = [].concat(t.forwardTo ?? []);
    sec.append(numbers.length ? h('dl', { class: 'grid2' },
      // The numbers themselves are listed above ("Forwards to", in their order).
      item('Source / campaign', t.source ?? `${line.name || line.phoneNumber} (the line's name)`),
      item('Ring order', (STRATEGIES.find(([v]) => v === (t.ringStrategy ?? 'sequential')) ?? STRATEGIES[0])[1]),
      item('Rings for', `${t.ringTimeoutSeconds ?? 20} s${(t.ringStrategy ?? 'sequential') === 'sequential' && numbers.length > 1 ? ' each' : ''}`),
      item('Recording', t.record ? 'on' : 'off'),
      item('Whisper', t.whisper || 'none'),
    ) : alertBox('Not configured: this tracking line has no number to forward calls to.', 'warn'));
  } else {
    sec.append(h('p', { class: 'muted' }, 'Not a tracking line: callers hear the greeting and key a code.'));
  }
  if (ctx.isAdmin) {
    const open = h('button', { type: 'button', onclick: () => {
      sec.querySelector('form')?.remove();
      sec.append(trackingForm(line, sec, onSaved, open));
    } }, tracking ? 'Edit call tracking' : 'Set up call tracking');
    sec.append(h('div', { class: 'form-actions' }, open));
  }
  return sec;
}

const item = (dt, dd) => h('div', {}, h('dt', {}, dt), h('dd', {}, dd));

function trackingForm(line, sec, onSaved, opener) {
  const t = line.settings?.tracking ?? {};
  const m = {
    source: t.source ?? '', forwardText: [].concat(t.forwardTo ?? []).join('\n'), ringStrategy: t.ringStrategy ?? 'sequential',
    ringTimeoutSeconds: t.ringTimeoutSeconds ?? 20, record: !!t.record, whisper: t.whisper ?? '',
  };
  const status = h('div');
  const form = h('form', { novalidate: true, 'aria-label': `Call tracking of ${line.phoneNumber}` }, status,
    line.mode === 'tracking' ? null : alertBox('Saving makes this a tracking line: calls are forwarded to the numbers below instead of hearing the greeting.', 'info'),
    field('Forward calls to', area(m, 'forwardText', { rows: 3, spellcheck: 'false', inputmode: 'tel' }), {
      path: `${P}.forwardTo`, required: true, hint: 'One number per line in international format (+14155550111); up to 10.',
    }),
    h('div', { class: 'grid2' },
      field('Ring order', pick(m, 'ringStrategy', STRATEGIES), { path: `${P}.ringStrategy` }),
      field('Ring time (seconds)', num(m, 'ringTimeoutSeconds', { min: 5, max: 120, step: 1 }), {
        path: `${P}.ringTimeoutSeconds`, hint: '5 to 120; each number when one after another. Unanswered: a missed call.',
      })),
    check(m, 'record', 'Record calls (from the moment they are answered)', `${P}.record`),
    field('Whisper', text(m, 'whisper', { maxlength: 500 }), { path: `${P}.whisper`, hint: 'Spoken to the person who answers, before the caller is connected. Empty: none.' }),
    field('Source / campaign', text(m, 'source', { maxlength: 200 }), { path: `${P}.source`, hint: 'What this number advertises, e.g. "Spring mailer 2025". Empty: the line\'s name.' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save call tracking'),
      h('button', { type: 'button', onclick: () => { form.remove(); opener.focus(); } }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    // `tracking` is replaced as a whole: keep keys this form does not show.
    const tracking = {
      ...t, forwardTo: m.forwardText.split('\n').map((s) => s.trim()).filter(Boolean), ringStrategy: m.ringStrategy,
      ringTimeoutSeconds: m.ringTimeoutSeconds ?? undefined, record: m.record, whisper: m.whisper.trim() || undefined, source: m.source.trim() || undefined,
    };
    try {
      const updated = await api.patch(`/v1/lines/${line.id}`, { mode: 'tracking', settings: { tracking } });
      announce('Call tracking saved');
      onSaved(updated);
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  });
  setTimeout(() => form.querySelector('textarea')?.focus());
  return form;
}
