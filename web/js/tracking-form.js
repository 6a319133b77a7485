// The post-call workflow editor's form: trigger, conditions and actions bound to a plain model, with the API's
// error paths on each field wrapper (`data-field="conditions.0.seconds"`), so a 400 lands next to the control.
import { api } from './api.js';
import { area, check, num, pick, text } from './controls.js';
import { field, h, nextId } from './dom.js';

export const TRIGGERS = [['missed', 'A missed call (nobody answered)'], ['answered', 'An answered call']];
export const CONDITION_TYPES = [['duration', 'Talk time'], ['caller_frequency', 'How often the number called'], ['source', 'Line or campaign called']];
export const ACTION_TYPES = [['sms_caller', 'Text the caller'], ['email_owners', 'E-mail the owners'], ['webhook', 'Webhook'], ['activate_workflow', 'Activate a workflow']];
const FIELDS = ['caller', 'duration', 'source', 'campaign', 'line', 'line_number', 'time', 'outcome', 'reason', 'recording_url', 'contact_name'];

const opt = (v) => (v === '' || v === null || v === undefined ? undefined : v);
const lines = (s) => String(s ?? '').split('\n').map((x) => x.trim()).filter(Boolean);

export function conditionModel(c = { type: 'duration' }) {
  return {
    type: c.type, operator: c.operator ?? (c.type === 'caller_frequency' ? 'first_call' : 'less_than'),
    seconds: c.seconds ?? 10, calls: c.calls ?? 2, days: c.days ?? 30,
    lineIds: c.lineIds ?? [], campaignsText: (c.campaigns ?? []).join('\n'),
  };
}

export function actionModel(a = { type: 'sms_caller' }) {
  return {
    id: a.id, type: a.type, message: a.message ?? '', lineId: a.lineId ?? '', subject: a.subject ?? '', url: a.url ?? '',
    authorizationSet: !!a.authorizationSet, authorization: '', clearAuthorization: false, workflowId: a.workflowId ?? '',
    placeholdersText: Object.entries(a.placeholders ?? {}).map(([k, v]) => `${k} = ${v}`).join('\n'),
  };
}

export const toModel = (w) => ({
  name: w?.name ?? '', enabled: w?.enabled ?? true, trigger: w?.trigger ?? 'missed',
  conditions: (w?.conditions ?? []).map(conditionModel), actions: (w?.actions ?? [{ type: 'sms_caller' }]).map(actionModel),
});

function conditionOut(c) {
  if (c.type === 'duration') return { type: c.type, operator: c.operator, seconds: c.seconds };
  if (c.type === 'caller_frequency') return c.operator === 'first_call' ? { type: c.type, operator: c.operator } : { type: c.type, operator: c.operator, calls: c.calls, days: c.days };
  return { type: c.type, lineIds: c.lineIds, campaigns: lines(c.campaignsText) };
}

function actionOut(a) {
  const base = { id: a.id, type: a.type };
  if (a.type === 'sms_caller') return { ...base, message: a.message, lineId: opt(a.lineId) };
  if (a.type === 'email_owners') return { ...base, subject: opt(a.subject) };
  // Write-only: left out keeps the stored value, null clears it, a string replaces it.
  if (a.type === 'webhook') return { ...base, url: a.url, authorization: a.clearAuthorization ? null : opt(a.authorization) };
  const placeholders = Object.fromEntries(lines(a.placeholdersText).map((l) => {
    const i = l.indexOf('=');
    return i < 0 ? [l, ''] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
  }));
  return { ...base, workflowId: a.workflowId, placeholders };
}

export const toInput = (m) => ({ name: m.name, enabled: m.enabled, trigger: m.trigger, conditions: m.conditions.map(conditionOut), actions: m.actions.map(actionOut) });

/** A select whose options may be disabled, each `[value, label, disabled]`. */
function choose(obj, key, options, onchange) {
  return h('select', { onchange: (e) => { obj[key] = e.target.value; onchange?.(); } },
    options.map(([v, label, off]) => h('option', { value: v, selected: String(v) === String(obj[key] ?? ''), disabled: !!off }, label)));
}

