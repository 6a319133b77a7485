// Call tracking: the post-call workflows (list, active toggle, edit, delete) and the log of their runs.
import { api, ApiError, getAll } from '../api.js';
import { alertBox, announce, badge, confirmDialog, h, nextId, pageTitle, spinner } from '../dom.js';
import { runLog } from '../tracking-logs.js';

const ACTIONS = { sms_caller: 'text the caller', email_owners: 'e-mail the owners', webhook: 'webhook', activate_workflow: 'activate a workflow' };

export async function render(main, _route, ctx) {
  main.append(pageTitle('Call tracking', ctx.isAdmin ? h('a', { class: 'button primary', href: '#/tracking/new' }, 'New post-call workflow') : null), spinner());
  let workflows;
  try {
    workflows = (await api.get('/v1/tracking-workflows')).data;
  } catch (err) {
    main.lastChild.replaceWith(alertBox(err.message));
    return;
  }
  main.lastChild.remove();
  const flash = sessionStorage.getItem('sb-flash');
  if (flash) {
    sessionStorage.removeItem('sb-flash');
    main.append(alertBox(flash, 'info'));
  }
  const lines = new Map((await getAll('/v1/lines').catch(() => [])).map((l) => [l.id, `${l.name || 'Line'} (${l.phoneNumber})`]));
  const wfSection = h('section', { class: 'card', 'aria-labelledby': 'tw-h' }, h('h2', { id: 'tw-h' }, 'Post-call workflows'),
    h('p', { class: 'muted' }, 'They run when a call to a tracking line ends. Set a line up for tracking on the ', h('a', { href: '#/lines' }, 'Phone lines'), ' page.'));
  wfSection.append(workflows.length
    ? h('ul', { class: 'list' }, workflows.map((w) => workflowItem(w, lines, ctx)))
    : h('p', { class: 'muted' }, 'No post-call workflow yet.'));
  main.append(wfSection, runLog(workflows));
  import('./tracking-dni.js').then((m) => main.append(m.dniSection(ctx))); // website numbers (DNI): snippet and sources
}

const conditionText = (c, lines) => {
  if (c.type === 'duration') return `talk time ${c.operator === 'greater_than' ? 'over' : 'under'} ${c.seconds} s`;
  if (c.type === 'caller_frequency') {
    return c.operator === 'first_call' ? 'first call from this number' : `${c.operator.replace('_', ' ')} ${c.calls} calls in ${c.days} days`;
  }
  if (c.type === 'source') return `came in on ${[...c.lineIds.map((id) => lines.get(id) ?? 'a deleted line'), ...c.campaigns].join(' or ')}`;
  return c.type;
};

// The API shape of a stored workflow, for a PUT that changes only `enabled` (a webhook's stored Authorization is kept).
const asInput = (w, enabled) => ({
  name: w.name, enabled, trigger: w.trigger, conditions: w.conditions,
  actions: w.actions.map(({ authorizationSet: _a, ...a }) => a),
});

function workflowItem(w, lines, ctx) {
  const headingId = nextId('tw');
  const status = h('span', {});
  const toggleId = nextId('cb');
  const toggle = ctx.isAdmin ? h('span', { class: 'check' },
    h('input', { type: 'checkbox', id: toggleId, checked: w.enabled, onchange: async (e) => {
      const want = e.target.checked;
      e.target.disabled = true;
      try {
        Object.assign(w, await api.put(`/v1/tracking-workflows/${w.id}`, asInput(w, want)));
        state.replaceChildren(badge(w.enabled ? 'active' : 'disabled'));
        announce(`${w.name} is ${w.enabled ? 'active' : 'off'}`);
        status.replaceChildren();
      } catch (err) {
        e.target.checked = !want;
        status.replaceChildren(alertBox(err instanceof ApiError ? err.message : String(err)));
      } finally {
        e.target.disabled = false;
      }
    } }),
    h('label', { for: toggleId }, `Active: ${w.name}`)) : null;
  const state = h('span', {}, badge(w.enabled ? 'active' : 'disabled'));
  const li = h('li', { class: 'item', 'aria-labelledby': headingId },
    h('div', {},
      h('h3', { id: headingId, class: 'flush small' }, w.name, ' ', state),
      h('div', {}, `After ${w.trigger === 'missed' ? 'a missed' : 'an answered'} call`),
      w.conditions.length ? h('div', { class: 'muted' }, `When: ${w.conditions.map((c) => conditionText(c, lines)).join('; ')}`) : null,
      h('div', {}, `Then: ${w.actions.map((a) => ACTIONS[a.type] ?? a.type).join(', ') || 'nothing'}`), status),
    ctx.isAdmin ? h('div', { class: 'row-actions' }, toggle,
      h('a', { class: 'button', href: `#/tracking/${w.id}`, 'aria-label': `Edit ${w.name}` }, 'Edit'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${w.name}`, onclick: async (e) => {
        const asked = await confirmDialog({
          title: `Delete the post-call workflow “${w.name}”?`, body: h('p', {}, 'Its past runs stay in the log.'),
          confirm: 'Delete', confirmClass: 'danger', keep: 'Keep it',
        }, e.currentTarget);
        if (!asked) return;
        try {
          await api.del(`/v1/tracking-workflows/${w.id}`);
          announce(`Deleted ${w.name}`);
          li.remove();
        } catch (err) {
          status.replaceChildren(alertBox(err.message));
        }
      } }, 'Delete')) : null);
  return li;
}
