// Outbox: what the simulator provider "sent" (texts, calls) and what the mail catcher
// (SMTP_URL=catcher, the quick start's default) received instead of e-mailing anyone.
import { api } from '../api.js';
import { alertBox, badge, formatTime, h, pageTitle, spinner } from '../dom.js';

export async function render(main) {
  const emailBox = h('div', {}, spinner());
  const phoneBox = h('div', {}, spinner());
  main.append(
    pageTitle('Outbox', h('button', { type: 'button', onclick: () => refresh() }, 'Refresh')),
    h('p', { class: 'muted' }, 'Nothing here left this machine: the simulator keeps texts and calls, the mail catcher keeps e-mails.'),
    h('section', { 'aria-labelledby': 'outbox-email-h' }, h('h2', { id: 'outbox-email-h' }, 'E-mail'), emailBox),
    h('section', { 'aria-labelledby': 'outbox-phone-h' }, h('h2', { id: 'outbox-phone-h' }, 'Texts and calls'), phoneBox),
  );
  const refresh = async () => {
    const [mail, phone] = await Promise.allSettled([api.get('/v1/simulator/emails?limit=100'), api.get('/v1/simulator/outbox?limit=100')]);
    emailBox.replaceChildren(mail.status === 'rejected' ? alertBox(mail.reason.message) : emails(mail.value));
    phoneBox.replaceChildren(phone.status === 'rejected' ? alertBox(phone.reason.message) : texts(phone.value.data));
  };
  await refresh();
}

function emails({ catcher, data }) {
  if (!catcher) return alertBox('E-mail goes to a real SMTP server here (SMTP_URL), so nothing is kept. Set SMTP_URL=catcher to keep e-mails here instead.', 'info');
  if (!data.length) return h('p', { class: 'muted' }, 'No e-mails yet. Activate a workflow with an e-mail action.');
  return h('div', {}, data.map((m) => h('article', { class: 'card', 'aria-label': `E-mail to ${m.to.join(', ')}: ${m.subject}` },
    h('h3', {}, m.subject || '(no subject)'),
    h('p', { class: 'muted' }, `To ${m.to.join(', ')} · from ${m.from ?? '—'} · ${formatTime(m.receivedAt)}`,
      m.activationId ? h('span', {}, ' · ', h('a', { href: `#/activations/${m.activationId}` }, 'activation')) : null),
    h('pre', {}, m.text))));
}

function texts(data) {
  if (!data.length) return h('p', { class: 'muted' }, 'No texts or calls yet.');
  // table.stack: at phone width each row is a block with its labels, rather than a table wider than the screen.
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
    h('caption', { class: 'sr-only' }, 'Texts and calls the simulator kept, newest first'),
    h('thead', {}, h('tr', {}, ['When', 'Kind', 'From', 'To', 'Text', 'Status'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, data.map((m) => h('tr', {},
      h('th', { scope: 'row' }, formatTime(m.createdAt)), h('td', { 'data-label': 'Kind' }, m.kind === 'sms' ? 'Text' : 'Call'),
      h('td', { 'data-label': 'From' }, m.from), h('td', { 'data-label': 'To' }, m.to),
      h('td', { 'data-label': 'Text' }, m.body ?? (m.sendDigits ? `digits ${m.sendDigits}` : '—')),
      h('td', { 'data-label': 'Status' }, badge(m.status)))))));
}
