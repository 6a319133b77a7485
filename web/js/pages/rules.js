import { api } from '../api.js';
import { alertBox, announce, badge, h, nextId, pageTitle, spinner } from '../dom.js';
import { loopBanner } from '../rule-common.js';
import { words } from '../rule-conditions.js';

const timingText = (t) => {
  if (!t || t.type === 'immediate') return 'now';
  const parts = [['days', 'd'], ['hours', 'h'], ['minutes', 'min']].filter(([k]) => t[k]).map(([k, u]) => `${t[k]} ${u}`).join(' ') || '0 min';
  return t.type === 'delay' ? `after ${parts}` : `${parts} ${t.direction} ${t.field}`;
};
const scopeText = (s) => (s?.type === 'account' ? 'all' : `${s.ids.length} ${s.type}`);
// The API refuses read-only fields on write: send back only what an action is made of.
const actionIn = ({ authorizationSet: _a, ...a }) => a;

/** Rules with an Active switch for each rule and each of its actions (PATCH /v1/rules/:id). */
export async function render(main, _route, ctx) {
  main.append(pageTitle('Rules',
    h('a', { class: 'button', href: '#/rule-logs' }, 'Rule logs'),
    h('a', { class: 'button', href: '#/callbacks' }, 'Callbacks'),
    ctx.isAdmin ? h('a', { class: 'button primary', href: '#/rules/new' }, 'New rule') : null), spinner());
  let rules;
  try {
    rules = (await api.get('/v1/rules')).data;
  } catch (err) {
    main.lastChild.replaceWith(alertBox(err.message));
    return;
  }
  main.lastChild.remove();
  main.append(rules.length
    ? h('ul', { class: 'list' }, rules.map((r) => ruleItem(r, ctx)))
    : h('p', { class: 'muted' }, 'No rule yet. A rule runs actions when an event about a contact matches its conditions.'));
}

function toggle(label, checked, disabled, onchange) {
  const id = nextId('tg');
  return h('span', { class: 'switch' },
    h('input', { type: 'checkbox', role: 'switch', id, checked, disabled, 'aria-label': label, onchange }),
    h('label', { for: id, 'aria-hidden': 'true' }, 'Active'));
}

function ruleItem(rule, ctx) {
  const li = h('li', { class: 'item rule-item' });
  const status = h('span');
  const msg = h('div', { 'aria-live': 'polite' });
  const draw = () => {
    status.replaceChildren(badge(rule.enabled ? 'active' : 'disabled'));
    li.replaceChildren(
      h('div', { class: 'grow' },
        h('h2', {}, h('a', { href: `#/rules/${rule.id}` }, rule.name), ' ', status),
        h('div', { class: 'meta' }, h('span', { class: 'tag' }, rule.eventType), h('span', { class: 'tag' }, `relation: ${scopeText(rule.scope)}`),
          h('span', { class: 'tag' }, `${rule.conditions.length} condition${rule.conditions.length === 1 ? '' : 's'}`),
          rule.rolloutPercent < 100 ? h('span', { class: 'tag' }, `perform on ${rule.rolloutPercent}%`) : null,
          rule.window !== 'always' ? h('span', { class: 'tag' }, `window ${rule.window}`) : null),
        loopBanner(rule),
        h('ol', { class: 'rule-actions' }, rule.actions.map((a, i) => h('li', {},
          toggle(`Active: ${rule.name}, action ${i + 1} (${words(a.type)})`, a.active, !ctx.isAdmin, (e) => setAction(i, e.target)),
          ` Action ${i + 1}: ${words(a.type)}${a.name ? ` “${a.name}”` : ''} · ${timingText(a.timing)}`))),
        msg),
      h('div', { class: 'row-actions' },
        toggle(`Active: ${rule.name}`, rule.enabled, !ctx.isAdmin, (e) => setRule(e.target)),
        h('a', { class: 'button', href: `#/rules/${rule.id}` }, ctx.isAdmin ? 'Edit' : 'View'),
        h('a', { class: 'button', href: `#/rules/${rule.id}/logs` }, 'Logs')));
  };
  const save = async (patch, input, what) => {
    input.disabled = true;
    msg.replaceChildren();
    try {
      Object.assign(rule, await api.patch(`/v1/rules/${rule.id}`, patch));
      announce(`${what} ${input.checked ? 'active' : 'inactive'}`);
      // Keep focus on the switch: update in place rather than redraw.
      input.disabled = false;
      status.replaceChildren(badge(rule.enabled ? 'active' : 'disabled'));
      if (!rule.disabledReason && !rule.loopCount) li.querySelector('.loop-banner')?.remove();
    } catch (err) {
      input.checked = !input.checked;
      input.disabled = false;
      msg.replaceChildren(alertBox(err.details?.length ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message));
    }
  };
  const setRule = (input) => save({ enabled: input.checked }, input, rule.name);
  const setAction = (i, input) => save({ actions: rule.actions.map((a, j) => actionIn(j === i ? { ...a, active: input.checked } : a)) }, input, `${rule.name}, action ${i + 1}`);
  draw();
  return li;
}
