// The workflow editor's choice of a saved prompt (the Prompts page, #/prompts) for an action's prompt.
import { api } from './api.js';
import { field, h } from './dom.js';

const OWN = '— write the prompt below —';

/**
 * A select of the account's saved prompts bound to `model.promptId` ('' = the action's own text).
 * `onchange` re-renders the prompt box (the text field shows only without a saved prompt).
 */
export function promptPicker(model, path, onchange) {
  const sel = h('select', { onchange: (e) => { model.promptId = e.target.value; onchange(); } }, h('option', { value: '' }, OWN));
  if (model.promptId) sel.append(h('option', { value: model.promptId, selected: true }, 'Saved prompt'));
  api.get('/v1/prompts?limit=500').then(({ data }) => {
    sel.replaceChildren(h('option', { value: '' }, OWN),
      ...data.map((p) => h('option', { value: p.id, selected: p.id === model.promptId }, `${p.name} (version ${p.version})`)));
  }).catch(() => undefined); // the list stays as it is; saving still works with the action's own text
  return field('Saved prompt', sel, {
    path, hint: h('span', {}, 'Keep prompts on the ', h('a', { href: '#/prompts' }, 'Prompts'), ' page. Saving the workflow uses the prompt\'s current version.'),
  });
}
