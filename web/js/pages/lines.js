import { api, ApiError, getAll } from '../api.js';
import { check, num, text } from '../controls.js';
import { alertBox, announce, field, h, pageTitle, showFieldErrors, spinner } from '../dom.js';
import { addLineForm, lineSetupSection, messagingServiceField } from '../line-setup.js';
import { trackingLineSection } from './tracking-line.js';

const USES = { code_activation: 'code activation', conference: 'conference', pager: 'pager' };
// Lines without their own pace use the server's DEFAULT_*_PER_SECOND, 0 (no limit) unless configured.
const NO_PACE = 'server default (no limit unless configured)';
/** One number as text; several as a list, said in the order (or all at once) they ring. */
const forwardTo = (t) => {
  const list = [].concat(t.forwardTo);
  if (list.length === 1) return list[0];
  const together = t.ringStrategy === 'simultaneous';
  return h('div', {}, h('span', { class: 'muted' }, together ? 'All at once: ' : 'In turn: '),
    h(together ? 'ul' : 'ol', { class: 'flush' }, list.map((n) => h('li', {}, n))));
};
const pace = (v) => (typeof v === 'number' ? String(v) : `Not set: ${NO_PACE}`);

export async function render(main, _route, ctx) {
  const list = h('ul', { class: 'list' });
  const empty = alertBox('No phone lines yet.', 'info');
  // Admins add lines here; a new Twilio line shows what the check of its number found.
  const add = ctx.isAdmin ? h('button', {
    type: 'button', class: 'primary',
    onclick: async () => {
      main.querySelector('form[aria-label="Add a phone line"]')?.remove();
      const form = await addLineForm(async (line) => {
        form.remove();
        empty.remove();
        list.prepend(await lineCard(line, ctx));
      }, () => { form.remove(); add.focus(); });
      list.before(form);
    },
  }, 'Add line') : null;
  main.append(pageTitle('Phone lines', ...(add ? [add] : [])), spinner());
  const lines = await getAll('/v1/lines');
  main.lastChild.remove();
  main.append(list);
  if (!lines.length) list.before(empty);
  for (const line of lines) list.append(await lineCard(line, ctx));
}

async function lineCard(line, ctx) {
  const linked = await api.get(`/v1/lines/${line.id}/workflows`).then((r) => r.data).catch(() => []);
  const s = line.settings ?? {};
  const headingId = `line-${line.id}`;
  const li = h('li', { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId, class: 'flush' }, `${line.name || 'Line'} · ${line.phoneNumber}`),
    h('div', { class: 'meta' }, h('span', { class: 'tag' }, line.provider), h('span', { class: 'tag' }, `${line.mode} line`),
      s.knownContactsOnly ? h('span', { class: 'tag' }, 'known contacts only') : null),
    h('p', {}, h('strong', {}, 'Greeting: '), line.greeting),
    h('dl', { class: 'grid2' },
      h('div', {}, h('dt', {}, 'SMS per second'), h('dd', {}, pace(s.smsPerSecond))),
      h('div', {}, h('dt', {}, 'Calls per second'), h('dd', {}, pace(s.callsPerSecond))),
      s.tracking?.forwardTo ? h('div', {}, h('dt', {}, 'Forwards to'), h('dd', {}, forwardTo(s.tracking))) : null),
    trackingLineSection(line, ctx, async (updated) => li.replaceWith(await lineCard(updated, ctx))),
    lineSetupSection(line, ctx),
    h('h3', { class: 'small' }, 'Linked workflows'),
    linked.length
      ? h('ul', {}, linked.map((w) => h('li', {}, h('a', { href: `#/workflows/${w.id}` }, w.name), ` — ${w.uses.map((u) => USES[u] ?? u).join(', ')}`, w.status === 'paused' ? ' (paused)' : '')))
      : h('p', { class: 'muted' }, 'No workflow uses this line.'),
    h('div', { class: 'form-actions' },
      h('a', { class: 'button', href: `#/softphone?line=${line.id}` }, 'Try it in the softphone'),
      ctx.isAdmin ? h('button', { type: 'button', onclick: () => li.append(editForm(line, li, ctx)) }, 'Edit settings') : null));
  return li;
}

function editForm(line, li, ctx) {
  li.querySelector('form')?.remove();
  const m = { name: line.name, greeting: line.greeting, knownContactsOnly: !!line.settings?.knownContactsOnly, smsPerSecond: line.settings?.smsPerSecond ?? null, callsPerSecond: line.settings?.callsPerSecond ?? null, messagingServiceSid: line.messagingServiceSid ?? '' };
  const status = h('div');
  const form = h('form', { novalidate: true, 'aria-label': `Settings of ${line.phoneNumber}` }, status,
    field('Name', text(m, 'name', { maxlength: 200 }), { path: 'name' }),
    field('Greeting', text(m, 'greeting', { maxlength: 1000 }), { path: 'greeting', hint: 'Spoken when someone calls the line.' }),
    line.provider === 'twilio' ? messagingServiceField(m) : null,
    check(m, 'knownContactsOnly', 'Only known contacts may activate workflows on this line', 'settings.knownContactsOnly'),
    h('div', { class: 'grid2' },
      field('SMS per second', num(m, 'smsPerSecond', { min: 0.1, step: 0.1 }), { path: 'settings.smsPerSecond', hint: `Empty: ${NO_PACE}. A Twilio long code takes about 1.` }),
      field('Calls per second', num(m, 'callsPerSecond', { min: 0.1, step: 0.1 }), { path: 'settings.callsPerSecond', hint: `Empty: ${NO_PACE}.` })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const updated = await api.patch(`/v1/lines/${line.id}`, {
        name: m.name, greeting: m.greeting,
        ...(line.provider === 'twilio' ? { messagingServiceSid: m.messagingServiceSid.trim() || null } : {}),
        settings: { knownContactsOnly: m.knownContactsOnly, smsPerSecond: m.smsPerSecond, callsPerSecond: m.callsPerSecond },
      });
      announce('Line saved');
      li.replaceWith(await lineCard(updated, ctx));
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  });
  setTimeout(() => form.querySelector('input')?.focus());
  return form;
}
