// Call tracking → website numbers: the form that creates or changes one DNI number pool (POST / PUT
// /v1/tracking-pools). Field wrappers carry the API's error paths (`match.referrerHosts.1`, `lineIds.0`).
import { api, ApiError } from './api.js';
import { area, check, multi, text } from './controls.js';
import { alertBox, announce, field, h, showFieldErrors } from './dom.js';

export const CLICK_IDS = { gclid: 'Google Ads click (gclid)', fbclid: 'Facebook click (fbclid)', msclkid: 'Microsoft Ads click (msclkid)' };
const lines = (s) => s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);

/**
 * A 409 names its field in the message ("source: a pool for this source already exists"): shown
 * beside that field like a 400's details.
 */
export function errorDetails(err) {
  if (!(err instanceof ApiError)) return [];
  if (err.details.length) return err.details;
  const m = /^(source|default|lineIds): (.+)$/.exec(err.message ?? '');
  return err.status === 409 && m ? [{ path: m[1], message: m[2] }] : [];
}

/**
 * The pool editor. `pool`: the pool to change, or null for a new one; `o.lines`: the account's
 * lines; `o.pools`: every pool (a line already in another pool cannot be picked);
 * `o.onSaved(pool)` after a save, `o.onCancel()`.
 */
export function poolForm(pool, o) {
  const m = {
    source: pool?.source ?? '', default: pool?.default ?? false,
    utm: (pool?.match.utmSources ?? []).join('\n'), clickIds: pool?.match.clickIds ?? [],
    referrers: (pool?.match.referrerHosts ?? []).join('\n'), lineIds: pool?.lines.map((l) => l.id) ?? [],
  };
  const owner = new Map(o.pools.filter((p) => p.id !== pool?.id).flatMap((p) => p.lines.map((l) => [l.id, p.source])));
  const tracking = o.lines.filter((l) => l.mode === 'tracking');
  const title = pool ? `Edit source ${pool.source}` : 'New source';
  const status = h('div');
  const lineBox = tracking.length
    ? multi(m, 'lineIds', 'Numbers shown (tracking lines)', tracking.map((l) => [l.id,
      `${l.phoneNumber}${l.name ? ` ${l.name}` : ''}${owner.has(l.id) ? ` (in ${owner.get(l.id)})` : ''}`]), 'lineIds', String,
    'Visitors of this source see one of these numbers. A line can be in one source only.')
    : h('div', { class: 'field', 'data-field': 'lineIds' },
      h('p', { class: 'alert warn' }, 'No tracking line yet: set a line up for call tracking on the ', h('a', { href: '#/lines' }, 'Phone lines'), ' page first.'),
      h('span', { class: 'field-error', hidden: true }));
  // Lines in another source stay visible but cannot be picked here.
  for (const input of lineBox.querySelectorAll('input[type=checkbox]')) if (owner.has(input.value)) input.disabled = true;

  const form = h('form', { class: 'card', novalidate: true, 'aria-label': title },
    h('h3', { class: 'flush' }, title), status,
    h('div', { class: 'grid2' },
      field('Source name', text(m, 'source', { maxlength: 200, autocomplete: 'off', spellcheck: 'false' }),
        { path: 'source', required: true, hint: 'Such as google, newsletter or organic. Calls record it as their source.' }),
      field('utm_source values', area(m, 'utm', { rows: 2, spellcheck: 'false' }),
        { path: 'match.utmSources', hint: 'One per line. Empty: the source name itself (the default source matches none).' })),
    check(m, 'default', 'Default source: takes every visitor no other source matches (organic, direct)', 'default'),
    multi(m, 'clickIds', 'Visitors who arrive from an ad click', Object.entries(CLICK_IDS), 'match.clickIds'),
    field('Referring sites', area(m, 'referrers', { rows: 2, spellcheck: 'false', placeholder: 'facebook.com' }),
      { path: 'match.referrerHosts', hint: 'Host names, one per line: a visitor coming from one of them (or a subdomain) matches.' }),
    lineBox,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, pool ? 'Save source' : 'Add source'),
      h('button', { type: 'button', onclick: () => o.onCancel() }, 'Cancel')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    const utm = lines(m.utm);
    const body = {
      source: m.source, default: m.default, lineIds: m.lineIds,
      match: { ...(utm.length ? { utmSources: utm } : {}), clickIds: m.clickIds, referrerHosts: lines(m.referrers) },
    };
    const btn = e.submitter;
    if (btn) btn.disabled = true;
    try {
      const saved = pool ? await api.put(`/v1/tracking-pools/${pool.id}`, body) : await api.post('/v1/tracking-pools', body);
      announce(`Saved source ${saved.source}`);
      await o.onSaved(saved);
    } catch (err) {
      const details = errorDetails(err);
      const rest = showFieldErrors(form, details);
      if (!details.length || rest.length) {
        status.replaceChildren(alertBox(rest.length ? rest.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message));
      }
    } finally {
      if (btn) btn.disabled = false;
    }
  });
  setTimeout(() => form.querySelector('input')?.focus());
  return form;
}
