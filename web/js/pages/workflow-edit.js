import { api, ApiError, getAll } from '../api.js';
import { alertBox, announce, append, badge, formatTime, h, pageTitle, spinner } from '../dom.js';
import { describePath } from '../error-summary.js';
import { showFormErrors } from '../form-errors.js';
import { confirmPause } from '../pause-dialog.js';
import { formatInZone, scheduleSummary } from '../schedule-text.js';
import { toInput, toModel, workflowForm } from '../workflow-form.js';

export async function render(main, { params }, ctx) {
  const id = params[0];
  const readOnly = !ctx.isAdmin;
  main.append(spinner());
  const [wf, lines, groups, caps] = await Promise.all([
    id ? api.get(`/v1/workflows/${id}`) : null,
    getAll('/v1/lines').catch(() => []),
    getAll('/v1/groups').catch(() => []),
    api.get('/v1/account/capabilities').catch(() => null),
  ]);
  main.replaceChildren();
  const title = wf ? (readOnly ? wf.name : `Edit ${wf.name}`) : 'New workflow';
  main.append(pageTitle(title,
    wf ? badge(wf.status) : null,
    wf?.status === 'active' ? h('a', { class: 'button primary', href: `#/workflows/${wf.id}/activate` }, 'Activate') : null,
    wf && ctx.isAdmin ? h('button', { type: 'button', onclick: (e) => setStatus(wf, ctx, e.currentTarget) }, wf.status === 'paused' ? 'Resume' : 'Pause') : null));

  const model = toModel(wf);
  const summary = h('div', { class: 'error-summary', tabindex: '-1' });
  const form = h('form', { novalidate: true, 'aria-label': 'Workflow definition' });
  const saveBtn = h('button', { type: 'submit', class: 'primary' }, wf ? 'Save as new version' : 'Create workflow');
  form.append(summary, workflowForm(model, { lines, groups, readOnly, caps, workflowId: wf?.id ?? null }));
  if (!readOnly) form.append(h('div', { class: 'form-actions' }, saveBtn, h('a', { href: '#/workflows' }, 'Cancel')));
  if (readOnly) summary.append(alertBox('You can view this workflow and activate it; only admins can change it.', 'info'));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    summary.replaceChildren();
    saveBtn.disabled = true;
    try {
      const body = toInput(model);
      // If-Match: the version this edit started from, so a version someone else saved meanwhile is never overwritten.
      const saved = wf ? await api.put(`/v1/workflows/${wf.id}`, body, { 'if-match': `"${wf.version}"` }) : await api.post('/v1/workflows', body);
      announce(`Saved ${saved.name}, version ${saved.version}`);
      sessionStorage.setItem('sb-flash', `Saved “${saved.name}” (version ${saved.version}).`);
      ctx.navigate(`#/workflows/${saved.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'version_mismatch') {
        const current = err.body?.details?.currentVersion;
        summary.replaceChildren(alertBox(`Someone saved version ${current ?? 'a newer version'} of this workflow while you were editing, so your changes were not saved. Reload the page to see their version, then make your edit again.`));
        summary.focus();
      } else showErrors(form, summary, err, model);
    } finally {
      saveBtn.disabled = false;
    }
  });

  const flash = sessionStorage.getItem('sb-flash');
  if (flash) {
    sessionStorage.removeItem('sb-flash');
    main.append(alertBox(flash, 'info'));
  }
  main.append(form);
  if (wf) append(main, [await versions(wf), await schedulePreview(wf)]);
}

/**
 * Puts each `details[].path` message next to its field, and lists them all at the top as the page
 * labels them ("Action 1 (SMS notification) — Message: may not be empty"), each linking to its field.
 */
export function showErrors(form, summary, err, model) {
  showFormErrors(form, summary, err, { describe: (path) => describePath(form, model, path), focusSummary: true });
}

async function setStatus(wf, ctx, button) {
  // Pausing silently turns off code activation and schedules: never on a single click.
  if (wf.status !== 'paused' && !(await confirmPause(wf, button))) return;
  await api.post(`/v1/workflows/${wf.id}/${wf.status === 'paused' ? 'resume' : 'pause'}`);
  ctx.navigate(`#/workflows/${wf.id}`);
}

async function versions(wf) {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-versions' }, h('h2', { id: 'sec-versions' }, 'Version history'));
  try {
    const page = await api.get(`/v1/workflows/${wf.id}/versions?limit=50`);
    const rows = [...page.data].sort((a, b) => b.version - a.version);
    sec.append(h('ul', { class: 'list' }, rows.map((v) => h('li', {},
      h('details', {},
        h('summary', {}, `Version ${v.version}`, v.version === wf.version ? ' (current)' : '', ' · ', formatTime(v.createdAt), ' · ',
          `${v.definition.actions.length} action(s)`, v.definition.schedule ? ` · ${scheduleSummary(v.definition.schedule)}` : ''),
        h('pre', {}, JSON.stringify(v.definition, null, 2)))))));
  } catch (err) {
    sec.append(alertBox(err.message));
  }
  return sec;
}

async function schedulePreview(wf) {
  if (!wf.schedule) return null;
  const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-next' }, h('h2', { id: 'sec-next' }, 'Next scheduled runs'));
  try {
    const p = await api.get(`/v1/workflows/${wf.id}/schedule/preview?count=5`);
    // dom's append skips null (Element.append would print "null" when not paused).
    append(sec, [p.paused ? alertBox('Paused: scheduled runs are skipped.', 'warn') : null,
      h('ul', {}, p.occurrences.map((o) => h('li', {}, h('time', { datetime: o.utc }, formatInZone(o.utc, p.timezone)))))]);
  } catch {
    sec.append(h('p', { class: 'muted' }, scheduleSummary(wf.schedule)));
  }
  return sec;
}
