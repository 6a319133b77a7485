// A sequence's contacts: enroll (contacts, a group, a contact list, or a CSV of ids/phones), unenroll,
// who is at which step and when their next step runs, why someone exited; execution history with filters
// and purge.
import { api, getAll, qs } from '../api.js';
import { alertBox, announce, badge, field, formatTime, h, pageTitle, spinner } from '../dom.js';
import { historyCard } from '../sequence-history.js';
import { showErrors } from '../sequence-form.js';
import { ENROLLMENT_STATUSES, WAITING, placeholdersOf, typeLabel } from '../sequence-words.js';

/** "opted out", "event job.booked", "unenrolled (api)". */
export function exitText(e) {
  const r = e.exitReason;
  if (e.status === 'completed') return 'finished every step';
  if (e.status === 'failed') return `failed: ${e.error ?? 'error'}`;
  if (!r) return '—';
  if (r === 'opted_out') return 'opted out';
  if (r === 'contact_deleted') return 'contact deleted';
  if (r.startsWith('event:')) return `exit condition: event ${r.slice(6)}`;
  if (r.startsWith('field:')) return `exit condition: field ${r.slice(6)}`;
  return e.status === 'unenrolled' ? `unenrolled (${r})` : `exit condition: ${r.replace(/_/g, ' ')}`;
}

// A wait's end is when the next step runs; next_run_at alone may be an early re-check (a reply or event woke it).
const nextRun = (e) => (e.waiting === 'delay' || e.waiting === 'branch' || e.waiting === 'quiet_hours' ? e.waitUntil : e.nextRunAt);

