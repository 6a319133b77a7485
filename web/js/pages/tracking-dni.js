// Call tracking → website numbers (Dynamic Number Insertion): the snippet to copy, the number pools per source
// (admins add, change and delete them) and the DNI settings (allowed sites, session length, replacing the key).
import { api, ApiError, getAll } from '../api.js';
import { CLICK_IDS, poolForm } from '../dni-pool-form.js';
import { alertBox, announce, append, badge, clear, confirmDialog, field, h, showFieldErrors, spinner } from '../dom.js';

/** What brings a visitor to a pool, in words. */
const matchText = (p) => {
  const parts = [
    ...p.match.utmSources.map((s) => `utm_source=${s}`),
    ...p.match.clickIds.map((c) => (CLICK_IDS[c] ?? c).replace(/ \(.*\)$/, '')),
    ...p.match.referrerHosts.map((r) => `from ${r}`),
  ];
  if (p.default) parts.push('every other visitor');
  return parts.join(' or ') || '—';
};

/** A modal that asks before replacing the public key; resolves true on "Replace key". Focus returns to `opener`. */
function confirmRotate(opener) {
  return confirmDialog({
    title: 'Replace the website key?',
    body: h('p', {}, 'Pages that still embed the old snippet stop getting tracking numbers (they show the numbers written in the page) '
      + 'until you put the new snippet on them. Numbers visitors already have are kept for calls.'),
    confirm: 'Replace key', confirmClass: 'danger', keep: 'Keep the current key',
  }, opener);
}

/** Allowed sites and session length (PUT /v1/dni), and the key replacement (POST /v1/dni/key). */
function settingsForm(settings, refill) {
  const m = { origins: settings.allowedOrigins.join('\n'), minutes: settings.sessionMinutes };
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, 'aria-label': 'Website settings' },
    h('div', { class: 'grid2' },
      field('Allowed sites', h('textarea', { rows: 3, spellcheck: 'false', placeholder: 'https://www.example.com', oninput: (e) => (m.origins = e.target.value) }, m.origins),
        { path: 'allowedOrigins', hint: 'One per line, such as https://www.example.com (no path). Empty: any site may show your numbers.' }),
      field('Session length (minutes)', h('input', { type: 'number', min: 5, max: 1440, step: 1, value: m.minutes, oninput: (e) => (m.minutes = e.target.value) }),
        { path: 'sessionMinutes', hint: 'How long a visitor keeps a number after their last page view (5 to 1440); a call in that time is theirs.' })),
    status,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Save website settings'),
      h('button', { type: 'button', class: 'danger', onclick: async (e) => {
        const opener = e.currentTarget;
        if (!(await confirmRotate(opener))) return;
        try {
          await api.post('/v1/dni/key', {});
          announce('Key replaced: copy the new snippet to your site');
          await refill('Key replaced. Put the new snippet on every page of your site.');
        } catch (err) {
          status.replaceChildren(alertBox(err.message));
        }
      } }, 'Replace key…')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    const minutes = String(m.minutes).trim();
    const body = { allowedOrigins: m.origins.split('\n').map((s) => s.trim()).filter(Boolean), sessionMinutes: minutes === '' ? null : Number(minutes) };
    try {
      await api.put('/v1/dni', body);
      announce('Website settings saved');
      await refill('Website settings saved.');
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  });
  return form;
}

