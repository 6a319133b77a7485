// Callbacks (#/callbacks): the calls rules booked (schedule_callback, place_call), by due time, with their
// outcome; admins move a scheduled one to another time (PATCH /v1/callbacks/:id) or cancel it (POST …/cancel).
import { api, ApiError, getAll, qs } from '../api.js';
import { alertBox, announce, badge, confirmDialog, field, formatTime, h, nextId, pageTitle, select, showFieldErrors, spinner } from '../dom.js';

const STATUSES = [['', 'Any status'], ['scheduled', 'Scheduled'], ['calling', 'Calling'], ['completed', 'Completed'], ['failed', 'Failed'], ['cancelled', 'Cancelled']];
const REASONS = {
  no_answer: 'nobody answered', busy: 'the line was busy', failed: 'the call failed', agent_unavailable: 'no agent could be reached',
  agent_hung_up: 'the agent hung up before the contact was connected', do_not_contact: 'the contact is not to be called (do-not-contact)',
  quiet_hours: 'quiet hours', no_phone: 'the contact has no phone number', no_line: 'the line is gone',
};

// A local date-time input value ("2026-05-01T14:30") for a Date, in the browser's zone.
const localValue = (d) => {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

export async function render(main, { query }, ctx) {
  main.append(pageTitle('Callbacks', h('a', { class: 'button', href: '#/rules' }, 'Rules')), spinner());
  const [contacts, rules, lines, groups] = await Promise.all([
    getAll('/v1/contacts', 1000).catch(() => []),
    api.get('/v1/rules').then((r) => r.data).catch(() => []),
    getAll('/v1/lines').catch(() => []),
    getAll('/v1/groups').catch(() => []),
  ]);
  main.lastChild.remove();
  const names = {
    contact: new Map(contacts.map((c) => [c.id, c.name || c.phone || c.email || 'a contact'])),
    rule: new Map(rules.map((r) => [r.id, r.name])),
    line: new Map(lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`])),
    group: new Map(groups.map((g) => [g.id, g.name])),
  };
  const f = { status: query.get('status') ?? 'scheduled', contactId: query.get('contactId') ?? '' };
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('div');
  const filters = h('form', { class: 'card', role: 'search', 'aria-label': 'Filter callbacks', novalidate: true },
    h('p', { class: 'muted flush' }, 'Rules book these calls (schedule callback, place call): the agent is called first, then the contact.'),
    h('div', { class: 'grid2' },
      field('Status', select(STATUSES, f.status, { onchange: (e) => (f.status = e.target.value) }), { path: 'querystring.status' }),
      field('Contact', select([['', 'Any contact'], ...names.contact], f.contactId, { onchange: (e) => (f.contactId = e.target.value) }), { path: 'querystring.contactId' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show')));
  const list = h('ul', { class: 'list', 'aria-label': 'Callbacks' });
  const load = async (cursor) => {
    try {
      const page = await api.get(`/v1/callbacks${qs({ status: f.status, contactId: f.contactId, limit: 50, cursor })}`);
      showFieldErrors(filters, []);
      if (!cursor) list.replaceChildren();
      list.append(...page.data.map((cb) => item(cb, names, ctx)));
      results.replaceChildren(list.childElementCount ? list : h('p', { class: 'muted' }, 'No callback matches these filters.'));
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Later callbacks') : '');
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(filters, err.details) : [];
      results.replaceChildren(alertBox(rest.length || !err.details?.length ? err.message : 'Check the filters.'));
    }
  };
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  main.append(filters, results, more);
  await load();
}

const agentText = (cb, names) => (cb.agentGroupId ? `agent group ${names.group.get(cb.agentGroupId) ?? '(deleted)'}`
  : cb.agentNumber ? cb.agentNumber : 'the line\'s forward numbers');

function item(cb, names, ctx) {
  const who = names.contact.get(cb.contactId) ?? 'a contact';
  const headingId = nextId('cbk');
  const status = h('div', { 'aria-live': 'polite' });
  const moveBox = h('div');
  const li = h('li', { class: 'item', 'aria-labelledby': headingId });
  const draw = () => {
    const open = cb.status === 'scheduled';
    li.replaceChildren(
      h('div', {},
        h('h2', { id: headingId, class: 'flush small' }, `Callback to ${who}`, ' ', badge(cb.status)),
        h('div', {}, `${open ? 'Due' : 'Was due'} ${formatTime(cb.dueAt)} · ${cb.kind === 'immediate' ? 'placed at once' : 'scheduled'}`),
        h('div', { class: 'muted' }, `From ${names.line.get(cb.lineId) ?? 'a deleted line'} · agents: ${agentText(cb, names)}`),
        cb.ruleId ? h('div', { class: 'muted' }, 'Rule: ', h('a', { href: `#/rules/${cb.ruleId}` }, names.rule.get(cb.ruleId) ?? 'a deleted rule')) : null,
        cb.status === 'completed' ? h('div', {}, `Answered by ${cb.answeredBy ?? 'an agent'}${cb.talkSeconds !== null ? `, talked ${cb.talkSeconds} s` : ''}`) : null,
        cb.reason ? h('div', {}, `Reason: ${REASONS[cb.reason] ?? cb.reason.replace(/_/g, ' ')}`) : null,
        status, moveBox),
      open && ctx.isAdmin ? h('div', { class: 'row-actions' },
        h('button', { type: 'button', 'aria-label': `Move callback to ${who}`, onclick: (e) => openMove(e.currentTarget) }, 'Move'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Cancel callback to ${who}`, onclick: cancel }, 'Cancel callback')) : null);
  };
  const cancel = async (e) => {
    const asked = await confirmDialog({
      title: `Cancel the callback to ${who}?`, body: h('p', {}, `It is due ${formatTime(cb.dueAt)}. Nobody will be called.`),
      confirm: 'Cancel callback', confirmClass: 'danger', keep: 'Keep it',
    }, e.currentTarget);
    if (!asked) return;
    try {
      Object.assign(cb, await api.post(`/v1/callbacks/${cb.id}/cancel`, {}));
      announce(`Callback to ${who} cancelled`);
      draw();
      li.querySelector('h2')?.setAttribute('tabindex', '-1');
      li.querySelector('h2')?.focus();
    } catch (err) {
      status.replaceChildren(alertBox(err.message));
    }
  };
  const openMove = (opener) => {
    const m = { at: localValue(new Date(cb.dueAt)) };
    const form = h('form', { novalidate: true, 'aria-label': `Move callback to ${who}` },
      field('New time', h('input', { type: 'datetime-local', value: m.at, required: true, oninput: (e) => (m.at = e.target.value) }), { path: 'dueAt', hint: 'Your local time.' }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save time'),
        h('button', { type: 'button', onclick: () => { moveBox.replaceChildren(); opener.focus(); } }, 'Keep the time')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const when = new Date(m.at);
      if (!m.at || Number.isNaN(when.getTime())) {
        showFieldErrors(form, [{ path: 'dueAt', message: 'give a date and a time' }]);
        return;
      }
      try {
        Object.assign(cb, await api.patch(`/v1/callbacks/${cb.id}`, { dueAt: when.toISOString() }));
        announce(`Callback to ${who} moved to ${formatTime(cb.dueAt)}`);
        moveBox.replaceChildren();
        status.replaceChildren();
        draw();
        li.querySelector('button')?.focus();
      } catch (err) {
        const rest = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
        if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
      }
    });
    moveBox.replaceChildren(form);
    form.querySelector('input')?.focus();
  };
  draw();
  return li;
}
