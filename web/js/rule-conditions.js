// Rule conditions (AND): a field, an operator that fits the field's type and a value input that fits the
// operator. Fields, types and operators come from GET /v1/rules/fields, never from this file.
import { field, h, nextId, select } from './dom.js';

const CUSTOM_CONTACT = '__custom_contact';
const CUSTOM_EVENT = '__custom_event';
export const words = (s) => String(s ?? '').replace(/_/g, ' ');

/** The fields a condition may name for this event type: [{ path, type }] (known ones only). */
export function knownFields(catalog, eventType, { contactOnly } = {}) {
  const ev = contactOnly ? [] : catalog.eventTypes.find((e) => e.type === eventType)?.fields ?? [];
  return [...ev, ...catalog.contactFields];
}
const isKnownEvent = (catalog, eventType) => catalog.eventTypes.some((e) => e.type === eventType);

/** Editable model of one API condition. */
export function conditionModel(c, catalog, eventType) {
  const m = { choice: '', key: '', type: c?.type ?? 'text', operator: c?.operator ?? '', v: '', lo: '', hi: '', list: '', amount: '', unit: 'days', direction: 'past' };
  const path = c?.field ?? '';
  if (knownFields(catalog, eventType).some((f) => f.path === path)) m.choice = path;
  else if (path.startsWith('contact.custom.')) [m.choice, m.key] = [CUSTOM_CONTACT, path.slice('contact.custom.'.length)];
  else if (path.startsWith('event.')) [m.choice, m.key] = [CUSTOM_EVENT, path.slice('event.'.length)];
  const v = c?.value;
  if (Array.isArray(v) && c.operator === 'between') [m.lo, m.hi] = v.map(String);
  else if (Array.isArray(v)) m.list = v.map(String).join('\n');
  else if (v && typeof v === 'object') Object.assign(m, { amount: String(v.amount ?? ''), unit: v.unit ?? 'days', direction: v.direction ?? 'past' });
  else if (v !== undefined && v !== null) m.v = String(v);
  return m;
}

const pathOf = (m) => (m.choice === CUSTOM_CONTACT ? `contact.custom.${m.key.trim()}` : m.choice === CUSTOM_EVENT ? `event.${m.key.trim()}` : m.choice);
const isCustom = (m) => m.choice === CUSTOM_CONTACT || m.choice === CUSTOM_EVENT;

/** The type the condition compares as: the field's own, or the declared one for a custom field. */
export function typeOf(m, catalog, eventType, opts) {
  if (isCustom(m)) return m.type || 'text';
  return knownFields(catalog, eventType, opts).find((f) => f.path === m.choice)?.type ?? 'text';
}

const scalar = (type, s) => {
  if (type === 'number') return s.trim() === '' ? undefined : Number(s);
  if (type === 'boolean') return s === 'true' ? true : s === 'false' ? false : undefined;
  return s;
};

/** The API shape of a condition model. */
export function conditionOut(m, catalog, eventType, opts) {
  const type = typeOf(m, catalog, eventType, opts);
  const shape = catalog.operators.find((o) => o.name === m.operator)?.value ?? 'single';
  const out = { field: pathOf(m), operator: m.operator };
  if (isCustom(m)) out.type = type;
  if (shape === 'single') out.value = scalar(type, m.v);
  if (shape === 'range') out.value = [scalar(type, m.lo), scalar(type, m.hi)];
  if (shape === 'list') out.value = m.list.split(/\n|,/).map((s) => s.trim()).filter(Boolean).map((s) => scalar(type, s));
  if (shape === 'duration') out.value = { amount: m.amount === '' ? undefined : Number(m.amount), unit: m.unit, direction: m.direction };
  return out;
}

const bind = (el, obj, key, rerender) => {
  el.addEventListener(el.tagName === 'SELECT' ? 'change' : 'input', (e) => {
    obj[key] = e.target.value;
    if (rerender && el.tagName === 'SELECT') rerender();
  });
  return el;
};
const input = (type, obj, key, attrs = {}) => {
  const t = type === 'number' ? 'number' : type === 'date' && /^$|^\d{4}-\d{2}-\d{2}$/.test(obj[key]) ? 'date' : 'text';
  return bind(h('input', { type: t, value: obj[key], step: t === 'number' ? 'any' : null, autocomplete: 'off', ...attrs }), obj, key);
};

// A group of inputs whose API error lands on the wrapper (`conditions.0.value`).
const group = (legend, path, ...controls) =>
  h('fieldset', { class: 'inline-group', 'data-field': path }, h('legend', {}, legend), h('div', { class: 'row' }, controls), h('span', { class: 'field-error', hidden: true }));

