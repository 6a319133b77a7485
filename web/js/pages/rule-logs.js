import { api, getAll, qs } from '../api.js';
import { alertBox, badge, field, formatTime, h, pageTitle, select, showFieldErrors, spinner } from '../dom.js';
import { loopBanner, ruleTabs } from '../rule-common.js';
import { words } from '../rule-conditions.js';
import { pendingSection, revenueSection } from '../rule-pending.js';

/** A rule's Logs tab (`#/rules/:id/logs`) or every rule's log (`#/rule-logs`): evaluations, actions, pending, revenue. */
export async function render(main, { params, query }) {
  const ruleId = params[0] ?? null;
  main.append(spinner());
  const [rule, rules, contactList, lists, catalog] = await Promise.all([
    ruleId ? api.get(`/v1/rules/${ruleId}`) : null,
    api.get('/v1/rules').then((r) => r.data).catch(() => []),
    getAll('/v1/contacts', 500).catch(() => []),
    api.get('/v1/lists').then((r) => r.data).catch(() => []),
    api.get('/v1/rules/fields').catch(() => ({ actionTypes: [] })),
  ]);
  main.replaceChildren(pageTitle(rule ? `Logs: ${rule.name}` : 'Rule logs', rule ? badge(rule.enabled ? 'active' : 'disabled') : h('a', { class: 'button', href: '#/rules' }, 'Rules')));
  if (rule) main.append(ruleTabs(rule, 'logs'), loopBanner(rule) ?? '');
  const byId = new Map(rules.map((r) => [r.id, r]));
  if (rule) byId.set(rule.id, rule);
  const names = new Map([...byId.values()].map((r) => [r.id, r.name]));
  const contacts = new Map(contactList.map((c) => [c.id, c.name || c.phone || c.email || 'contact']));

  const f = { from: query.get('from') ?? '', to: query.get('to') ?? '', contactId: query.get('contactId') ?? '', listId: query.get('listId') ?? '', actionType: query.get('actionType') ?? '' };
  const bind = (key) => (e) => (f[key] = e.target.value);
  const date = (key) => h('input', { type: 'date', value: f[key], oninput: bind(key) });
  const form = h('form', { class: 'card', role: 'search', 'aria-label': 'Filter rule logs', novalidate: true },
    h('div', { class: 'grid3' },
      field('From', date('from'), { path: 'querystring.from' }),
      field('To', date('to'), { path: 'querystring.to', hint: 'Inclusive.' }),
      field('Contact', select([['', 'Any contact'], ...[...contacts]], f.contactId, { onchange: bind('contactId') }), { path: 'querystring.contactId' }),
      field('List', select([['', 'Any list'], ...lists.map((l) => [l.id, l.name])], f.listId, { onchange: bind('listId') }), { path: 'querystring.listId' }),
      field('Action type', select([['', 'Any action type'], ...catalog.actionTypes.map((t) => [t, words(t)])], f.actionType, { onchange: bind('actionType') }), { path: 'querystring.actionType' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')));

  const revenue = revenueSection();
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('div');
  // Dates are whole days in the browser's zone; "To" includes its day.
  const range = () => {
    const day = (s, plus = 0) => {
      const [y, m, d] = s.split('-').map(Number);
      return new Date(y, m - 1, d + plus).toISOString();
    };
    return { from: f.from ? day(f.from) : undefined, to: f.to ? day(f.to, 1) : undefined };
  };
  const load = async (cursor) => {
    const filters = { ...range(), contactId: f.contactId, listId: f.listId, actionType: f.actionType, ruleId };
    try {
      const page = await api.get(`/v1/rule-logs${qs({ ...filters, limit: 100, cursor })}`);
      showFieldErrors(form, []);
      if (!cursor) results.replaceChildren();
      results.append(...groups(page.data).map((g) => groupCard(g, byId, contacts, !ruleId)));
      if (!results.childElementCount) results.append(h('p', { class: 'muted' }, 'No evaluation matches these filters.'));
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Older entries') : '');
    } catch (err) {
      const rest = showFieldErrors(form, err.details ?? []);
      results.replaceChildren(alertBox(rest.length ? rest.map((d) => `${d.path}: ${d.message}`).join('; ') : err.details?.length ? 'Check the filters.' : err.message));
    }
    if (!cursor) revenue.load({ ruleId, contactId: f.contactId, from: filters.from, to: filters.to });
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  const pending = pendingSection(ruleId, names, contacts, () => load());
  main.append(pending.el, form, revenue.el,
    h('section', { 'aria-labelledby': 'ev-h' }, h('h2', { id: 'ev-h' }, 'Evaluations'), results, more));
  await load();
}

/** Log lines of one page grouped per (rule, event), in the page's order (newest first). */
function groups(lines) {
  const out = new Map();
  for (const l of lines) {
    const key = `${l.ruleId}:${l.eventId ?? l.id}`;
    if (!out.has(key)) out.set(key, { ruleId: l.ruleId, eventId: l.eventId, contactId: l.contactId, evaluation: null, actions: [], at: l.at });
    const g = out.get(key);
    if (l.kind === 'evaluation') g.evaluation = l;
    else g.actions.unshift(l); // oldest first inside the group
  }
  return [...out.values()];
}

const valueText = (v) => (v === undefined ? '' : Array.isArray(v) ? v.join(' – ') : v && typeof v === 'object' ? `${v.direction ?? 'past'} ${v.amount} ${v.unit}` : String(v));

/** Each condition's result: from the log when it has them, else only the failing one is known. */
function conditionResults(ev, rule) {
  const d = ev.detail ?? {};
  const conds = rule?.conditions ?? [];
  if (Array.isArray(d.conditions)) {
    return d.conditions.map((c, i) => ({ ...c, value: conds[i]?.field === c.field ? conds[i].value : undefined }));
  }
  if (ev.outcome === 'not_matched' && typeof d.condition === 'number') {
    return conds.map((c, i) => ({ ...c, matched: i < d.condition ? true : i === d.condition ? false : null }));
  }
  return [];
}

const detailText = (d = {}) => [
  d.reason ? words(d.reason) : null, d.error ?? null, d.code ? `code ${d.code}` : null,
  d.dueAt ? `due ${formatTime(d.dueAt)}` : null, d.channel ? `via ${d.channel}` : null,
].filter(Boolean).join(' · ');

function groupCard(g, rules, contacts, showRule) {
  const ev = g.evaluation;
  const rule = rules.get(g.ruleId);
  const conds = ev ? conditionResults(ev, rule) : [];
  const loop = ev?.outcome === 'loop_cut';
  return h('article', { class: `card log-group${loop ? ' loop' : ''}` },
    h('h3', {}, formatTime(ev?.at ?? g.at), showRule ? ` · ${rule?.name ?? 'deleted rule'}` : '', ' · ',
      g.contactId ? h('a', { href: `#/contacts/${g.contactId}` }, contacts.get(g.contactId) ?? 'contact') : 'no contact', ' ',
      ev ? badge(ev.outcome) : null),
    loop ? h('div', { class: 'alert error', role: 'note' }, h('strong', {}, 'Loop protection cut this evaluation'),
      `: the event was raised by ${ev.detail?.causedByRule === g.ruleId ? 'this rule\'s own action' : 'a chain of rule actions'} (chain depth ${ev.detail?.chainDepth ?? '?'}); loop ${ev.detail?.loopCount ?? '?'}.`,
      ev.detail?.disabled ? ' The rule was disabled.' : '') : null,
    ev && !loop && ev.outcome !== 'matched' && ev.outcome !== 'not_matched' && detailText(ev.detail) ? h('p', {}, detailText(ev.detail)) : null,
    conds.length ? h('ul', { class: 'cond-results', 'aria-label': 'Conditions' }, conds.map((c, i) => h('li', {},
      badge(c.matched === true ? 'matched' : c.matched === false ? 'failed' : 'not_checked'),
      ` Condition ${i + 1}: `, h('span', { class: 'mono' }, `${c.field} ${words(c.operator)} ${valueText(c.value)}`.trim())))) : null,
    g.actions.length ? h('ul', { class: 'act-results', 'aria-label': 'Actions' }, g.actions.map((a) => h('li', {},
      badge(a.outcome), ` ${a.actionId ?? ''} · ${words(a.actionType)}`, detailText(a.detail) ? ` · ${detailText(a.detail)}` : '',
      a.detail?.activationId ? [' · ', h('a', { href: `#/activations/${a.detail.activationId}` }, 'activation')] : null))) : null);
}
