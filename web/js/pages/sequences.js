// Sequences: every sequence with its status, counts and version; start a new one from a template or
// blank; the account's own templates (create, edit, delete) next to the four built-in ones.
import { api } from '../api.js';
import { alertBox, badge, h, pageTitle, spinner } from '../dom.js';

const FINISHED = ['completed', 'exited', 'unenrolled', 'failed'];

export async function render(main) {
  main.append(spinner());
  const [seqs, templates] = await Promise.all([api.get('/v1/sequences'), api.get('/v1/sequence-templates')]);
  const stats = await Promise.all(seqs.data.map((s) => api.get(`/v1/sequences/${s.id}/stats`).catch(() => null)));
  main.replaceChildren(pageTitle('Sequences', h('a', { class: 'button primary', href: '#/sequences/new' }, 'New blank sequence')));

  const flash = sessionStorage.getItem('sb-flash');
  if (flash) {
    sessionStorage.removeItem('sb-flash');
    main.append(alertBox(flash, 'info'));
  }

  const list = h('section', { 'aria-labelledby': 'sec-seqs' }, h('h2', { id: 'sec-seqs' }, 'Your sequences'));
  if (seqs.data.length === 0) list.append(h('p', { class: 'muted' }, 'No sequence yet: start from a template below, or a blank one.'));
  else {
    list.append(h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
      h('caption', { class: 'sr-only' }, 'Sequences with their status, enrollment counts and version'),
      h('thead', {}, h('tr', {}, ['Sequence', 'Status', 'Enrolled', 'In progress', 'Finished', 'Version', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, seqs.data.map((s, i) => row(s, stats[i]))))));
  }

  const builtIn = templates.data.filter((t) => t.builtIn);
  const custom = templates.data.filter((t) => !t.builtIn);
  const start = h('section', { 'aria-labelledby': 'sec-start' }, h('h2', { id: 'sec-start' }, 'Start from a template'),
    h('ul', { class: 'list template-grid' },
      [...builtIn, ...custom].map((t) => h('li', { class: 'item' },
        h('div', {},
          h('h3', {}, t.name, t.builtIn ? h('span', { class: 'tag' }, 'built-in') : h('span', { class: 'tag' }, 'yours')),
          h('p', { class: 'muted tight' }, t.description || `${t.definition.steps?.length ?? 0} steps`),
          t.placeholders.length ? h('p', { class: 'hint tight' }, 'Asks at enrollment: ', t.placeholders.map((p) => `[[${p}]]`).join(', ')) : null),
        h('div', { class: 'row-actions' },
          h('a', { class: 'button primary', href: `#/sequences/new?template=${encodeURIComponent(t.key)}`, 'aria-label': `Use template ${t.name}` }, 'Use template'),
          h('a', { class: 'button', href: `#/sequence-templates/${encodeURIComponent(t.key)}`, 'aria-label': `${t.builtIn ? 'View' : 'Edit'} template ${t.name}` }, t.builtIn ? 'View' : 'Edit')))),
      h('li', { class: 'item' },
        h('div', {}, h('h3', {}, 'Blank'), h('p', { class: 'muted tight' }, 'An empty timeline.')),
        h('div', { class: 'row-actions' }, h('a', { class: 'button', href: '#/sequences/new' }, 'Start blank')))),
    h('p', {}, h('a', { href: '#/sequence-templates/new' }, 'Create a template of your own')));

  main.append(list, start);
}

function row(s, st) {
  const by = st?.byStatus ?? {};
  const finished = FINISHED.reduce((n, k) => n + (by[k] ?? 0), 0);
  return h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/sequences/${s.id}` }, s.name), s.description ? h('div', { class: 'hint' }, s.description) : null),
    h('td', { 'data-label': 'Status' }, badge(s.status)),
    h('td', { 'data-label': 'Enrolled' }, st ? String(st.total) : '—'),
    h('td', { 'data-label': 'In progress' }, st ? String(by.active ?? 0) : '—'),
    h('td', { 'data-label': 'Finished' }, st ? String(finished) : '—'),
    h('td', { 'data-label': 'Version' }, `v${s.currentVersion}`),
    h('td', { 'data-label': 'Actions' }, h('div', { class: 'row-actions' },
      h('a', { href: `#/sequences/${s.id}`, 'aria-label': `Edit ${s.name}` }, 'Edit'), ' ',
      h('a', { href: `#/sequences/${s.id}/contacts`, 'aria-label': `Contacts and history of ${s.name}` }, 'Contacts'))));
}