function valueInput(m, type, shape, p) {
  if (shape === 'none') return null;
  if (shape === 'range') {
    return group('Value: between (inclusive)', `${p}.value`,
      field('From', input(type, m, 'lo')), field('To', input(type, m, 'hi')));
  }
  if (shape === 'list') {
    return field('Values (one per line)', bind(h('textarea', { rows: 3 }, m.list), m, 'list'), { path: `${p}.value`, hint: type === 'number' ? 'Numbers, one per line.' : 'One value per line.' });
  }
  if (shape === 'duration') {
    return group('Value: within', `${p}.value`,
      field('Amount', input('number', m, 'amount', { min: 1, step: 1 })),
      field('Unit', bind(select([['minutes', 'minutes'], ['hours', 'hours'], ['days', 'days']], m.unit), m, 'unit')),
      field('Direction', bind(select([['past', 'in the past'], ['next', 'in the next']], m.direction), m, 'direction')));
  }
  if (type === 'boolean') return field('Value', bind(select([['', '— choose —'], ['true', 'true'], ['false', 'false']], m.v), m, 'v'), { path: `${p}.value` });
  return field('Value', input(type, m, 'v'), { path: `${p}.value`, hint: type === 'date' ? 'A date (the day in the account\'s time zone).' : null });
}

/** One condition row; `rerender` redraws the list (after a field or operator change). */
function conditionRow(m, i, o) {
  const p = `${o.prefix}.${i}`;
  const opts = { contactOnly: o.contactOnly };
  const fields = knownFields(o.catalog, o.eventType(), opts);
  const evOnly = o.contactOnly ? [] : fields.filter((f) => f.path.startsWith('event.'));
  const customEvent = !o.contactOnly && !isKnownEvent(o.catalog, o.eventType());
  const fieldSel = select([], m.choice, { onchange: (e) => { m.choice = e.target.value; redraw(); } });
  fieldSel.append(h('option', { value: '', selected: !m.choice }, '— choose a field —'));
  const optgroup = (label, list) => h('optgroup', { label }, list.map((f) => h('option', { value: f.path, selected: f.path === m.choice }, `${f.path} (${f.type})`)));
  if (evOnly.length) fieldSel.append(optgroup(`${o.eventType()} values`, evOnly));
  fieldSel.append(optgroup('Contact fields', o.catalog.contactFields));
  fieldSel.append(h('optgroup', { label: 'Custom' },
    customEvent ? h('option', { value: CUSTOM_EVENT, selected: m.choice === CUSTOM_EVENT }, 'event.<key> (a value of the event)') : null,
    h('option', { value: CUSTOM_CONTACT, selected: m.choice === CUSTOM_CONTACT }, 'contact.custom.<key> (a custom field)')));

  const type = typeOf(m, o.catalog, o.eventType(), opts);
  const allowed = o.catalog.operatorsByType[type] ?? [];
  if (!allowed.includes(m.operator)) m.operator = allowed[0] ?? '';
  const shape = o.catalog.operators.find((x) => x.name === m.operator)?.value ?? 'single';
  const li = h('li', { class: 'cond' });
  const redraw = () => li.replaceWith(conditionRow(m, i, o));
  li.append(
    h('div', { class: 'cond-head' }, h('h4', {}, `Condition ${i + 1}`),
      h('button', { type: 'button', class: 'link', onclick: () => { o.list.splice(i, 1); o.rerender(); } }, `Remove condition ${i + 1}`)),
    h('div', { class: 'grid3' },
      field('Field', fieldSel, { path: isCustom(m) ? null : `${p}.field`, required: true }),
      isCustom(m) ? field(m.choice === CUSTOM_EVENT ? 'Event value key' : 'Custom field key', bind(h('input', { type: 'text', value: m.key, autocomplete: 'off', spellcheck: 'false' }), m, 'key'), { path: `${p}.field`, required: true }) : null,
      isCustom(m) ? field('Type', bind(select(o.catalog.fieldTypes.map((t) => [t, t]), m.type), m, 'type', redraw), { path: `${p}.type` }) : null,
      field('Operator', bind(select(allowed.map((x) => [x, words(x)]), m.operator), m, 'operator', redraw), { path: `${p}.operator`, hint: `Operators for ${type} fields.` })),
    valueInput(m, type, shape, p));
  return li;
}

/**
 * The condition list editor. `o`: { catalog, eventType: () => string, prefix: 'conditions', contactOnly?, legend }.
 * Returns { el, rerender } bound to `list` (an array of condition models).
 */
export function conditionsEditor(list, o) {
  const ul = h('ol', { class: 'conds' });
  const empty = h('p', { class: 'muted' }, o.emptyText ?? 'No condition: every event of this type matches.');
  const id = nextId('cl');
  const rerender = () => {
    ul.replaceChildren(...list.map((m, i) => conditionRow(m, i, { ...o, list, rerender })));
    empty.hidden = list.length > 0;
  };
  rerender();
  const el = h('div', { class: 'field', 'data-field': o.prefix, id },
    empty, ul, h('span', { class: 'field-error', hidden: true }),
    h('div', {}, h('button', { type: 'button', onclick: () => { list.push(conditionModel(null, o.catalog, o.eventType())); rerender(); ul.lastChild?.querySelector('select')?.focus(); } }, o.addText ?? 'Add condition')));
  return { el, rerender };
}
