// Delivery methods as the account can use them (GET /v1/account/capabilities): a method that cannot work here is
// disabled with the reason beside it (no SMTP server, no push provider, no line that can call), unless already chosen.
import { h, nextId } from './dom.js';

/** The "Delivery methods" checkboxes of a notification, bound to `a.channels`; `caps` may be null (unknown: all on). */
export function channelChoices(a, path, channels, caps) {
  const err = h('span', { class: 'field-error', hidden: true });
  const chosen = new Set(a.channels ?? []);
  const reasons = [];
  const boxes = channels.map(([value, label]) => {
    const cap = caps?.channels?.[value];
    const off = cap && !cap.available;
    const id = nextId('cb');
    let why = null;
    if (off) {
      why = h('p', { class: 'hint tight', id: `${id}-why` }, `${label}: ${cap.reason}${chosen.has(value) ? ' Untick it to remove it.' : ''}`);
      reasons.push(why);
    }
    return h('span', { class: 'check' },
      h('input', { type: 'checkbox', id, name: `ch-${id}`, value, checked: chosen.has(value), disabled: off && !chosen.has(value), 'aria-describedby': why ? why.id : null }),
      h('label', { for: id }, label));
  });
  const g = h('fieldset', { class: 'checks', 'data-field': path }, h('legend', {}, 'Delivery methods'), h('div', { class: 'check-row' }, boxes), reasons, err);
  g.addEventListener('change', () => {
    a.channels = [...g.querySelectorAll('input:checked')].map((i) => i.value);
    err.hidden = true;
    err.textContent = '';
  });
  return g;
}
