// A sequence template: the account's own ones are edited with the same timeline editor (create, save,
// delete); the four built-in ones are shown read-only, to use as they are.
import { api, getAll } from '../api.js';
import { alertBox, h, pageTitle, spinner } from '../dom.js';
import { sequenceEditor, sequenceInput, sequenceModel } from '../sequence-editor.js';
import { showErrors } from '../sequence-form.js';

export async function render(main, { params }, ctx) {
  const key = params[0];
  main.append(spinner());
  const [t, lines] = await Promise.all([key ? api.get(`/v1/sequence-templates/${encodeURIComponent(key)}`) : null, getAll('/v1/lines').catch(() => [])]);
  main.replaceChildren();
  const readOnly = !!t?.builtIn;
  const useLink = t ? h('a', { class: 'button primary', href: `#/sequences/new?template=${encodeURIComponent(t.key)}` }, 'Use template') : null;
  main.append(pageTitle(t ? (readOnly ? `Template: ${t.name}` : `Edit template ${t.name}`) : 'New template', t ? h('span', { class: 'tag' }, readOnly ? 'built-in' : 'yours') : null, useLink));

  const flash = sessionStorage.getItem('sb-flash');
  if (flash) {
    sessionStorage.removeItem('sb-flash');
    main.append(alertBox(flash, 'info'));
  }
  if (readOnly) main.append(alertBox('Built-in templates are read-only. Use it to start a sequence, then save that sequence as a template of your own to change it.', 'info'));
  if (t?.placeholders.length) main.append(h('p', { class: 'hint' }, 'Asks at enrollment: ', t.placeholders.map((p) => `[[${p}]]`).join(', ')));

  const model = sequenceModel(t?.definition ?? { name: '', steps: [{ type: 'send', send: { channel: 'sms', message: '' } }] });
  if (t && !readOnly) model.name = t.name;
  const editor = sequenceEditor(model, { lines, readOnly });
  const summary = h('div', { class: 'error-summary', tabindex: '-1' });
  const form = h('form', { novalidate: true, 'aria-label': 'Template definition' }, summary, editor.el);
  if (!readOnly) {
    const del = t ? h('button', { type: 'button', class: 'danger', onclick: async () => {
      try {
        await api.del(`/v1/sequence-templates/${t.key}`);
        sessionStorage.setItem('sb-flash', `Deleted template “${t.name}”.`);
        ctx.navigate('#/sequences');
      } catch (err) {
        showErrors(form, summary, err);
      }
    } }, 'Delete template') : null;
    form.append(h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, t ? 'Save template' : 'Create template'), del, h('a', { href: '#/sequences' }, 'Cancel')));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    summary.replaceChildren();
    try {
      const body = sequenceInput(model);
      const saved = t ? await api.put(`/v1/sequence-templates/${t.key}`, body) : await api.post('/v1/sequence-templates', body);
      sessionStorage.setItem('sb-flash', `Saved template “${saved.name}”.`);
      ctx.navigate(`#/sequence-templates/${saved.key}`);
    } catch (err) {
      showErrors(form, summary, err);
    }
  });
  main.append(form);
}
