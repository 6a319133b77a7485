// A sequence's execution history: filter by contact, kind and step; older pages; purge (all or older than
// a date) after an explicit confirmation.
import { api, qs } from './api.js';
import { alertBox, announce, field, formatTime, h } from './dom.js';
import { HISTORY_KINDS } from './sequence-words.js';

/** The details of one history entry, in words. */
export function detailText(x) {
  const d = x.detail ?? {};
  switch (x.kind) {
    case 'enrolled': return `source: ${d.source ?? 'api'}`;
    case 'sent': return `${d.channel ?? ''} handed to the engine`;
    case 'skipped': return `${d.channel ?? ''}: ${String(d.reason ?? '').replace(/_/g, ' ')}`;
    case 'waiting': return `${d.for ? `for ${d.for} ` : ''}until ${formatTime(d.until)}`;
    case 'deferred_quiet_hours': return `quiet hours until ${formatTime(d.until)} (${d.zone})`;
    case 'branch': return `${d.condition}: ${d.result ? 'yes' : 'no'} → ${d.goto}`;
    case 'exited': case 'completed': case 'unenrolled': return d.reason ? `reason: ${String(d.reason).replace(/_/g, ' ')}${d.keyword ? ` (${d.keyword})` : ''}` : '';
    case 'error': case 'failed': return String(d.error ?? '');
    default: return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
  }
}

export function historyCard(seq, { names, versions }) {
  const f = { contactId: '', kind: '', stepId: '' };
  const stepIds = [...new Set(versions.flatMap((v) => v.steps.map((s) => s.id)))];
  const sel = (key, label, options) => field(label, h('select', { onchange: (e) => { f[key] = e.target.value; reload(); } },
    options.map(([v, l]) => h('option', { value: v }, l))));
  const filters = h('div', { class: 'seq-row' },
    sel('contactId', 'Contact', [['', 'everyone'], ...[...names].map(([id, n]) => [id, n])]),
    sel('kind', 'What happened', [['', 'anything'], ...HISTORY_KINDS]),
    sel('stepId', 'Step', [['', 'any step'], ...stepIds.map((s) => [s, s])]));
  const body = h('div');
  const more = h('div');
  const msg = h('div', { role: 'status' });

  const load = async (afterId) => {
    const page = await api.get(`/v1/sequences/${seq.id}/history${qs({ ...f, afterId, limit: 100 })}`);
    if (!afterId) {
      body.replaceChildren(page.data.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
        h('caption', { class: 'sr-only' }, 'Execution history, oldest first'),
        h('thead', {}, h('tr', {}, ['When', 'Contact', 'What', 'Step', 'Version', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody'))) : h('p', { class: 'muted' }, 'No history matches.'));
    }
    const tbody = body.querySelector('tbody');
    for (const x of page.data) {
      tbody?.append(h('tr', {},
        h('th', { scope: 'row' }, h('time', { datetime: x.at }, formatTime(x.at))),
        h('td', { 'data-label': 'Contact' }, names.get(x.contactId) ?? x.contactId ?? '—'),
        h('td', { 'data-label': 'What' }, (HISTORY_KINDS.find(([k]) => k === x.kind)?.[1]) ?? x.kind),
        h('td', { 'data-label': 'Step' }, x.stepId ?? '—'),
        h('td', { 'data-label': 'Version' }, `v${x.version}`),
        h('td', { 'data-label': 'Details' }, detailText(x))));
    }
    more.replaceChildren(page.nextAfterId ? h('button', { type: 'button', onclick: () => load(page.nextAfterId) }, 'Later entries') : '');
  };
  const reload = () => load(undefined).catch((err) => body.replaceChildren(alertBox(err.message)));

  const purge = { before: '' };
  const confirmBox = h('div');
  const before = h('input', { type: 'date', oninput: (e) => (purge.before = e.target.value) });
  const purgeForm = h('div', { class: 'form-actions', 'data-field': 'before' },
    field('Purge entries older than (empty: all)', before, { path: 'before' }),
    h('button', { type: 'button', class: 'danger', onclick: () => {
      const what = purge.before ? `every history entry of this sequence older than ${purge.before}` : 'the whole history of this sequence';
      confirmBox.replaceChildren(alertBox(`Delete ${what}? This cannot be undone.`, 'warn'),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            try {
              const r = await api.del(`/v1/sequences/${seq.id}/history${qs({ before: purge.before ? new Date(`${purge.before}T00:00:00`).toISOString() : undefined })}`);
              confirmBox.replaceChildren();
              msg.replaceChildren(alertBox(`Deleted ${r.deleted} history entr${r.deleted === 1 ? 'y' : 'ies'}.`, 'info'));
              announce(`Deleted ${r.deleted} history entries.`);
              await reload();
            } catch (err) {
              confirmBox.replaceChildren(alertBox(err.message));
            }
          } }, 'Yes, delete history'),
          h('button', { type: 'button', onclick: () => confirmBox.replaceChildren() }, 'Cancel')));
      confirmBox.querySelector('button')?.focus();
    } }, 'Purge history'));

  const el = h('section', { class: 'card', 'aria-labelledby': 'sec-history' }, h('h2', { id: 'sec-history' }, 'Execution history'),
    filters, body, more, h('h3', {}, 'Purge'), purgeForm, confirmBox, msg);
  return { el, reload };
}
