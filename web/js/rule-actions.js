// A rule's actions, shown as action sets: actions that share one timing (now, a fixed delay, or relative to a
// contact date field). Saved flat, as the API stores them (each action carries its set's timing).
import { ApiError } from './api.js';
import { area, check, num, pick, text } from './controls.js';
import { field, h } from './dom.js';
import { CALL_TYPES, callFields, callModel, callOut, placeholdersOut } from './rule-call-actions.js';
import { words } from './rule-conditions.js';

const TIMING = { immediate: 'Now', delay: 'After a delay', relative: 'Relative to a contact date field' };
const CUSTOM = '__custom';
const opt = (v) => (v === '' || v === null || v === undefined ? undefined : v);
const timingKey = (t) => JSON.stringify(t ?? { type: 'immediate' });

function timingModel(t) {
  const m = { type: t?.type ?? 'immediate', days: t?.days ?? 0, hours: t?.hours ?? 0, minutes: t?.minutes ?? 0, direction: t?.direction ?? 'after', field: t?.field ?? 'contact.createdAt', key: '' };
  if (m.field.startsWith('contact.custom.')) [m.field, m.key] = [CUSTOM, m.field.slice('contact.custom.'.length)];
  return m;
}
function timingOut(t) {
  if (t.type === 'immediate') return { type: 'immediate' };
  const offset = { days: Number(t.days) || 0, hours: Number(t.hours) || 0, minutes: Number(t.minutes) || 0 };
  if (t.type === 'delay') return { type: 'delay', ...offset };
  return { type: 'relative', field: t.field === CUSTOM ? `contact.custom.${t.key.trim()}` : t.field, direction: t.direction, ...offset };
}

// Types with their own inputs (here and in rule-call-actions.js); any other type the API offers is edited as JSON, and kept as loaded.
const KNOWN = new Set(['sms', 'voice', 'email', 'http', 'move_to_list', 'change_status', 'update_field', 'add_to_dnc', 'log_revenue', 'activate_workflow', ...CALL_TYPES]);

export function actionModel(a = {}) {
  const { id: _i, type: _t, name: _n, active: _a, skipIfLiveCall: _s, window: _w, timing: _tm, ...rest } = a;
  return {
    extraText: KNOWN.has(a.type) || !a.type ? '{}' : JSON.stringify(rest, null, 2),
    id: a.id, type: a.type ?? 'sms', name: a.name ?? '', active: a.active ?? true, skipIfLiveCall: !!a.skipIfLiveCall, window: a.window ?? '',
    message: a.message ?? '', subject: a.subject ?? '', lineId: a.lineId ?? '',
    method: a.method ?? 'POST', url: a.url ?? '', authorization: '', authorizationSet: !!a.authorizationSet, body: a.body ?? '',
    listId: a.listId ?? '', removeFromOthers: a.removeFromOthers ?? true, status: a.status ?? '',
    field: a.field ?? '', operation: a.operation ?? 'set', value: a.value === undefined ? '' : String(a.value), from: a.from ?? '',
    amountFrom: a.amountField ? 'field' : 'amount', amount: a.amount ?? null, amountField: a.amountField ?? '', currency: a.currency ?? 'USD', note: a.note ?? '',
    workflowId: a.workflowId ?? '', placeholders: Object.entries(a.placeholders ?? {}).map(([k, v]) => `${k}=${v}`).join('\n'),
    ...callModel(a),
  };
}

/** Groups consecutive actions with the same timing into sets. */
export function setsModel(actions) {
  const sets = [];
  for (const a of actions ?? []) {
    const key = timingKey(a.timing);
    if (sets.at(-1)?.key !== key) sets.push({ key, timing: timingModel(a.timing), actions: [] });
    sets.at(-1).actions.push(actionModel(a));
  }
  return sets.length ? sets : [{ timing: timingModel(null), actions: [actionModel()] }];
}

const updateValue = (a) => {
  if (a.operation === 'add' || a.operation === 'subtract') return a.value.trim() === '' ? undefined : Number(a.value);
  if (a.operation !== 'set') return undefined;
  return a.field === 'contact.onDuty' && (a.value === 'true' || a.value === 'false') ? a.value === 'true' : a.value;
};

function actionOut(a, timing) {
  const base = { id: a.id, type: a.type, name: opt(a.name), active: a.active, skipIfLiveCall: a.skipIfLiveCall, window: opt(a.window), timing };
  switch (a.type) {
    case 'sms': case 'voice': return { ...base, message: a.message, lineId: opt(a.lineId) };
    case 'email': return { ...base, subject: a.subject, message: a.message };
    case 'http': return { ...base, method: a.method, url: a.url, authorization: opt(a.authorization), body: opt(a.body) };
    case 'move_to_list': return { ...base, listId: a.listId, removeFromOthers: a.removeFromOthers };
    case 'change_status': return { ...base, status: a.status };
    case 'update_field': return { ...base, field: a.field, operation: a.operation, value: updateValue(a), from: opt(a.from) };
    case 'log_revenue':
      return { ...base, currency: a.currency, note: a.note, ...(a.amountFrom === 'field' ? { amountField: a.amountField } : { amount: a.amount ?? undefined }) };
    case 'activate_workflow': return { ...base, workflowId: a.workflowId, placeholders: placeholdersOut(a.placeholders) };
    case 'add_to_dnc': return base;
    case 'schedule_callback': case 'place_call': case 'update_callback': case 'enroll_sequence': case 'unenroll_sequence':
      return { ...base, ...callOut(a) };
    default: return { ...JSON.parse(a.extraText || '{}'), ...base };
  }
}

