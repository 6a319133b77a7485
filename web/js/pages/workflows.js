import { api, getAll } from '../api.js';
import { alertBox, announce, badge, h, pageTitle, spinner } from '../dom.js';
import { scheduleSummary } from '../schedule-text.js';

/** How a workflow can be activated, in words: code + line, schedule, dashboard. */
export function activationModes(wf, linesById) {
  const modes = [];
  if (wf.codeActivation) {
    const line = linesById.get(wf.codeActivation.lineId);
    modes.push(`Code ${wf.codeActivation.code} on ${line ? `${line.name || 'line'} ${line.phoneNumber}` : 'a line'}`);
  }
  if (wf.schedule) modes.push(`Schedule: ${scheduleSummary(wf.schedule)}`);
  modes.push('Dashboard and API');
  return modes;
}

export async function render(main, _route, ctx) {
  main.append(pageTitle('Workflows', ctx.isAdmin ? h('a', { class: 'button primary', href: '#/workflows/new' }, 'New workflow') : null));
  const body = h('div', {}, spinner());
  main.append(body);
  const [workflows, lines] = await Promise.all([getAll('/v1/workflows'), getAll('/v1/lines').catch(() => [])]);
  const linesById = new Map(lines.map((l) => [l.id, l]));
  body.replaceChildren();
  if (workflows.length === 0) {
    body.append(alertBox(ctx.isAdmin ? 'No workflows yet. Create one to get started.' : 'No workflows yet. Ask an admin to create one.', 'info'));
    return;
  }
  const list = h('ul', { class: 'list', 'aria-label': 'Workflows' });
  for (const wf of workflows) list.append(item(wf, linesById, ctx));
  body.append(list);
}

function item(wf, linesById, ctx) {
  const headingId = `wf-${wf.id}`;
  const toggle = ctx.isAdmin
    ? h('button', { type: 'button', onclick: async (e) => {
      const btn = e.currentTarget;
      btn.disabled = true;
      try {
        const updated = await api.post(`/v1/workflows/${wf.id}/${wf.status === 'paused' ? 'resume' : 'pause'}`);
        announce(`${wf.name} ${updated.status === 'paused' ? 'paused' : 'resumed'}`);
        li.replaceWith(item(updated, linesById, ctx));
      } catch (err) {
        btn.disabled = false;
        li.append(alertBox(err.message));
      }
    } }, wf.status === 'paused' ? 'Resume' : 'Pause')
    : null;
  const li = h('li', { class: 'item', 'aria-labelledby': headingId },
    h('div', {},
      h('h2', { id: headingId }, wf.name, ' ', badge(wf.status)),
      wf.description ? h('p', { class: 'muted tight' }, wf.description) : null,
      h('div', { class: 'meta', 'aria-label': 'How it can be activated' }, activationModes(wf, linesById).map((m) => h('span', { class: 'tag' }, m))),
      h('div', { class: 'meta' }, h('span', { class: 'muted' }, `${wf.actions.length} action${wf.actions.length === 1 ? '' : 's'} · version ${wf.version}`))),
    h('div', { class: 'row-actions' },
      wf.status === 'active'
        ? h('a', { class: 'button primary', href: `#/workflows/${wf.id}/activate`, 'aria-label': `Activate ${wf.name}` }, 'Activate')
        : h('button', { type: 'button', class: 'primary', disabled: true, title: 'Paused workflows cannot be activated' }, 'Activate'),
      h('a', { class: 'button', href: `#/workflows/${wf.id}`, 'aria-label': `${ctx.isAdmin ? 'Edit' : 'View'} ${wf.name}` }, ctx.isAdmin ? 'Edit' : 'View'),
      toggle));
  return li;
}
