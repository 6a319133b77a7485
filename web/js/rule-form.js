// The rule editor form: event, relation scope, conditions (AND), action sets, and the rule's safeguards. Field
// wrappers carry the API's error paths (`data-field="conditions.1.value"`) so a 400 lands next to its control.
import { check, multi, num, pick, text } from './controls.js';
import { field, h } from './dom.js';
import { actionSetsEditor, actionsOut, setsModel, windowLabel } from './rule-actions.js';
import { conditionModel, conditionOut, conditionsEditor } from './rule-conditions.js';

const OTHER_EVENT = '__other';
const SCOPES = [['account', 'All (the whole account)'], ['lines', 'Lines'], ['groups', 'Groups'], ['lists', 'Lists'], ['campaigns', 'Campaigns (workflows)']];

export function toModel(rule, catalog) {
  const known = catalog.eventTypes.some((e) => e.type === rule?.eventType);
  const eventType = rule?.eventType ?? catalog.eventTypes[0]?.type ?? '';
  const stop = rule?.stopIf ?? null;
  return {
    name: rule?.name ?? '',
    eventChoice: !rule || known ? eventType : OTHER_EVENT,
    customEvent: known ? '' : rule?.eventType ?? '',
    enabled: rule?.enabled ?? true,
    scopeType: rule?.scope?.type ?? 'account',
    scopeIds: rule?.scope?.ids ?? [],
    conditions: (rule?.conditions ?? []).map((c) => conditionModel(c, catalog, eventType)),
    sets: setsModel(rule?.actions),
    stopOn: !!stop,
    stopStatuses: (stop?.statuses ?? []).join(', '),
    stopFinal: !!stop?.finalStatus,
    stopConditions: (stop?.conditions ?? []).map((c) => conditionModel(c, catalog, null)),
    skipIfPending: !!rule?.skipIfPending,
    window: rule?.window ?? 'always',
    rolloutPercent: rule?.rolloutPercent ?? 100,
  };
}

export const eventTypeOf = (m) => (m.eventChoice === OTHER_EVENT ? m.customEvent.trim() : m.eventChoice);

/** The API body for POST /v1/rules (and PATCH), plus the flat action index -> set map. */
export function toInput(m, catalog) {
  const eventType = eventTypeOf(m);
  const { actions, setOf } = actionsOut(m.sets);
  const body = {
    name: m.name, eventType, enabled: m.enabled,
    scope: m.scopeType === 'account' ? { type: 'account' } : { type: m.scopeType, ids: m.scopeIds },
    conditions: m.conditions.map((c) => conditionOut(c, catalog, eventType)),
    actions,
    rolloutPercent: m.rolloutPercent,
    skipIfPending: m.skipIfPending,
    window: m.window,
    stopIf: m.stopOn ? {
      statuses: m.stopStatuses.split(',').map((s) => s.trim()).filter(Boolean),
      finalStatus: m.stopFinal,
      conditions: m.stopConditions.map((c) => conditionOut(c, catalog, null, { contactOnly: true })),
    } : null,
  };
  return { body, setOf };
}

const section = (id, title, ...children) => h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);

