// The rule logs page's side panels: actions waiting to run (with Flush) and the revenue rules logged.
import { api, qs } from './api.js';
import { alertBox, announce, badge, formatTime, h } from './dom.js';
import { words } from './rule-conditions.js';

/** Pending actions of one rule (or of every rule), with a Flush button per rule. */
export function pendingSection(ruleId, names, contacts, onFlushed) {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'pend-h' }, h('h2', { id: 'pend-h' }, 'Pending actions'));
  const body = h('div');
  const msg = h('div', { role: 'status' });
  sec.append(msg, body);
  const load = async () => {
    try {
      const pages = await Promise.all(['pending', 'queued'].map((status) => api.get(`/v1/rule-pending-actions${qs({ ruleId, status, limit: 200 })}`)));
      const rows = pages.flatMap((p) => p.data).sort((a, b) => new Date(a.dueAt) - new Date(b.dueAt));
      if (!rows.length) return body.replaceChildren(h('p', { class: 'muted' }, 'No action is waiting to run.'));
      const rules = [...new Set(rows.map((r) => r.ruleId))];
      body.replaceChildren(
        h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
          h('caption', { class: 'sr-only' }, 'Actions waiting to run'),
          h('thead', {}, h('tr', {}, [ruleId ? null : 'Rule', 'Due', 'Action', 'Contact', 'Status'].filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, rows.map((r) => h('tr', {},
            ruleId ? null : h('td', { 'data-label': 'Rule' }, names.get(r.ruleId) ?? 'deleted rule'),
            h('td', { 'data-label': 'Due' }, h('time', { datetime: r.dueAt }, formatTime(r.dueAt))),
            h('td', { 'data-label': 'Action' }, `${r.actionId} · ${words(r.actionType)}`),
            h('td', { 'data-label': 'Contact' }, r.contactId ? h('a', { href: `#/contacts/${r.contactId}` }, contacts.get(r.contactId) ?? 'contact') : '—'),
            h('td', { 'data-label': 'Status' }, badge(r.status))))))),
        h('div', { class: 'form-actions' }, rules.map((id) => h('button', { type: 'button', class: 'danger', onclick: (e) => flush(id, e.currentTarget) },
          ruleId ? 'Flush pending actions' : `Flush ${names.get(id) ?? 'rule'}`))));
    } catch (err) {
      body.replaceChildren(alertBox(err.message));
    }
  };
  const flush = async (id, button) => {
    button.disabled = true;
    try {
      const res = await api.post(`/v1/rules/${id}/flush`, {});
      const text = `Flushed: ${res.cancelled} pending action${res.cancelled === 1 ? '' : 's'} cancelled.`;
      msg.replaceChildren(alertBox(text, 'info'));
      announce(text);
      await load();
      onFlushed?.();
    } catch (err) {
      button.disabled = false;
      msg.replaceChildren(alertBox(err.message));
    }
  };
  load();
  return { el: sec, reload: load };
}

const money = (sum, currency) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(sum);
  } catch {
    return `${sum} ${currency}`;
  }
};

/** Revenue totals per currency (GET /v1/revenue) for the same rule and dates. */
export function revenueSection() {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'rev-h' }, h('h2', { id: 'rev-h' }, 'Revenue'));
  const body = h('div');
  sec.append(body);
  const load = async (f) => {
    try {
      const res = await api.get(`/v1/revenue${qs({ ...f, limit: 1 })}`);
      body.replaceChildren(res.totals.length
        ? h('ul', { class: 'progress-summary list' }, res.totals.map((t) => h('li', { class: 'stat' }, h('strong', {}, money(t.sum, t.currency)), `${t.count} entr${t.count === 1 ? 'y' : 'ies'}`)))
        : h('p', { class: 'muted' }, 'No revenue logged for these filters.'));
    } catch (err) {
      body.replaceChildren(alertBox(err.details?.length ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message));
    }
  };
  return { el: sec, load };
}