function poolsTable(pools, isAdmin, onEdit, onDelete) {
  if (!pools.length) return h('p', { class: 'muted' }, 'No source is set up yet.');
  const cols = ['Source', 'Visitors who arrive with', 'Numbers shown', ...(isAdmin ? [h('span', { class: 'sr-only' }, 'Actions')] : [])];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Number pools per source'),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, pools.map((p) => h('tr', {},
      h('th', { scope: 'row' }, p.source, p.default ? [' ', badge('default')] : null),
      h('td', { 'data-label': 'Visitors who arrive with' }, matchText(p)),
      h('td', { 'data-label': 'Numbers shown' }, h('ul', { class: 'flush list' }, p.lines.map((l) => h('li', {}, h('span', { class: 'mono' }, l.phoneNumber), l.name ? ` ${l.name}` : '')))),
      isAdmin ? h('td', {}, h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'aria-label': `Edit source ${p.source}`, onclick: (e) => onEdit(p, e.currentTarget) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete source ${p.source}`, onclick: (e) => onDelete(p, e.currentTarget) }, 'Delete'))) : null)))));
}

async function fill(body, ctx, flash) {
  let settings;
  let pools;
  let lines;
  try {
    [settings, pools, lines] = await Promise.all([
      api.get('/v1/dni'), api.get('/v1/tracking-pools').then((r) => r.data), ctx?.isAdmin ? getAll('/v1/lines') : [],
    ]);
  } catch (err) {
    body.replaceChildren(alertBox(err.message));
    return;
  }
  const isAdmin = !!ctx?.isAdmin;
  const refill = (msg) => fill(body, ctx, msg);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(settings.snippet);
      announce('Snippet copied');
    } catch {
      announce('Copy failed: select the snippet and copy it');
    }
  };
  const sites = settings.allowedOrigins.length ? settings.allowedOrigins.join(', ') : 'any site';
  const editor = h('div');
  const poolStatus = h('div', { 'aria-live': 'polite' });
  const sourcesHead = h('h3', { id: 'dni-sources-h', tabindex: '-1' }, 'Sources');
  const openForm = (pool, opener) => {
    editor.replaceChildren(poolForm(pool, {
      lines, pools,
      onSaved: async (saved) => {
        await refill(`Saved source “${saved.source}”.`);
        body.querySelector('#dni-sources-h')?.focus();
      },
      onCancel: () => {
        editor.replaceChildren();
        opener?.focus();
      },
    }));
  };
  const remove = async (p, opener) => {
    const asked = await confirmDialog({
      title: `Delete the source “${p.source}”?`, body: h('p', {}, 'Its numbers go back to being plain tracking lines.'),
      confirm: 'Delete', confirmClass: 'danger', keep: 'Keep it',
    }, opener);
    if (!asked) return;
    try {
      await api.del(`/v1/tracking-pools/${p.id}`);
      announce(`Deleted source ${p.source}`);
      await refill(`Deleted source “${p.source}”.`);
      body.querySelector('#dni-sources-h')?.focus();
    } catch (err) {
      poolStatus.replaceChildren(alertBox(err.message));
    }
  };
  append(clear(body), [
    flash ? alertBox(flash, 'info') : null,
    h('p', {}, 'Put this tag on every page of your website, and mark each phone number with ',
      h('code', {}, 'data-switchboard-number'), '. Each visitor sees the number of the source that brought them, and a call to it records that source.'),
    h('h3', { id: 'dni-snippet-h' }, 'Snippet'),
    h('pre', { class: 'preview mono sid', 'aria-labelledby': 'dni-snippet-h', tabindex: '0' }, settings.snippet),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', onclick: copy }, 'Copy snippet')),
    h('p', { class: 'muted' }, `Allowed sites: ${sites}. A visitor keeps a number for ${settings.sessionMinutes} minutes after their last page view; a call in that time is theirs. `,
      'The key in the tag is public: it only lets a page ask for one of these numbers.'),
    sourcesHead,
    poolStatus,
    poolsTable(pools, isAdmin, openForm, remove),
    isAdmin ? h('div', { class: 'form-actions' }, h('button', { type: 'button', onclick: (e) => openForm(null, e.currentTarget) }, 'Add a source')) : null,
    editor,
    isAdmin ? [h('h3', {}, 'Website settings'), settingsForm(settings, refill)] : null,
  ]);
}

/** The "Website numbers" card of the Call tracking page; loads itself. Admins can change pools and settings. */
export function dniSection(ctx) {
  const body = h('div', {}, spinner());
  const sec = h('section', { class: 'card', 'aria-labelledby': 'dni-h' }, h('h2', { id: 'dni-h' }, 'Website numbers (DNI)'), body);
  fill(body, ctx);
  return sec;
}
