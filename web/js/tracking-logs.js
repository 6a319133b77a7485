// The post-call run log (GET /v1/tracking-logs): each run with every condition's result and each action's outcome.
import { api, qs } from './api.js';
import { alertBox, badge, formatTime, h, nextId } from './dom.js';

const ACTIONS = { sms_caller: 'Text the caller', email_owners: 'E-mail the owners', webhook: 'Webhook', activate_workflow: 'Activate a workflow' };
const CONDITIONS = { duration: 'Talk time', caller_frequency: 'Caller frequency', source: 'Source' };

const met = (ok) => h('span', { class: `badge ${ok ? 'b-active' : 'b-failed'}` }, ok ? 'met' : 'not met');

function runItem(l, names) {
  const headingId = nextId('run');
  return h('li', { class: 'card', 'aria-labelledby': headingId },
    h('h3', { id: headingId, class: 'flush small' }, `${names.get(l.workflowId) ?? l.workflowName} · ${l.caller || 'withheld number'}`),
    h('div', { class: 'meta' }, formatTime(l.createdAt), ' · ', `${l.trigger} call`, ' · ', `source ${l.source}`, ' · ',
      l.matched ? badge('matched') : badge('not_matched')),
    l.conditions.length
      ? h('ul', { class: 'flush', 'aria-label': 'Conditions' }, l.conditions.map((c) => h('li', {},
        met(c.matched), ' ', `${CONDITIONS[c.type] ?? c.type}: ${c.detail}`)))
      : h('p', { class: 'muted tight' }, 'No condition: every call of this kind runs it.'),
    l.actions.length
      ? h('ul', { class: 'flush', 'aria-label': 'Actions' }, l.actions.map((a) => h('li', {},
        `${ACTIONS[a.type] ?? a.type}: `, badge(a.result, (a.reason ?? a.error)?.replace(/_/g, ' ')),
        a.deliveries?.map((d) => [' → ', badge(d.status, d.errorCode ?? d.skipReason?.replace(/_/g, ' '))]),
        a.activationId ? [' ', h('a', { href: `#/activations/${a.activationId}` }, 'activation')] : null)))
      : h('p', { class: 'muted tight' }, l.matched ? 'No action ran.' : 'Actions did not run.'));
}

/** The section, filtered by workflow; `names` maps workflow ids to current names. */
export function runLog(workflows) {
  const names = new Map(workflows.map((w) => [w.id, w.name]));
  const filter = { workflowId: '' };
  const sel = h('select', { id: nextId('f'), onchange: (e) => { filter.workflowId = e.target.value; load(); } },
    h('option', { value: '' }, 'All workflows'), workflows.map((w) => h('option', { value: w.id }, w.name)));
  const body = h('ul', { class: 'list', 'aria-live': 'polite' });
  const more = h('div');
  const refresh = h('button', { type: 'button', onclick: () => load() }, 'Refresh');
  const sec = h('section', { class: 'card', 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Post-call runs'),
    h('div', { class: 'form-actions' }, h('div', { class: 'field' }, h('label', { for: sel.id }, 'Workflow'), sel), refresh), body, more);
  const load = async (cursor) => {
    try {
      const page = await api.get(`/v1/tracking-logs${qs({ limit: 20, cursor, workflowId: filter.workflowId })}`);
      if (!cursor) body.replaceChildren();
      if (!cursor && !page.data.length) body.append(h('li', { class: 'muted' }, 'No tracked call has ended yet.'));
      for (const l of page.data) body.append(runItem(l, names));
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Older runs') : '');
    } catch (err) {
      body.replaceChildren(h('li', {}, alertBox(err.message)));
    }
  };
  load();
  return sec;
}
