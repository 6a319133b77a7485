import { api, getAll, qs } from '../api.js';
import { alertBox, badge, formatTime, h, pageTitle, spinner } from '../dom.js';

const ACTIONS = { sms_caller: 'text the caller', email_owners: 'e-mail the owners', webhook: 'webhook', activate_workflow: 'activate a workflow' };

/** Read-only call tracking: post-call workflows and their latest evaluations (edit them through the API). */
export async function render(main) {
  main.append(pageTitle('Call tracking'), spinner());
  let workflows;
  try {
    workflows = (await api.get('/v1/tracking-workflows')).data;
  } catch (err) {
    main.lastChild.replaceWith(alertBox(err.message));
    return;
  }
  main.lastChild.remove();
  const lines = new Map((await getAll('/v1/lines').catch(() => [])).map((l) => [l.id, `${l.name || 'Line'} (${l.phoneNumber})`]));
  const wfSection = h('section', { class: 'card', 'aria-labelledby': 'tw-h' }, h('h2', { id: 'tw-h' }, 'Post-call workflows'));
  wfSection.append(workflows.length
    ? h('ul', { class: 'list' }, workflows.map((w) => workflowItem(w, lines)))
    : h('p', { class: 'muted' }, 'No post-call workflow yet (POST /v1/tracking-workflows).'));
  main.append(wfSection, logSection(new Map(workflows.map((w) => [w.id, w.name]))));
  import('./tracking-dni.js').then((m) => main.append(m.dniSection())); // website numbers (DNI): snippet and sources
}

const conditionText = (c, lines) => {
  if (c.type === 'duration') return `talk time ${c.operator === 'greater_than' ? 'over' : 'under'} ${c.seconds} s`;
  if (c.type === 'caller_frequency') {
    return c.operator === 'first_call' ? 'first call from this number' : `${c.operator.replace('_', ' ')} ${c.calls} calls in ${c.days} days`;
  }
  if (c.type === 'source') return `came in on ${[...c.lineIds.map((id) => lines.get(id) ?? 'a deleted line'), ...c.campaigns].join(' or ')}`;
  return c.type;
};

const workflowItem = (w, lines) => h('li', {},
  h('strong', {}, w.name), ' ', badge(w.enabled ? 'enabled' : 'disabled'), ` · after ${w.trigger === 'missed' ? 'a missed' : 'an answered'} call`,
  w.conditions.length ? h('div', { class: 'muted' }, `When: ${w.conditions.map((c) => conditionText(c, lines)).join('; ')}`) : null,
  h('div', {}, `Then: ${w.actions.map((a) => ACTIONS[a.type] ?? a.type).join(', ') || 'nothing'}`));

/** The tracking log, newest first: which workflow ran on which call, and what each action did. */
function logSection(names) {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Recent evaluations'));
  const body = h('div', { 'aria-live': 'polite' });
  const more = h('div');
  sec.append(body, more);
  const load = async (cursor) => {
    try {
      const page = await api.get(`/v1/tracking-logs${qs({ limit: 25, cursor })}`);
      if (!cursor) {
        body.replaceChildren(page.data.length ? h('div', { class: 'table-wrap' }, h('table', {},
          h('caption', { class: 'sr-only' }, 'Post-call workflow evaluations'),
          h('thead', {}, h('tr', {}, ['When', 'Workflow', 'Caller', 'Source', 'Result', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody'))) : h('p', { class: 'muted' }, 'No tracked call has ended yet.'));
      }
      const tbody = body.querySelector('tbody');
      for (const l of page.data) tbody?.append(logRow(l, names));
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Older entries') : '');
    } catch (err) {
      body.replaceChildren(alertBox(err.message));
    }
  };
  load();
  return sec;
}

const logRow = (l, names) => h('tr', {},
  h('td', {}, formatTime(l.createdAt)),
  h('td', {}, names.get(l.workflowId) ?? l.workflowName),
  h('td', {}, l.caller || 'withheld'),
  h('td', {}, l.source),
  h('td', {}, l.matched ? badge('matched') : badge('not_matched', l.reason?.replace(/_/g, ' '))),
  h('td', {}, l.actions.length
    ? h('ul', { class: 'flush' }, l.actions.map((a) => h('li', {}, `${ACTIONS[a.type] ?? a.type}: `, badge(a.result, (a.reason ?? a.error)?.replace(/_/g, ' ')),
      a.activationId ? [' ', h('a', { href: `#/activations/${a.activationId}` }, 'activation')] : null)))
    : '—'));