/** The flat API `actions` array, and for each flat index the set it came from (to place timing errors). */
export function actionsOut(sets) {
  const actions = [];
  const setOf = [];
  sets.forEach((s, si) => s.actions.forEach((a) => {
    try {
      actions.push(actionOut(a, timingOut(s.timing)));
    } catch {
      const path = `actions.${actions.length}.extra`;
      throw new ApiError(400, { error: 'validation_failed', message: `${path}: must be a JSON object`, details: [{ path, message: 'must be a JSON object' }] });
    }
    setOf.push(si);
  }));
  return { actions, setOf };
}

/** `actions.3.timing.days` -> `sets.1.timing.days`: timing fields live on the set. */
export const remapTimingPath = (path, setOf) => String(path).replace(/^actions\.(\d+)\.timing(?=\.|$)/, (all, n) => (setOf[Number(n)] === undefined ? all : `sets.${setOf[Number(n)]}.timing`));

function timingFields(t, p, o, redraw) {
  const offset = () => h('div', { class: 'grid3' },
    field('Days', num(t, 'days', { min: 0, max: 3650 }), { path: `${p}.days` }),
    field('Hours', num(t, 'hours', { min: 0, max: 1000 }), { path: `${p}.hours` }),
    field('Minutes', num(t, 'minutes', { min: 0 }), { path: `${p}.minutes` }));
  const dates = o.catalog.contactFields.filter((f) => f.type === 'date').map((f) => [f.path, f.path]);
  return [
    field('When', pick(t, 'type', o.catalog.timingTypes.map((x) => [x, TIMING[x] ?? words(x)]), redraw), { path: `${p}.type` }),
    t.type === 'immediate' ? null : offset(),
    t.type !== 'relative' ? null : h('div', { class: 'grid3' },
      field('Direction', pick(t, 'direction', [['before', 'before'], ['after', 'after']]), { path: `${p}.direction` }),
      field('Contact date field', pick(t, 'field', [...dates, [CUSTOM, 'contact.custom.<key>']], redraw), { path: `${p}.field` }),
      t.field === CUSTOM ? field('Custom date field key', text(t, 'key', { autocomplete: 'off' }), { path: `${p}.field` }) : null),
  ];
}

