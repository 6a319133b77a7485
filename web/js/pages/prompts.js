// Prompt library (#/prompts): the account's saved prompts — name, text, model settings — each edit a new version.
import { api, ApiError } from '../api.js';
import { area, num, text } from '../controls.js';
import { alertBox, announce, confirmDialog, field, formatTime, h, pageTitle, showFieldErrors, spinner } from '../dom.js';

const blank = () => ({ id: null, name: '', text: '', model: '', maxOutputChars: null, temperature: null });

/** The API body of the form model: empty settings left out (the server's defaults apply). */
const bodyOf = (m) => {
  const settings = {};
  if (m.model.trim()) settings.model = m.model.trim();
  if (m.maxOutputChars !== null) settings.maxOutputChars = m.maxOutputChars;
  if (m.temperature !== null) settings.temperature = m.temperature;
  return { name: m.name, text: m.text, settings };
};

export async function render(main) {
  main.append(pageTitle('Prompts'),
    h('p', { class: 'muted' }, 'Saved prompts for the AI-generated text of workflow actions. Pick one in a notification or webhook action; '
      + 'a workflow keeps the prompt version it was saved with. Fields: [[placeholders]] and {{inbound_message}}, {{workflow_name}}…'));
  const listBox = h('div', {}, spinner());
  const historyBox = h('div');
  const m = blank();
  const refresh = async () => {
    const { data } = await api.get('/v1/prompts?limit=500');
    listBox.replaceChildren(data.length === 0 ? h('p', { class: 'muted' }, 'No saved prompts yet.') : h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
      h('caption', { class: 'sr-only' }, 'Saved prompts'),
      h('thead', {}, h('tr', {}, ['Name', 'Version', 'Model', 'Changed', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, data.map((p) => h('tr', {},
        h('td', { 'data-label': 'Name' }, p.name), h('td', { 'data-label': 'Version' }, String(p.version)),
        h('td', { 'data-label': 'Model' }, p.settings.model ?? 'default'), h('td', { 'data-label': 'Changed' }, formatTime(p.updatedAt)),
        h('td', { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Edit ${p.name}`, onclick: () => form.load(p) }, 'Edit'),
          h('button', { type: 'button', 'aria-label': `History of ${p.name}`, onclick: () => showHistory(p) }, 'History'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${p.name}`, onclick: async (e) => {
            const asked = await confirmDialog({
              title: `Delete the prompt “${p.name}”?`, body: h('p', {}, 'Workflows saved with it keep their version.'),
              confirm: 'Delete', confirmClass: 'danger', keep: 'Keep it',
            }, e.currentTarget);
            if (!asked) return;
            await api.del(`/v1/prompts/${p.id}`);
            announce(`Deleted ${p.name}`);
            refresh();
          } }, 'Delete'))))))));
  };
  const showHistory = async (p) => {
    const { data } = await api.get(`/v1/prompts/${p.id}/versions`);
    historyBox.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'prompt-history-h' },
      h('h2', { id: 'prompt-history-h' }, `Versions of ${p.name}`),
      h('ol', {}, data.map((v) => h('li', {},
        h('strong', {}, `Version ${v.version}`), ` · ${formatTime(v.createdAt)}${v.settings.model ? ` · ${v.settings.model}` : ''}`,
        h('pre', { class: 'mono' }, v.text))))));
  };
  const form = promptForm(m, async () => { await refresh(); });
  main.append(listBox, form.el, historyBox);
  await refresh();
}

function promptForm(m, onSaved) {
  const status = h('div');
  const heading = h('h2', { id: 'prompt-form-h' }, 'New prompt');
  const fields = h('div');
  const draw = () => fields.replaceChildren(
    field('Name', text(m, 'name', { maxlength: 200, autocomplete: 'off' }), { path: 'name', required: true }),
    field('Prompt text', area(m, 'text', { rows: 5, maxlength: 4000 }), { path: 'text', required: true, hint: 'Sent to the language model when a workflow runs.' }),
    h('div', { class: 'grid2' },
      field('Model (optional)', text(m, 'model', { maxlength: 100, spellcheck: 'false', placeholder: 'server default' }), { path: 'settings.model' }),
      field('Longest answer, characters (optional)', num(m, 'maxOutputChars', { min: 20, max: 4000 }), { path: 'settings.maxOutputChars' }),
      field('Temperature (optional)', num(m, 'temperature', { min: 0, max: 2, step: 0.1 }), { path: 'settings.temperature', hint: '0 (steady) to 2 (varied).' })));
  draw();
  const el = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'prompt-form-h' }, heading, status, fields,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save prompt'),
      h('button', { type: 'button', onclick: () => load(null) }, 'New')));
  const load = (p) => {
    Object.assign(m, blank(), p ? { id: p.id, name: p.name, text: p.text, model: p.settings.model ?? '', maxOutputChars: p.settings.maxOutputChars ?? null, temperature: p.settings.temperature ?? null } : {});
    heading.textContent = p ? `Edit ${p.name} (version ${p.version})` : 'New prompt';
    status.replaceChildren();
    draw();
    el.querySelector('input')?.focus();
  };
  el.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    try {
      const saved = m.id ? await api.put(`/v1/prompts/${m.id}`, bodyOf(m)) : await api.post('/v1/prompts', bodyOf(m));
      showFieldErrors(el, []);
      load(null);
      status.replaceChildren(alertBox(`Saved ${saved.name} (version ${saved.version}).`, 'info'));
      await onSaved();
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(el, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  });
  return { el, load };
}
