// Account settings: quiet hours for sequences (sends that fall inside wait until the window ends), in the
// contact's time zone, else the account's. The API checks the value; its errors show beside the fields.
import { api } from '../api.js';
import { alertBox, announce, field, h, pageTitle, showFieldErrors, spinner } from '../dom.js';

export async function render(main, _route, ctx) {
  main.append(spinner());
  const account = await api.get('/v1/account');
  main.replaceChildren(pageTitle('Account settings'));
  const qh = account.settings?.quietHours;
  const m = { on: !!qh, start: qh?.start ?? '21:00', end: qh?.end ?? '08:00' };
  const readOnly = !ctx.isAdmin;

  const times = h('div', { class: 'grid2' },
    field('Quiet hours start', h('input', { type: 'time', value: m.start, oninput: (e) => (m.start = e.target.value) }), { path: 'settings.quietHours.start', required: true }),
    field('Quiet hours end', h('input', { type: 'time', value: m.end, oninput: (e) => (m.end = e.target.value) }), { path: 'settings.quietHours.end', required: true }));
  times.hidden = !m.on;
  const cbId = 'qh-on';
  const result = h('div', { role: 'status' });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'sec-qh' },
    h('fieldset', { class: 'plain', disabled: readOnly },
      h('div', { class: 'field check', 'data-field': 'settings.quietHours' },
        h('input', { type: 'checkbox', id: cbId, checked: m.on, onchange: (e) => { m.on = e.target.checked; times.hidden = !m.on; } }),
        h('label', { for: cbId }, 'Hold sequence sends during quiet hours'),
        h('span', { class: 'field-error', hidden: true })),
      times,
      h('p', { class: 'hint' }, `Read in each contact's time zone, else the account's (${account.timezone}). A window may cross midnight (21:00 to 08:00). Webhook steps are not held.`),
      readOnly ? alertBox('Only admins can change account settings.', 'info') : h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save quiet hours'))),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.replaceChildren();
    // PATCH merges settings key by key (null removes one): send only this section's key.
    try {
      const saved = await api.patch('/v1/account', { settings: { quietHours: m.on ? { start: m.start, end: m.end } : null } });
      showFieldErrors(form, []);
      const q = saved.settings.quietHours;
      const text = q ? `Saved: quiet hours ${q.start} to ${q.end}.` : 'Saved: no quiet hours.';
      result.replaceChildren(alertBox(text, 'info'));
      announce(text);
    } catch (err) {
      const left = showFieldErrors(form, err.details ?? []);
      if (!err.details?.length || left.length) result.replaceChildren(alertBox(err.message));
    }
  });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'sec-qh' }, h('h2', { id: 'sec-qh' }, 'Quiet hours'), form));
  main.append(emailTrackingSection(account, readOnly));
}

// E-mail open and click tracking (settings.emailTracking), off by default; docs/CHANNELS.md "E-mail open and click tracking".
function emailTrackingSection(account, readOnly) {
  const t = account.settings?.emailTracking ?? {};
  const m = { opens: t.opens === true, clicks: t.clicks === true };
  const box = (key, id, label) => h('div', { class: 'field check', 'data-field': `settings.emailTracking.${key}` },
    h('input', { type: 'checkbox', id, checked: m[key], onchange: (e) => { m[key] = e.target.checked; } }),
    h('label', { for: id }, label),
    h('span', { class: 'field-error', hidden: true }));
  const result = h('div', { role: 'status' });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'sec-et' },
    h('fieldset', { class: 'plain', disabled: readOnly },
      box('opens', 'et-opens', 'Track e-mail opens (a 1×1 image)'),
      box('clicks', 'et-clicks', 'Track link clicks (links go through this server)'),
      h('p', { class: 'hint' }, 'Raises email.opened and email.clicked for rules and sequences. Some mail apps load images by '
        + 'themselves (Apple Mail Privacy Protection, Gmail\'s image proxy): such opens are marked as machine opens, and '
        + 'readers who block images are never seen opening.'),
      readOnly ? null : h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save e-mail tracking'))),
    result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.replaceChildren();
    // PATCH merges settings key by key: send only this section's key.
    try {
      const saved = await api.patch('/v1/account', { settings: { emailTracking: { opens: m.opens, clicks: m.clicks } } });
      showFieldErrors(form, []);
      const s = saved.settings.emailTracking;
      const on = [s.opens && 'opens', s.clicks && 'clicks'].filter(Boolean);
      const text = on.length ? `Saved: tracking ${on.join(' and ')}.` : 'Saved: no e-mail tracking.';
      result.replaceChildren(alertBox(text, 'info'));
      announce(text);
    } catch (err) {
      const left = showFieldErrors(form, err.details ?? []);
      if (!err.details?.length || left.length) result.replaceChildren(alertBox(err.message));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'sec-et' }, h('h2', { id: 'sec-et' }, 'E-mail tracking'), form);
}
