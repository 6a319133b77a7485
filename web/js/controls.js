// Form controls bound to a plain model object: typing updates `obj[key]`.
import { checkboxGroup, h, nextId, select } from './dom.js';

export const text = (obj, key, attrs = {}) => h('input', { type: 'text', value: obj[key] ?? '', ...attrs, oninput: (e) => (obj[key] = e.target.value) });
export const area = (obj, key, attrs = {}) => h('textarea', { ...attrs, oninput: (e) => (obj[key] = e.target.value) }, obj[key] ?? '');
export const num = (obj, key, attrs = {}) =>
  h('input', { type: 'number', value: obj[key] ?? '', ...attrs, oninput: (e) => (obj[key] = e.target.value === '' ? null : Number(e.target.value)) });
export const pick = (obj, key, options, onchange) =>
  select(options, obj[key] ?? '', { onchange: (e) => { obj[key] = e.target.value; onchange?.(); } });
export function check(obj, key, label, path, onchange) {
  const id = nextId('cb');
  return h('div', { class: 'field check', 'data-field': path },
    h('input', { type: 'checkbox', id, checked: !!obj[key], onchange: (e) => { obj[key] = e.target.checked; onchange?.(); } }),
    h('label', { for: id }, label),
    h('span', { class: 'field-error', hidden: true }));
}
export function multi(obj, key, legend, options, path, conv = (v) => v, hint) {
  const g = checkboxGroup(legend, nextId('m'), options, (obj[key] ?? []).map(String), { path, hint });
  g.addEventListener('change', () => (obj[key] = [...g.querySelectorAll('input:checked')].map((i) => conv(i.value))));
  return g;
}

