import { api } from '../api.js';
import { alertBox, badge, formatTime, h, pageTitle, spinner } from '../dom.js';

/** One contact: details, conversation history (every inbound and outbound message) and sequence status. */
export async function render(main, { params }) {
  main.append(spinner());
  const c = await api.get(`/v1/contacts/${params[0]}`);
  main.replaceChildren(pageTitle(c.name),
    h('section', { class: 'card', 'aria-label': 'Details' }, h('dl', { class: 'grid2' },
      [['Phone', c.phone], ['E-mail', c.email], ['Pager', c.pagerNumber], ['Time zone', c.timezone],
        ['Duty', c.onDuty ? 'on duty' : 'off duty'], ['Opted out of', c.optedOutChannels?.join(', ') || 'nothing'],
        ['Do not contact', c.doNotContact ? 'yes' : 'no'], ['Status', c.status]]
        .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v ?? '—'))))));
  const convo = h('section', { class: 'card', 'aria-labelledby': 'conv-h' }, h('h2', { id: 'conv-h' }, 'Conversation history'), spinner());
  const seq = h('section', { class: 'card', 'aria-labelledby': 'seq-h' }, h('h2', { id: 'seq-h' }, 'Sequences'), spinner());
  main.append(convo, seq);

  try {
    const res = await api.get(`/v1/contacts/${c.id}/messages?limit=100`);
    const msgs = [...(res.data ?? [])].reverse(); // oldest first, like a chat
    convo.lastChild.replaceWith(msgs.length
      ? h('ul', { class: 'transcript', 'aria-label': `Messages with ${c.name}` }, msgs.map((m) => h('li', { class: m.direction === 'inbound' ? 'them' : 'me' },
        h('div', { class: 'hint' }, `${m.direction === 'inbound' ? 'From' : 'To'} ${c.name} · ${m.channel} · ${formatTime(m.createdAt)}`, m.status ? ` · ${m.status}` : ''),
        m.body || h('em', {}, '(no text)'))))
      : h('p', { class: 'muted' }, 'No messages yet.'));
  } catch (err) {
    convo.lastChild.replaceWith(alertBox(err.status === 404 ? 'Conversation history is not available.' : err.message, 'info'));
  }
  try {
    const res = await api.get(`/v1/contacts/${c.id}/sequences`);
    const list = res.data ?? [];
    seq.lastChild.replaceWith(list.length
      ? h('ul', {}, list.map((e) => h('li', {}, `${e.sequenceName ?? e.sequenceId}: `, badge(e.status), ` step ${e.stepIndex + 1}`,
        e.waiting ? ` · ${e.waiting}` : '', e.nextRunAt ? ` · next ${formatTime(e.nextRunAt)}` : '', e.exitReason ? ` · ${e.exitReason}` : '')))
      : h('p', { class: 'muted' }, 'Not enrolled in any sequence.'));
  } catch (err) {
    seq.lastChild.replaceWith(alertBox(err.message, 'info'));
  }
  const rules = h('section', { class: 'card', 'aria-labelledby': 'rules-h' }, h('h2', { id: 'rules-h' }, 'Rule history'));
  main.append(rules);
  try {
    const res = await api.get(`/v1/contacts/${c.id}/rule-history?limit=50`);
    rules.append(res.data.length
      ? h('ul', {}, res.data.map((l) => h('li', {}, formatTime(l.at), ' · ', l.kind, ' ', badge(l.outcome), l.actionType ? ` · ${l.actionType}` : '')))
      : h('p', { class: 'muted' }, 'No rule has run for this contact.'));
  } catch (err) {
    rules.append(alertBox(err.message, 'info'));
  }
}
