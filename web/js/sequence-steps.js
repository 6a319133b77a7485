// The fields of one sequence step and of one condition (branches and exits), bound to a plain model in the
// API's shape. Field wrappers carry the API's error paths (`steps.2.delay.amount`) so a 400 lands next to
// the right control.
import { area, check, num, pick, text } from './controls.js';
import { field, h } from './dom.js';
import { CHANNELS, CONDITIONS, FIELD_OPS, OPT_CHANNELS, UNITS } from './sequence-words.js';

let keySeq = 0;
/** A fresh id not used by `steps` (`s1`, `s2`…), so branches can name the step before it is saved. */
export function freeId(steps) {
  const taken = new Set(steps.map((s) => s.id));
  let n = steps.length + 1;
  while (taken.has(`s${n}`)) n++;
  return `s${n}`;
}

/** A model step from the API (or a new one of `type`): every step gets an id and a DOM key. */
export function stepModel(s, steps = []) {
  const base = { _key: ++keySeq, id: s.id || freeId(steps), name: s.name ?? '', type: s.type };
  if (s.type === 'send') return { ...base, send: { channel: 'sms', message: '', ...(s.send ?? {}), authorization: '' } };
  if (s.type === 'delay') return { ...base, delay: { amount: 1, unit: 'days', ...(s.delay ?? {}) } };
  if (s.type === 'branch') {
    const b = s.branch ?? {};
    return { ...base, branch: { then: 'next', else: 'next', ...b, condition: conditionModel(b.condition ?? { type: 'replied' }), _wait: !!b.within, within: b.within ?? { amount: 1, unit: 'days' } } };
  }
  const u = s.update ?? {};
  return { ...base, update: { status: u.status ?? '', _fields: Object.entries(u.fields ?? {}).map(([k, v]) => `${k}=${v}`).join('\n') } };
}

export function conditionModel(c) {
  return { ...c, _valueText: c.value === undefined || c.value === null ? '' : Array.isArray(c.value) ? c.value.join(', ') : String(c.value) };
}

// "true" -> true, "12" -> 12, anything else stays text (the API decides whether it fits).
const scalar = (v) => (v === 'true' ? true : v === 'false' ? false : v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);
const opt = (v) => (v === '' || v === null || v === undefined ? undefined : v);

export function conditionOut(c) {
  const out = { type: c.type };
  if (c.type === 'replied') out.contains = opt(c.contains);
  if (c.type === 'key_pressed') out.digits = opt(c.digits);
  if (c.type === 'poll_answered') Object.assign(out, { option: opt(c.option), answer: opt(c.answer) });
  if (c.type === 'event') Object.assign(out, { eventType: c.eventType ?? '', match: c.match });
  if (c.type === 'opted_out') out.channel = opt(c.channel);
  if (c.type === 'email_opened' || c.type === 'email_clicked') Object.assign(out, { step: opt(c.step), ignoreMachineOpens: !!c.ignoreMachineOpens });
  if (c.type === 'field') {
    Object.assign(out, { field: c.field ?? '', op: c.op ?? 'eq' });
    const t = (c._valueText ?? '').trim();
    if (!['exists', 'not_exists'].includes(out.op) && t !== '') {
      out.value = ['in', 'not_in'].includes(out.op) ? t.split(',').map((x) => scalar(x.trim())) : scalar(t);
    }
  }
  return JSON.parse(JSON.stringify(out)); // drops undefined
}

/** A model step back to the API's shape (write-only secrets only when typed). */
export function stepOut(s) {
  const base = { id: s.id, type: s.type, ...(s.name ? { name: s.name } : {}) };
  if (s.type === 'send') {
    const { authorization, authorizationSet: _set, ...send } = s.send;
    if (send.channel !== 'webhook') for (const k of ['method', 'url', 'body']) delete send[k];
    if (send.channel !== 'email') delete send.subject;
    if (send.channel === 'email' || send.channel === 'webhook') delete send.lineId;
    if (send.channel === 'webhook') delete send.message;
    if (!send.lineId) delete send.lineId;
    return { ...base, send: authorization ? { ...send, authorization } : send };
  }
  if (s.type === 'delay') return { ...base, delay: { amount: s.delay.amount, unit: s.delay.unit } };
  if (s.type === 'branch') {
    const b = s.branch;
    return { ...base, branch: { condition: conditionOut(b.condition), ...(b.since ? { since: b.since } : {}), ...(b._wait ? { within: b.within } : {}), then: b.then, else: b.else } };
  }
  const fields = {};
  for (const line of (s.update._fields ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) fields[line.slice(0, i).trim()] = scalar(line.slice(i + 1).trim());
  }
  return { ...base, update: { ...(s.update.status ? { status: s.update.status } : {}), ...(Object.keys(fields).length ? { fields } : {}) } };
}