export async function render(main, { params }) {
  const id = params[0];
  main.append(spinner());
  const [seq, versions, contacts, groups, lists] = await Promise.all([
    api.get(`/v1/sequences/${id}`), api.get(`/v1/sequences/${id}/versions`), getAll('/v1/contacts').catch(() => []),
    getAll('/v1/groups').catch(() => []), api.get('/v1/lists').then((r) => r.data).catch(() => []),
  ]);
  main.replaceChildren();
  main.append(pageTitle(`${seq.name}: contacts`, badge(seq.status), h('a', { class: 'button', href: `#/sequences/${seq.id}` }, 'Edit steps')));
  const names = new Map(contacts.map((c) => [c.id, c.name || c.phone || c.email || c.id]));
  const stepsByVersion = new Map(versions.data.map((v) => [v.version, v.steps]));

  const statusSec = h('section', { class: 'card', 'aria-labelledby': 'sec-status' });
  const history = historyCard(seq, { names, versions: versions.data });
  const refresh = () => Promise.all([drawStatus(), history.reload()]);
  main.append(enrollCard(seq, { contacts, groups, lists, onDone: refresh }), statusSec, history.el);

  const filter = { status: '' };
  async function drawStatus() {
    const page = await api.get(`/v1/sequences/${seq.id}/enrollments${qs({ status: filter.status, limit: 200 })}`);
    const statusSel = h('select', { onchange: (e) => { filter.status = e.target.value; drawStatus(); } },
      [['', 'all'], ...ENROLLMENT_STATUSES.map((s) => [s, s])].map(([v, l]) => h('option', { value: v, selected: v === filter.status }, l)));
    statusSec.replaceChildren(h('h2', { id: 'sec-status' }, 'Contacts in this sequence'),
      field('Show status', statusSel),
      page.data.length === 0 ? h('p', { class: 'muted' }, 'Nobody yet.') : h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
        h('caption', { class: 'sr-only' }, 'Each contact: status, current step, next step time, why they left'),
        h('thead', {}, h('tr', {}, ['Contact', 'Status', 'Step', 'Next step runs', 'Ended / why', 'Version', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, page.data.map((e) => enrollmentRow(e))))),
      page.nextCursor ? h('p', { class: 'hint' }, 'Showing the first 200; filter by status to see others.') : '');
  }

  function enrollmentRow(e) {
    const steps = stepsByVersion.get(e.version) ?? [];
    const i = steps.findIndex((s) => s.id === e.stepId);
    const step = i >= 0 ? `Step ${i + 1} of ${steps.length}: ${steps[i].name || typeLabel(steps[i].type)} (${e.stepId})`
      : e.stepId ?? (e.status === 'active' ? 'not started' : '—');
    const name = names.get(e.contactId) ?? e.contactId;
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/contacts/${e.contactId}` }, name)),
      h('td', { 'data-label': 'Status' }, badge(e.status)),
      h('td', { 'data-label': 'Step' }, step, e.status === 'active' ? h('div', { class: 'hint' }, WAITING[e.waiting] ?? e.waiting) : null),
      h('td', { 'data-label': 'Next step runs' }, e.status === 'active' && nextRun(e) ? h('time', { datetime: nextRun(e) }, formatTime(nextRun(e))) : '—'),
      h('td', { 'data-label': 'Ended / why' }, e.endedAt ? `${formatTime(e.endedAt)} · ${exitText(e)}` : '—'),
      h('td', { 'data-label': 'Version' }, `v${e.version}`),
      h('td', { 'data-label': 'Actions' }, e.status === 'active' ? h('button', { type: 'button', class: 'danger', onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        try {
          await api.del(`/v1/sequences/${seq.id}/enrollments/${e.id}`);
          announce(`Unenrolled ${name}.`);
          await refresh();
        } catch (err) {
          statusSec.prepend(alertBox(err.message));
        }
      } }, 'Unenroll', h('span', { class: 'sr-only' }, ` ${name}`)) : '—'));
  }
  await refresh();
}

function enrollCard(seq, { contacts, groups, lists, onDone }) {
  const m = { mode: 'contacts', filter: '', groupId: groups[0]?.id ?? '', listId: lists[0]?.id ?? '', csv: '', placeholders: {} };
  const picked = new Set();
  const modes = [['contacts', 'Contacts'], ['group', 'A group'], ['list', 'A contact list'], ['csv', 'A CSV (ids or phone numbers)']];
  const who = h('fieldset', { class: 'checks' }, h('legend', {}, 'Who to enroll'), h('div', { class: 'check-row' }, modes.map(([v, l]) => {
    const rid = `enroll-mode-${v}`;
    return h('span', { class: 'check' }, h('input', { type: 'radio', name: 'enroll-mode', id: rid, value: v, checked: v === m.mode, onchange: () => { m.mode = v; draw(); } }), h('label', { for: rid }, l));
  })));
  const box = h('div');
  const result = h('div', { role: 'status' });
  const summary = h('div', { class: 'error-summary', tabindex: '-1' });

  const contactList = h('div', { class: 'pick-list', 'data-field': 'contactIds', role: 'group', 'aria-label': 'Contacts' });
  const drawContacts = () => {
    const f = m.filter.trim().toLowerCase();
    const shown = contacts.filter((c) => !f || `${c.name} ${c.phone ?? ''} ${c.email ?? ''}`.toLowerCase().includes(f)).slice(0, 200);
    contactList.replaceChildren(...shown.map((c) => {
      const cid = `enroll-c-${c.id}`;
      return h('span', { class: 'check' }, h('input', { type: 'checkbox', id: cid, checked: picked.has(c.id), onchange: (e) => (e.target.checked ? picked.add(c.id) : picked.delete(c.id)) }),
        h('label', { for: cid }, c.name || c.phone || c.email, c.phone ? h('span', { class: 'muted' }, ` ${c.phone}`) : null));
    }), h('span', { class: 'field-error', hidden: true }));
  };
  const csvArea = h('textarea', { rows: 5, spellcheck: 'false', oninput: (e) => (m.csv = e.target.value), placeholder: 'phone\n+14155550101\n+14155550102' });
  const fileInput = h('input', { type: 'file', accept: '.csv,text/csv,text/plain', onchange: async (e) => {
    const f = e.target.files?.[0];
    if (f) csvArea.value = m.csv = await f.text();
  } });

  function draw() {
    if (m.mode === 'contacts') {
      drawContacts();
      box.replaceChildren(field('Filter contacts', h('input', { type: 'search', value: m.filter, oninput: (e) => { m.filter = e.target.value; drawContacts(); } })), contactList);
    } else if (m.mode === 'group') {
      box.replaceChildren(field('Group', h('select', { onchange: (e) => (m.groupId = e.target.value) }, groups.map((g) => h('option', { value: g.id, selected: g.id === m.groupId }, `${g.name} (${g.memberCount ?? '?'})`))), { path: 'groupId' }));
    } else if (m.mode === 'list') {
      box.replaceChildren(field('Contact list', h('select', { onchange: (e) => (m.listId = e.target.value) }, lists.map((l) => h('option', { value: l.id, selected: l.id === m.listId }, l.name))), { path: 'listId' }));
    } else {
      box.replaceChildren(field('CSV', csvArea, { path: 'csv', hint: 'One contact id or phone number (+1…) a line, in the first column; a header line is skipped.' }),
        field('Or upload a CSV file', fileInput));
    }
  }
  draw();

  const phs = placeholdersOf(seq.steps);
  const phFields = phs.map((p) => field(`[[${p}]]`, h('input', { type: 'text', oninput: (e) => (m.placeholders[p] = e.target.value) }), { path: `placeholders.${p}`, required: true }));
  const form = h('form', { novalidate: true, 'aria-labelledby': 'sec-enroll' }, summary, who, box,
    phs.length ? h('fieldset', {}, h('legend', {}, 'Placeholder values for this enrollment'), phFields) : null,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Enroll')), result);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    summary.replaceChildren();
    result.replaceChildren();
    const placeholders = Object.fromEntries(phs.map((p) => [p, m.placeholders[p] ?? '']));
    const ph = phs.length ? { placeholders } : {};
    try {
      const r = m.mode === 'csv' ? await api.post(`/v1/sequences/${seq.id}/enrollments/csv`, { csv: m.csv, ...ph })
        : await api.post(`/v1/sequences/${seq.id}/enrollments`, {
          ...(m.mode === 'contacts' ? { contactIds: [...picked] } : m.mode === 'group' ? { groupId: m.groupId || undefined } : { listId: m.listId || undefined }), ...ph,
        });
      const skipped = r.skipped.length ? ` Skipped ${r.skipped.length}: ${r.skipped.map((s) => s.reason.replace(/_/g, ' ')).join(', ')}.` : '';
      result.replaceChildren(alertBox(`Enrolled ${r.data.length} contact(s).${skipped}`, 'info'));
      picked.clear();
      draw();
      await onDone();
    } catch (err) {
      showErrors(form, summary, err);
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'sec-enroll' }, h('h2', { id: 'sec-enroll' }, 'Enroll'),
    seq.status === 'paused' ? alertBox('This sequence is paused: resume it to enroll contacts.', 'warn') : null, form);
}
