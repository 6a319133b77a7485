// Post-call workflow editor (#/tracking/new, #/tracking/:id): the API's own validation, each error beside its field.
import { api, getAll } from '../api.js';
import { alertBox, announce, findField, h, pageTitle, spinner } from '../dom.js';
import { labelOf, showFormErrors } from '../form-errors.js';
import { toInput, toModel, trackingForm } from '../tracking-form.js';

export async function render(main, { params }, ctx) {
  const id = params[0];
  main.append(spinner());
  const [wf, lines, workflows, caps] = await Promise.all([
    id ? api.get(`/v1/tracking-workflows/${id}`) : null,
    getAll('/v1/lines').catch(() => []),
    getAll('/v1/workflows').catch(() => []),
    api.get('/v1/account/capabilities').catch(() => null),
  ]);
  main.replaceChildren(pageTitle(wf ? `Edit ${wf.name}` : 'New post-call workflow'));
  if (!ctx.isAdmin) {
    main.append(alertBox('Only admins can change post-call workflows.', 'info'), h('p', {}, h('a', { href: '#/tracking' }, 'Back to call tracking')));
    return;
  }
  const model = toModel(wf);
  const previews = [];
  const summary = h('div', { class: 'error-summary', tabindex: '-1' });
  const saveBtn = h('button', { type: 'submit', class: 'primary' }, wf ? 'Save changes' : 'Create post-call workflow');
  const form = h('form', { novalidate: true, 'aria-label': 'Post-call workflow' }, summary,
    trackingForm(model, { lines, workflows, caps, previews, onTrigger: () => previews.forEach((f) => f()) }),
    h('div', { class: 'form-actions' }, saveBtn, h('a', { href: '#/tracking' }, 'Cancel')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    summary.replaceChildren();
    saveBtn.disabled = true;
    try {
      const body = toInput(model);
      const saved = wf ? await api.put(`/v1/tracking-workflows/${wf.id}`, body) : await api.post('/v1/tracking-workflows', body);
      announce(`Saved ${saved.name}`);
      sessionStorage.setItem('sb-flash', `Saved “${saved.name}”.`);
      ctx.navigate('#/tracking');
    } catch (err) {
      showErrors(form, summary, err);
    } finally {
      saveBtn.disabled = false;
    }
  });
  main.append(form);
}

// Each message beside its field, and a summary naming the field as the page labels it ("Condition 1 — Seconds").
function showErrors(form, summary, err) {
  showFormErrors(form, summary, err, { describe: (path) => where(form, path) });
}

function where(form, path) {
  const target = findField(form, path);
  const card = target?.closest('[aria-label]:not(form)');
  return [card?.getAttribute('aria-label'), labelOf(target)].filter(Boolean).join(' — ') || path;
}