/** Builds the editor; `o`: { catalog, lines, groups, lists, workflows, sequences, readOnly }. */
export function ruleForm(m, o) {
  const root = h('fieldset', { class: 'plain', disabled: o.readOnly });
  const eventOpts = [...o.catalog.eventTypes.map((e) => [e.type, e.type]), [OTHER_EVENT, 'Another event (posted to /v1/events)']];
  const conds = conditionsEditor(m.conditions, { catalog: o.catalog, eventType: () => eventTypeOf(m), prefix: 'conditions' });
  const customBox = h('div');
  // The API names `eventType`: its error goes beside the select, or beside the typed name of another event.
  const eventField = field('Event', pick(m, 'eventChoice', eventOpts, () => { renderCustom(); conds.rerender(); }), { required: true });
  const renderCustom = () => {
    eventField.setAttribute('data-field', m.eventChoice === OTHER_EVENT ? 'eventChoice' : 'eventType');
    customBox.replaceChildren(m.eventChoice === OTHER_EVENT
      ? field('Event type', text(m, 'customEvent', { placeholder: 'invoice.paid', spellcheck: 'false', autocomplete: 'off', onchange: () => conds.rerender() }),
        { path: 'eventType', required: true, hint: 'A dotted lower-case name, as your system posts it.' })
      : '');
  };
  renderCustom();
  const general = section('sec-general', 'Rule',
    field('Name', text(m, 'name', { maxlength: 200, autocomplete: 'off' }), { path: 'name', required: true }),
    h('div', { class: 'grid2' }, eventField, customBox),
    check(m, 'enabled', 'Active', 'enabled'));

  const scopeBox = h('div');
  const objects = { lines: o.lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`]), groups: o.groups.map((g) => [g.id, g.name]), lists: o.lists.map((l) => [l.id, l.name]), campaigns: o.workflows.map((w) => [w.id, w.name]) };
  const renderScope = () => scopeBox.replaceChildren(m.scopeType === 'account' ? ''
    : objects[m.scopeType].length ? multi(m, 'scopeIds', `Which ${m.scopeType}`, objects[m.scopeType], 'scope.ids')
      : h('div', { class: 'field', 'data-field': 'scope.ids' }, h('p', { class: 'alert warn' }, `No ${m.scopeType} yet.`), h('span', { class: 'field-error', hidden: true })));
  renderScope();
  const scope = section('sec-scope', 'Relation',
    field('Applies to', pick(m, 'scopeType', SCOPES, () => { m.scopeIds = []; renderScope(); }), { path: 'scope.type', hint: 'Events about contacts, lines or workflows outside it are not evaluated.' }),
    scopeBox);

  const conditions = section('sec-conds', 'Conditions', h('p', { class: 'hint' }, 'All conditions must match (AND). For OR, make two rules.'), conds.el);
  const actions = section('sec-actions', 'Actions', actionSetsEditor(m.sets, o));

  const stopBox = h('div');
  const renderStop = () => stopBox.replaceChildren(...(m.stopOn ? [
    field('Statuses', text(m, 'stopStatuses', { placeholder: 'won, lost' }), { path: 'stopIf.statuses', hint: 'Comma-separated contact statuses.' }),
    check(m, 'stopFinal', 'When the contact reaches a final status', 'stopIf.finalStatus'),
    h('h3', {}, 'Stop-if conditions (contact fields, all must match)'),
    conditionsEditor(m.stopConditions, { catalog: o.catalog, eventType: () => null, prefix: 'stopIf.conditions', contactOnly: true, emptyText: 'No stop-if condition.', addText: 'Add stop-if condition' }).el,
  ] : []));
  renderStop();
  const safeguards = section('sec-safe', 'Safeguards',
    h('div', { 'data-field': 'stopIf' }, check(m, 'stopOn', 'Stop if: cancel this rule\'s pending actions for a contact who…', 'stopIf.on', renderStop), h('span', { class: 'field-error', hidden: true }), stopBox),
    check(m, 'skipIfPending', 'Skip if pending: do not run again for a contact who still has actions waiting from this rule', 'skipIfPending'),
    h('div', { class: 'grid2' },
      field('Schedule window', pick(m, 'window', o.catalog.windows.map((w) => [w.name, windowLabel(w)])), { path: 'window', hint: 'Hours in the account\'s time zone when actions may run.' }),
      field('Perform on (% of contacts)', num(m, 'rolloutPercent', { min: 0, max: 100, step: 1 }), { path: 'rolloutPercent', hint: 'rolloutPercent: contacts are picked by a hash of rule and contact.' })));

  root.append(general, scope, conditions, actions, safeguards);
  return root;
}