/** Builds the form; `o` = { lines, workflows, caps }. */
export function trackingForm(m, o) {
  const root = h('div');
  const lineOpts = o.lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`]);
  const general = h('section', { class: 'card', 'aria-labelledby': 'tf-general' }, h('h2', { id: 'tf-general' }, 'General'),
    field('Name', text(m, 'name', { maxlength: 200, autocomplete: 'off' }), { path: 'name', required: true }),
    check(m, 'enabled', 'Active: run after every call that matches', 'enabled'),
    field('Runs after', pick(m, 'trigger', TRIGGERS, () => o.onTrigger?.()), { path: 'trigger', required: true }));

  const condBox = h('div');
  const renderConds = () => condBox.replaceChildren(...(m.conditions.length
    ? m.conditions.map((c, i) => conditionCard(m, c, i, { lineOpts, rerender: renderConds }))
    : [h('p', { class: 'muted' }, 'No condition: every call of this kind runs the actions.')]));
  renderConds();
  const newCond = { type: 'duration' };
  const conds = h('section', { class: 'card', 'aria-labelledby': 'tf-conds', 'data-field': 'conditions' },
    h('h2', { id: 'tf-conds' }, 'Conditions (all must match)'), h('span', { class: 'field-error', hidden: true }), condBox,
    h('div', { class: 'form-actions' }, field('New condition', pick(newCond, 'type', CONDITION_TYPES)),
      h('button', { type: 'button', onclick: () => {
        m.conditions.push(conditionModel({ type: newCond.type }));
        renderConds();
        condBox.lastElementChild?.querySelector('select, input')?.focus();
      } }, 'Add condition')));

  const actBox = h('div');
  const renderActs = () => actBox.replaceChildren(...m.actions.map((a, i) => actionCard(m, a, i, { ...o, lineOpts, rerender: renderActs })));
  renderActs();
  const emailOff = o.caps && !o.caps.channels.email.available;
  const newAct = { type: 'sms_caller' };
  const typeOpts = ACTION_TYPES.map(([v, l]) => [v, v === 'email_owners' && emailOff ? `${l} (unavailable: no SMTP server)` : l, v === 'email_owners' && emailOff]);
  const acts = h('section', { class: 'card', 'aria-labelledby': 'tf-acts', 'data-field': 'actions' },
    h('h2', { id: 'tf-acts' }, 'Actions'), h('span', { class: 'field-error', hidden: true }), actBox,
    h('div', { class: 'form-actions' },
      field('New action', choose(newAct, 'type', typeOpts), { hint: emailOff ? o.caps.channels.email.reason : null }),
      h('button', { type: 'button', onclick: () => {
        m.actions.push(actionModel({ type: newAct.type }));
        renderActs();
        actBox.lastElementChild?.querySelector('select, input, textarea')?.focus();
      } }, 'Add action')));
  root.append(general, conds, acts);
  return root;
}

function cardHead(title, list, i, rerender) {
  return h('div', { class: 'action-head' }, h('h3', {}, title),
    h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${title}`, onclick: () => { list.splice(i, 1); rerender(); } }, 'Remove'));
}

function conditionCard(m, c, i, o) {
  const p = `conditions.${i}`;
  const title = `Condition ${i + 1}`;
  const typeSel = pick(c, 'type', CONDITION_TYPES, () => {
    m.conditions[i] = conditionModel({ type: c.type });
    o.rerender();
  });
  const body = [];
  if (c.type === 'duration') {
    body.push(h('div', { class: 'grid2' },
      field('Talk time is', pick(c, 'operator', [['less_than', 'less than'], ['greater_than', 'more than']]), { path: `${p}.operator` }),
      field('Seconds', num(c, 'seconds', { min: 0, max: 86400, step: 1 }), { path: `${p}.seconds`, hint: 'A missed call has 0 seconds of talk time.' })));
  } else if (c.type === 'caller_frequency') {
    const more = h('div');
    const renderMore = () => more.replaceChildren(...(c.operator === 'first_call' ? [] : [h('div', { class: 'grid2' },
      field('Calls (this one included)', num(c, 'calls', { min: 1, max: 10000 }), { path: `${p}.calls` }),
      field('In the last … days', num(c, 'days', { min: 1, max: 3650 }), { path: `${p}.days` }))]));
    renderMore();
    body.push(field('The caller', pick(c, 'operator', [['first_call', 'never called before (first call)'], ['at_least', 'called at least'], ['at_most', 'called at most']], renderMore),
      { path: `${p}.operator`, hint: 'A withheld number never matches.' }), more);
  } else {
    const set = new Set(c.lineIds);
    body.push(h('fieldset', { class: 'checks', 'data-field': `${p}.lineIds` }, h('legend', {}, 'Tracking lines'),
      h('div', { class: 'check-row' }, o.lineOpts.map(([id, label]) => {
        const cid = nextId('cb');
        return h('span', { class: 'check' }, h('input', { type: 'checkbox', id: cid, value: id, checked: set.has(id), onchange: (e) => {
          c.lineIds = e.target.checked ? [...c.lineIds, id] : c.lineIds.filter((x) => x !== id);
        } }), h('label', { for: cid }, label));
      })), h('span', { class: 'field-error', hidden: true })),
    field('Or campaigns, one per line', area(c, 'campaignsText', { rows: 2 }), { path: `${p}.campaigns`, hint: 'The source names of tracking lines (case does not matter).' }));
  }
  return h('section', { class: 'card action-card', 'aria-label': title, 'data-field': p },
    cardHead(title, m.conditions, i, o.rerender), h('span', { class: 'field-error', hidden: true }),
    field('Type', typeSel, { path: `${p}.type` }), body);
}

