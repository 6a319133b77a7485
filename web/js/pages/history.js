import { listActivations } from '../activations-api.js';
import { api, getAll, qs } from '../api.js';
import { pick } from '../controls.js';
import { alertBox, badge, field, formatTime, h, pageTitle } from '../dom.js';

const SOURCES = ['', 'dashboard', 'api', 'ivr', 'sms', 'schedule', 'rule', 'sequence', 'call_tracking', 'agent'];

/** Activations, newest first, filtered by workflow, source and date range; "Load more" pages on. */
export async function render(main, { query }) {
  main.append(pageTitle('History'));
  const workflows = await getAll('/v1/workflows').catch(() => []);
  const names = new Map(workflows.map((w) => [w.id, w.name]));
  const f = {
    workflowId: query.get('workflowId') ?? '', source: query.get('source') ?? '',
    from: query.get('from') ?? '', to: query.get('to') ?? '',
  };
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('div');
  const date = (key) => h('input', { type: 'date', value: f[key], oninput: (e) => (f[key] = e.target.value) });
  const form = h('form', { class: 'card', role: 'search', 'aria-label': 'Filter activations' },
    h('div', { class: 'grid2' },
      field('Workflow', pick(f, 'workflowId', [['', 'All workflows'], ...workflows.map((w) => [w.id, w.name])])),
      field('Source', pick(f, 'source', SOURCES.map((s) => [s, s ? s.replace('_', ' ') : 'Any source']))),
      field('From', date('from')),
      field('To', date('to'))),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')));

  const load = async (cursor) => {
    const filters = {
      workflowId: f.workflowId, source: f.source, limit: 50, cursor,
      from: f.from ? new Date(`${f.from}T00:00:00`).toISOString() : '', to: f.to ? new Date(`${f.to}T23:59:59.999`).toISOString() : '',
    };
    try {
      const page = await listActivations(filters);
      if (!cursor) results.replaceChildren(table());
      const tbody = results.querySelector('tbody');
      for (const a of page.data) tbody.append(row(a, names));
      if (!cursor && page.data.length === 0) results.replaceChildren(alertBox('No activations match.', 'info'));
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Load more') : '');
    } catch (err) {
      results.replaceChildren(alertBox(err.message));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  main.append(form, results, more, ruleLog());
  await load();
}

/** The rule engine's log: every evaluation and action outcome, newest first. */
function ruleLog() {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'rl-h' }, h('h2', { id: 'rl-h' }, 'Rule log'));
  const body = h('div');
  const more = h('div');
  sec.append(body, more);
  const load = async (cursor) => {
    try {
      const page = await api.get(`/v1/rule-logs${qs({ limit: 25, cursor })}`);
      if (!cursor) body.replaceChildren(page.data.length ? h('ul', {}) : h('p', { class: 'muted' }, 'No rule has run yet.'));
      const ul = body.querySelector('ul');
      for (const l of page.data) {
        ul?.append(h('li', {}, formatTime(l.at), ' · ', l.kind, ' ', badge(l.outcome), l.actionType ? ` · ${l.actionType}` : '',
          l.contactId ? [' · ', h('a', { href: `#/contacts/${l.contactId}` }, 'contact')] : null));
      }
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Older entries') : '');
    } catch (err) {
      body.replaceChildren(alertBox(err.status === 404 ? 'The rule log is not available.' : err.message, 'info'));
    }
  };
  load();
  return sec;
}

// table.stack: at phone width each activation is a block of labelled cells, not a table wider than the screen.
const table = () => h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
  h('caption', { class: 'sr-only' }, 'Activations'),
  h('thead', {}, h('tr', {}, ['When', 'Workflow', 'Source', 'Status', 'Recipients', 'Deliveries', ''].map((c) => h('th', { scope: 'col' }, c)))),
  h('tbody')));

const row = (a, names) => h('tr', {},
  h('td', { 'data-label': 'When' }, formatTime(a.createdAt)),
  h('td', { 'data-label': 'Workflow' }, a.workflowName ?? names.get(a.workflowId) ?? 'deleted workflow'),
  h('td', { 'data-label': 'Source' }, a.source.replace('_', ' ')),
  h('td', { 'data-label': 'Status' }, badge(a.status)),
  h('td', { 'data-label': 'Recipients' }, a.recipientCount ?? '—'),
  h('td', { 'data-label': 'Deliveries' }, deliveryCounts(a.counts)),
  h('td', {}, h('a', { href: `#/activations/${a.id}` }, 'Details')));

/** Deliveries per status, most telling first: "delivered · 4", "failed · 1", "queued · 2"… */
const ORDER = ['delivered', 'answered', 'acknowledged', 'sent', 'queued', 'sending', 'pending', 'failed', 'no-answer', 'busy', 'skipped'];
export const deliveryCounts = (counts) => {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0)
    .sort(([a], [b]) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  return entries.length ? h('span', { class: 'counts' }, entries.map(([s, n], i) => [i ? ' ' : '', badge(s, String(n))])) : '—';
};