function typeFields(a, p, o) {
  const lineOpts = [['', 'the account\'s default line'], ...o.lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`])];
  const msg = (max) => field('Message', area(a, 'message', { rows: 3, maxlength: max }), { path: `${p}.message`, required: true, hint: 'May use {{contact.name}}, {{event.<key>}}…' });
  switch (a.type) {
    case 'sms': return [msg(1600), field('Line', pick(a, 'lineId', lineOpts), { path: `${p}.lineId` })];
    case 'voice': return [msg(4000), field('Line', pick(a, 'lineId', lineOpts), { path: `${p}.lineId` })];
    case 'email': return [field('Subject', text(a, 'subject', { maxlength: 200 }), { path: `${p}.subject`, required: true }), msg(20000)];
    case 'http': return [
      h('div', { class: 'grid3' }, field('Method', pick(a, 'method', [['POST', 'POST'], ['GET', 'GET']]), { path: `${p}.method` }),
        field('URL', text(a, 'url', { type: 'url', placeholder: 'https://' }), { path: `${p}.url`, required: true })),
      field('Authorization header', text(a, 'authorization', { type: 'password', autocomplete: 'off' }), { path: `${p}.authorization`, hint: a.authorizationSet ? 'Set (write-only): leave empty to keep it.' : 'Optional, stored encrypted.' }),
      field('Body', area(a, 'body', { rows: 3 }), { path: `${p}.body` })];
    case 'move_to_list': return [
      field('List', pick(a, 'listId', [['', '— choose a list —'], ...o.lists.map((l) => [l.id, l.name])]), { path: `${p}.listId`, required: true }),
      check(a, 'removeFromOthers', 'Remove from other lists', `${p}.removeFromOthers`)];
    case 'change_status': return [field('Status', text(a, 'status', { maxlength: 64 }), { path: `${p}.status`, required: true })];
    case 'update_field': return [h('div', { class: 'grid3' },
      field('Field', text(a, 'field', { placeholder: 'contact.custom.<key>', spellcheck: 'false' }), { path: `${p}.field`, required: true, hint: `Writable: ${o.catalog.contactFields.filter((f) => f.writable).map((f) => f.path).join(', ')}, contact.custom.<key>` }),
      field('Operation', pick(a, 'operation', o.catalog.updateFieldOperations.map((x) => [x, words(x)])), { path: `${p}.operation` }),
      field('Value', text(a, 'value'), { path: `${p}.value` }),
      field('Copy from', text(a, 'from', { placeholder: 'event.<key>', spellcheck: 'false' }), { path: `${p}.from` }))];
    case 'log_revenue': return [h('div', { class: 'grid3' },
      field('Amount from', pick(a, 'amountFrom', [['amount', 'a fixed amount'], ['field', 'a field']], o.redraw), { path: `${p}.amountFrom` }),
      a.amountFrom === 'field'
        ? field('Amount field', text(a, 'amountField', { placeholder: 'event.amount' }), { path: `${p}.amountField`, required: true })
        : field('Amount', num(a, 'amount', { step: 'any' }), { path: `${p}.amount`, required: true }),
      field('Currency', text(a, 'currency', { maxlength: 3, class: 'upper' }), { path: `${p}.currency` }),
      field('Note', text(a, 'note', { maxlength: 500 }), { path: `${p}.note` }))];
    case 'activate_workflow': return [
      field('Workflow', pick(a, 'workflowId', [['', '— choose a workflow —'], ...o.workflows.map((w) => [w.id, w.name])]), { path: `${p}.workflowId`, required: true }),
      field('Placeholders', area(a, 'placeholders', { rows: 2 }), { path: `${p}.placeholders`, hint: 'name=value, one per line.' })];
    case 'add_to_dnc': return [];
    case 'schedule_callback': case 'place_call': case 'update_callback': case 'enroll_sequence': case 'unenroll_sequence':
      return callFields(a, p, o);
    default: return [field('Other fields (JSON)', area(a, 'extraText', { rows: 4, spellcheck: 'false', class: 'mono' }),
      { path: `${p}.extra`, hint: `The fields of ${a.type} as the API names them (see /docs), e.g. {"lineId": "…"}.` })];
  }
}

function actionCard(a, n, s, ai, o) {
  const p = `actions.${n}`;
  const windows = [['', 'the rule\'s window'], ...o.catalog.windows.map((w) => [w.name, windowLabel(w)])];
  return h('li', { class: 'card action-card', 'data-field': p },
    h('div', { class: 'action-head' }, h('h4', {}, `Action ${n + 1} (${words(a.type)})`),
      h('button', { type: 'button', class: 'link', onclick: () => { s.actions.splice(ai, 1); o.redraw(); } }, `Remove action ${n + 1}`)),
    h('span', { class: 'field-error', hidden: true }),
    h('div', { class: 'grid3' },
      field('Type', pick(a, 'type', o.catalog.actionTypes.map((t) => [t, words(t)]), o.redraw), { path: `${p}.type` }),
      field('Label (optional)', text(a, 'name', { maxlength: 200 }), { path: `${p}.name` })),
    typeFields(a, p, o),
    h('fieldset', { class: 'safeguards' }, h('legend', {}, `Action ${n + 1} safeguards`),
      h('div', { class: 'check-row' }, check(a, 'active', 'Active', `${p}.active`), check(a, 'skipIfLiveCall', 'Skip if live call', `${p}.skipIfLiveCall`)),
      field('Schedule window', pick(a, 'window', windows), { path: `${p}.window` })));
}

export const windowLabel = (w) => (w.fromHour === null ? `${w.name} (any time)` : `${w.name} (${String(w.fromHour).padStart(2, '0')}:00–${String(w.toHour).padStart(2, '0')}:00)`);

/** The action sets editor, bound to `sets`. `o`: { catalog, lines, groups, lists, workflows, sequences }. */
export function actionSetsEditor(sets, o) {
  const root = h('div', { 'data-field': 'actions', class: 'field' });
  const redraw = () => {
    const opts = { ...o, redraw };
    let n = 0;
    root.replaceChildren(h('span', { class: 'field-error', hidden: true }), ...sets.map((s, si) => h('section', { class: 'card action-set', 'aria-labelledby': `set-h-${si}` },
      h('div', { class: 'action-head' }, h('h3', { id: `set-h-${si}` }, `Action set ${si + 1}`),
        sets.length > 1 ? h('button', { type: 'button', class: 'link', onclick: () => { sets.splice(si, 1); redraw(); } }, `Remove action set ${si + 1}`) : null),
      h('div', { 'data-field': `sets.${si}.timing` }, h('span', { class: 'field-error', hidden: true }), timingFields(s.timing, `sets.${si}.timing`, opts, redraw)),
      h('ol', { class: 'list' }, s.actions.map((a, ai) => actionCard(a, n++, s, ai, opts))),
      h('button', { type: 'button', onclick: () => { s.actions.push(actionModel()); redraw(); } }, `Add action to set ${si + 1}`))),
    h('button', { type: 'button', onclick: () => { sets.push({ timing: timingModel({ type: 'delay', days: 1 }), actions: [actionModel()] }); redraw(); } }, 'Add action set'));
  };
  redraw();
  return root;
}