function actionCard(m, a, i, o) {
  const p = `actions.${i}`;
  const title = `Action ${i + 1}`;
  const emailCap = o.caps?.channels.email;
  const typeOpts = ACTION_TYPES.map(([v, l]) => [v, l, v === 'email_owners' && emailCap && !emailCap.available && a.type !== 'email_owners']);
  const typeSel = choose(a, 'type', typeOpts, () => {
    m.actions[i] = actionModel({ id: a.id, type: a.type });
    o.rerender();
  });
  return h('section', { class: 'card action-card', 'aria-label': title, 'data-field': p },
    cardHead(title, m.actions, i, o.rerender), h('span', { class: 'field-error', hidden: true }),
    field('Type', typeSel, { path: `${p}.type` }), actionFields(m, a, p, o));
}

function actionFields(m, a, p, o) {
  if (a.type === 'sms_caller') {
    const out = h('div', { class: 'preview', role: 'status', 'aria-live': 'polite' }, 'Type a message to see it.');
    const note = h('p', { class: 'hint' });
    const msg = area(a, 'message', { rows: 3, maxlength: 1600 });
    const refresh = debounce(() => renderPreview(m, a, out, note), 250);
    msg.addEventListener('input', refresh);
    const line = pick(a, 'lineId', [['', 'the tracking line called'], ...o.lineOpts], refresh);
    o.previews?.push(refresh);
    if (a.message) setTimeout(refresh);
    const previewId = nextId('pv');
    out.id = previewId;
    out.setAttribute('aria-labelledby', `${previewId}-l`);
    return [
      field('Message', msg, { path: `${p}.message`, required: true, hint: `Fields: ${FIELDS.map((f) => `{{${f}}}`).join(' ')}` }),
      field('Send from', line, { path: `${p}.lineId` }),
      h('div', { class: 'field' }, h('span', { class: 'label', id: `${previewId}-l` }, h('strong', {}, 'Preview with sample values')), out, note),
    ];
  }
  if (a.type === 'email_owners') {
    const cap = o.caps?.channels.email;
    const owners = o.caps?.ownerEmails;
    return [
      cap && !cap.available ? h('p', { class: 'alert warn' }, cap.reason) : null,
      owners && !owners.available ? h('p', { class: 'alert warn' }, owners.reason) : null,
      field('Subject (optional)', text(a, 'subject', { maxlength: 200 }), { path: `${p}.subject`, hint: 'Default: "Missed call from <caller> (<source>)". Takes the same {{fields}}.' }),
    ];
  }
  if (a.type === 'webhook') {
    return [
      field('URL', text(a, 'url', { type: 'url', inputmode: 'url', spellcheck: 'false', placeholder: 'https://' }), { path: `${p}.url`, required: true, hint: 'POSTs { event, workflow, call } as JSON. HTTPS only.' }),
      field('Authorization header', h('input', { type: 'password', autocomplete: 'off', value: '', oninput: (e) => (a.authorization = e.target.value) }), {
        path: `${p}.authorization`,
        hint: a.authorizationSet ? 'A value is stored (never shown). Type a new one to replace it.' : 'Optional; stored encrypted and never shown again.',
      }),
      a.authorizationSet ? check(a, 'clearAuthorization', 'Remove the stored Authorization header', `${p}.clearAuthorization`) : null,
    ];
  }
  return [
    field('Workflow to activate', pick(a, 'workflowId', [['', '— choose a workflow —'], ...o.workflows.map((w) => [w.id, w.name])]), { path: `${p}.workflowId`, required: true }),
    field('Placeholder values, one per line (name = value)', area(a, 'placeholdersText', { rows: 2, spellcheck: 'false' }), { path: `${p}.placeholders`, hint: 'Values may use the {{fields}}, e.g. who = {{caller}}.' }),
  ];
}

// The server renders the preview (POST /v1/tracking-workflows/preview): the same code as a real run.
async function renderPreview(m, a, out, note) {
  if (!a.message.trim()) {
    out.textContent = 'Type a message to see it.';
    note.textContent = '';
    return;
  }
  try {
    const r = await api.post('/v1/tracking-workflows/preview', { message: a.message, trigger: m.trigger, lineId: opt(a.lineId) });
    out.textContent = r.text;
    const unknown = r.unknownFields.length ? ` Unknown fields (sent empty): ${r.unknownFields.map((f) => `{{${f}}}`).join(', ')}.` : '';
    note.textContent = `${r.length} of ${r.maxLength} characters. Sample caller ${r.sample.caller}.${unknown}`;
  } catch (err) {
    out.textContent = '';
    note.textContent = err.details?.[0]?.message ? `${err.details[0].path}: ${err.details[0].message}` : err.message;
  }
}

function debounce(fn, ms) {
  let t = null;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}
