// A sequence: the timeline editor (new, from a template, or an existing one), pause/resume, save as a new
// version (saying plainly that contacts already enrolled keep theirs), save as a template, and versions.
import { api, getAll } from '../api.js';
import { alertBox, announce, badge, formatTime, h, pageTitle, spinner } from '../dom.js';
import { sequenceEditor, sequenceInput, sequenceModel } from '../sequence-editor.js';
import { showErrors } from '../sequence-form.js';
import { conditionText, stepText } from '../sequence-words.js';

export async function render(main, { params, query }, ctx) {
  const id = params[0];
  const templateKey = query.get('template');
  main.append(spinner());
  const [seq, template, lines] = await Promise.all([
    id ? api.get(`/v1/sequences/${id}`) : null,
    !id && templateKey ? api.get(`/v1/sequence-templates/${encodeURIComponent(templateKey)}`) : null,
    getAll('/v1/lines').catch(() => []),
  ]);
  main.replaceChildren();
  const title = seq ? `Edit ${seq.name}` : template ? `New sequence from “${template.name}”` : 'New sequence';
  main.append(pageTitle(title,
    seq ? badge(seq.status) : null,
    seq ? h('span', { class: 'tag' }, `version ${seq.currentVersion}`) : null,
    seq ? h('a', { class: 'button', href: `#/sequences/${seq.id}/contacts` }, 'Enroll and contacts') : null,
    seq ? h('button', { type: 'button', onclick: () => setStatus(seq, ctx) }, seq.status === 'paused' ? 'Resume' : 'Pause') : null));

  const flash = sessionStorage.getItem('sb-flash');
  if (flash) {
    sessionStorage.removeItem('sb-flash');
    main.append(alertBox(flash, 'info'));
  }
  if (seq?.status === 'paused') main.append(alertBox('Paused: this sequence takes no new enrollments; contacts already in it keep going.', 'warn'));

  const model = sequenceModel(seq ?? template?.definition);
  const editor = sequenceEditor(model, { lines });
  const summary = h('div', { class: 'error-summary', tabindex: '-1' });
  const saveBtn = h('button', { type: 'submit', class: 'primary' }, seq ? 'Save as new version' : 'Create sequence');
  const asTemplate = h('button', { type: 'button' }, 'Save as template');
  const form = h('form', { novalidate: true, 'aria-label': 'Sequence definition' }, summary, editor.el,
    h('div', { class: 'form-actions' },
      seq ? alertBox(`Saving writes version ${seq.currentVersion + 1}. Contacts already enrolled keep the version they enrolled under; `
        + 'only contacts enrolled after you save get the new version.', 'info') : null,
      saveBtn, asTemplate, h('a', { href: '#/sequences' }, 'Cancel')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    summary.replaceChildren();
    saveBtn.disabled = true;
    try {
      const body = sequenceInput(model);
      const saved = seq ? await api.put(`/v1/sequences/${seq.id}`, body) : await api.post('/v1/sequences', body);
      const msg = seq
        ? `Saved “${saved.name}” as version ${saved.currentVersion}. Contacts already enrolled keep the version they enrolled under; new enrollments get version ${saved.currentVersion}.`
        : `Created “${saved.name}” (version ${saved.currentVersion}).`;
      announce(msg);
      sessionStorage.setItem('sb-flash', msg);
      ctx.navigate(`#/sequences/${saved.id}`);
    } catch (err) {
      showErrors(form, summary, err);
    } finally {
      saveBtn.disabled = false;
    }
  });
  asTemplate.addEventListener('click', async () => {
    summary.replaceChildren();
    try {
      const t = await api.post('/v1/sequence-templates', sequenceInput(model));
      sessionStorage.setItem('sb-flash', `Saved template “${t.name}”.`);
      ctx.navigate(`#/sequence-templates/${t.key}`);
    } catch (err) {
      showErrors(form, summary, err);
    }
  });

  main.append(form);
  if (seq) main.append(await versions(seq));
}

async function setStatus(seq, ctx) {
  await api.post(`/v1/sequences/${seq.id}/${seq.status === 'paused' ? 'resume' : 'pause'}`);
  sessionStorage.setItem('sb-flash', seq.status === 'paused' ? 'Resumed: the sequence takes enrollments again.' : 'Paused: no new enrollments; contacts already in it keep going.');
  ctx.navigate(`#/sequences/${seq.id}`);
}

/** Every version, newest first; each opens to its steps and exits in words. */
export async function versions(seq) {
  const sec = h('section', { class: 'card', 'aria-labelledby': 'sec-versions' }, h('h2', { id: 'sec-versions' }, 'Version history'));
  try {
    const { data } = await api.get(`/v1/sequences/${seq.id}/versions`);
    sec.append(h('ul', { class: 'list' }, [...data].reverse().map((v) => h('li', {},
      h('details', {},
        h('summary', {}, `Version ${v.version}`, v.version === seq.currentVersion ? ' (current)' : '', ` · ${formatTime(v.createdAt)} · ${v.steps.length} step(s)`),
        h('ol', { class: 'tight' }, v.steps.map((s) => h('li', {}, stepText(s), h('span', { class: 'muted' }, ` (${s.id})`)))),
        v.exits.length ? h('p', { class: 'hint' }, 'Exits when: ', v.exits.map(conditionText).join('; ')) : null)))));
  } catch (err) {
    sec.append(alertBox(err.message));
  }
  return sec;
}
