import { api, getAll } from '../api.js';
import { alertBox, announce, badge, h, pageTitle, spinner } from '../dom.js';
import { remapTimingPath } from '../rule-actions.js';
import { loopBanner, ruleTabs, showRuleErrors } from '../rule-common.js';
import { ruleForm, toInput, toModel } from '../rule-form.js';

/** New rule (`#/rules/new`) or a rule's editor (`#/rules/:id`): the API's own validation beside each field. */
export async function render(main, { params }, ctx) {
  const id = params[0];
  const readOnly = !ctx.isAdmin;
  main.append(spinner());
  const [rule, catalog, lines, groups, lists, workflows, sequences] = await Promise.all([
    id ? api.get(`/v1/rules/${id}`) : null,
    api.get('/v1/rules/fields'),
    getAll('/v1/lines').catch(() => []),
    getAll('/v1/groups').catch(() => []),
    api.get('/v1/lists').then((r) => r.data).catch(() => []),
    getAll('/v1/workflows').catch(() => []),
    api.get('/v1/sequences').then((r) => r.data).catch(() => []),
  ]);
  main.replaceChildren();
  main.append(pageTitle(rule ? (readOnly ? rule.name : `Edit ${rule.name}`) : 'New rule', rule ? badge(rule.enabled ? 'active' : 'disabled') : null));
  if (rule) main.append(ruleTabs(rule, 'edit'), loopBanner(rule) ?? '');
  const flash = sessionStorage.getItem('sb-flash');
  if (flash) {
    sessionStorage.removeItem('sb-flash');
    main.append(alertBox(flash, 'info'));
  }

  const model = toModel(rule, catalog);
  const summary = h('div', { class: 'error-summary', tabindex: '-1' });
  const form = h('form', { novalidate: true, 'aria-label': 'Rule definition' });
  const saveBtn = h('button', { type: 'submit', class: 'primary' }, rule ? 'Save rule' : 'Create rule');
  form.append(summary, ruleForm(model, { catalog, lines, groups, lists, workflows, sequences, readOnly }));
  if (readOnly) summary.append(alertBox('You can view this rule; only admins can change it.', 'info'));
  else form.append(h('div', { class: 'form-actions' }, saveBtn, h('a', { href: '#/rules' }, 'Cancel')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    summary.replaceChildren();
    saveBtn.disabled = true;
    let setOf = [];
    try {
      const input = toInput(model, catalog);
      setOf = input.setOf;
      const body = input.body;
      const saved = rule ? await api.patch(`/v1/rules/${rule.id}`, body) : await api.post('/v1/rules', body);
      announce(`Saved ${saved.name}`);
      sessionStorage.setItem('sb-flash', `Saved “${saved.name}”.`);
      ctx.navigate(`#/rules/${saved.id}`);
    } catch (err) {
      // Timing is edited once per action set: its errors go to the set's fields.
      if (err.details) err.details = err.details.map((d) => ({ ...d, path: remapTimingPath(d.path, setOf) }));
      showRuleErrors(form, summary, err);
    } finally {
      saveBtn.disabled = false;
    }
  });
  main.append(form);
}