/** The fields of condition `c` (type first); `rerender` redraws when the type changes. */
export function conditionFields(c, path, rerender, { label = 'Condition' } = {}) {
  const typeSel = pick(c, 'type', CONDITIONS, () => {
    for (const k of Object.keys(c)) if (k !== 'type') delete c[k];
    Object.assign(c, conditionModel({ type: c.type }));
    rerender();
  });
  const rows = [field(label, typeSel, { path: `${path}.type` })];
  if (c.type === 'replied') rows.push(field('Reply contains (optional)', text(c, 'contains', { maxlength: 100 }), { path: `${path}.contains`, hint: 'Any reply counts when empty; case-insensitive.' }));
  if (c.type === 'key_pressed') rows.push(field('Key (optional)', text(c, 'digits', { maxlength: 10, inputmode: 'tel' }), { path: `${path}.digits`, hint: 'Keypad digits, * or #; any key when empty.' }));
  if (c.type === 'poll_answered') {
    rows.push(field('Option number (optional)', num(c, 'option', { min: 1, max: 9 }), { path: `${path}.option` }),
      field('Answer text (optional)', text(c, 'answer', { maxlength: 100 }), { path: `${path}.answer` }));
  }
  if (c.type === 'event') rows.push(field('Event type', text(c, 'eventType', { maxlength: 100, placeholder: 'invoice.paid', spellcheck: 'false' }), { path: `${path}.eventType`, required: true, hint: 'Any type posted to POST /v1/events for the contact.' }));
  if (c.type === 'field') {
    const valueBox = h('div');
    const renderValue = () => valueBox.replaceChildren(...(['exists', 'not_exists'].includes(c.op) ? []
      : [field('Value', text(c, '_valueText', { maxlength: 500 }), { path: `${path}.value`, hint: ['in', 'not_in'].includes(c.op) ? 'Values separated by commas.' : null })]));
    c.op ??= 'eq';
    rows.push(field('Field', text(c, 'field', { maxlength: 80, spellcheck: 'false', placeholder: 'status' }),
      { path: `${path}.field`, required: true, hint: 'status, name, email, phone, timezone, onDuty, doNotContact, optedOut.<channel> or custom.<key>' }),
    field('Operator', pick(c, 'op', FIELD_OPS, renderValue), { path: `${path}.op` }), valueBox);
    renderValue();
  }
  if (c.type === 'opted_out') rows.push(field('Channel', pick(c, 'channel', OPT_CHANNELS), { path: `${path}.channel` }));
  if (c.type === 'email_opened' || c.type === 'email_clicked') {
    rows.push(field('E-mail step id (optional)', text(c, 'step', { maxlength: 40, spellcheck: 'false' }),
      { path: `${path}.step`, hint: 'An earlier e-mail send step; by default the latest send step before this one (exits: any e-mail).' }),
    check(c, 'ignoreMachineOpens', 'Ignore opens made by image proxies (machine opens)', `${path}.ignoreMachineOpens`));
  }
  return rows;
}

const duration = (obj, path, legend) => h('fieldset', { class: 'inline-fields' }, h('legend', {}, legend),
  field('Amount', num(obj, 'amount', { min: 0, max: 10000, step: 1 }), { path: `${path}.amount` }),
  field('Unit', pick(obj, 'unit', UNITS), { path: `${path}.unit` }));

/** The type-specific fields of step `s` at index `i`; `targets` are the branch's jump options. */
export function stepBody(s, i, { lineOpts, targets, rerender }) {
  const p = `steps.${i}`;
  if (s.type === 'send') {
    const x = s.send;
    const box = h('div');
    const draw = () => {
      const rows = [field('Channel', pick(x, 'channel', CHANNELS, draw), { path: `${p}.send.channel` })];
      if (x.channel === 'sms' || x.channel === 'voice') rows.push(field('Line', pick(x, 'lineId', [['', 'the sequence\'s default line'], ...lineOpts]), { path: `${p}.send.lineId` }));
      if (x.channel === 'email') rows.push(field('Subject', text(x, 'subject', { maxlength: 200 }), { path: `${p}.send.subject`, required: true }));
      if (x.channel === 'webhook') {
        rows.push(field('Method', pick(x, 'method', [['POST', 'POST'], ['GET', 'GET']]), { path: `${p}.send.method` }),
          field('URL', text(x, 'url', { type: 'url', maxlength: 2000, placeholder: 'https://' }), { path: `${p}.send.url`, required: true }),
          field('Body', area(x, 'body', { rows: 3 }), { path: `${p}.send.body` }),
          field('Authorization header', text(x, 'authorization', { type: 'password', autocomplete: 'off' }),
            { path: `${p}.send.authorization`, hint: x.authorizationSet ? 'Stored (hidden). Leave empty to keep it.' : 'Optional; stored encrypted, never shown again.' }));
      } else {
        rows.push(field(x.channel === 'voice' ? 'Message (spoken)' : 'Message', area(x, 'message', { rows: 3, maxlength: x.channel === 'email' ? 20000 : 4000 }),
          { path: `${p}.send.message`, required: true, hint: '{{first_name}} and custom fields come from the contact; [[placeholders]] are given at enrollment.' }));
      }
      box.replaceChildren(...rows);
    };
    draw();
    return [box];
  }
  if (s.type === 'delay') return [duration(s.delay, `${p}.delay`, 'Wait for')];
  if (s.type === 'branch') {
    const b = s.branch;
    const waitBox = h('div');
    const drawWait = () => waitBox.replaceChildren(...(b._wait ? [duration(b.within, `${p}.branch.within`, 'Wait up to')] : []));
    drawWait();
    const condBox = h('div');
    const drawCond = () => condBox.replaceChildren(...conditionFields(b.condition, `${p}.branch.condition`, drawCond, { label: 'Branch on' }));
    drawCond();
    void rerender;
    return [condBox, check(b, '_wait', 'Wait for it (an event or reply ends the wait early)', `${p}.branch.within`, drawWait), waitBox,
      h('div', { class: 'grid2' },
        field('If it happened, go to', pick(b, 'then', targets(b.then)), { path: `${p}.branch.then` }),
        field('Otherwise, go to', pick(b, 'else', targets(b.else)), { path: `${p}.branch.else` }))];
  }
  return [
    field('Set status', text(s.update, 'status', { maxlength: 40, spellcheck: 'false' }), { path: `${p}.update.status`, hint: 'lower-case letters, digits, _ or -' }),
    field('Set custom fields', area(s.update, '_fields', { rows: 2, spellcheck: 'false' }), { path: `${p}.update.fields`, hint: 'One a line: name=value (true, false and numbers are stored as such).' }),
  ];
}
