// The workflow editor form: every field of the definition, bound to a plain model. Field wrappers carry the
// API's error path (`data-field="actions.0.message"`) so a 400's details land next to the right control.
import { area, check, multi, num, pick, text } from './controls.js';
import { field, h } from './dom.js';
import { actionFields, actionModel, actionOut, ACTION_TYPES } from './workflow-actions.js';

const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [String(i + 1), m]);

// ---- model <-> API ----------------------------------------------------------------------------
export function toModel(wf) {
  const s = wf?.schedule ?? null;
  return {
    name: wf?.name ?? '',
    description: wf?.description ?? '',
    codeOn: !!wf?.codeActivation,
    code: { lineId: '', code: '', askVoiceMessage: false, maxRecordingSeconds: 60, ...(wf?.codeActivation ?? {}) },
    scheduleType: s?.type ?? 'none',
    weekly: { days: [], time: '09:00', everyWeeks: 1, startDate: '', timezone: '', ...(s?.type === 'weekly' ? s : {}) },
    monthly: {
      time: s?.type === 'monthly' ? s.time : '09:00',
      months: s?.type === 'monthly' && s.months ? s.months : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      mode: s?.type === 'monthly' && s.weekday ? 'weekday' : 'dates',
      datesText: s?.type === 'monthly' && s.dates ? s.dates.join(', ') : '1',
      ordinal: s?.weekday?.ordinal ?? 'first',
      day: s?.weekday?.day ?? 'mon',
      timezone: s?.type === 'monthly' ? s.timezone ?? '' : '',
    },
    actions: (wf?.actions ?? [{ type: 'notification' }]).map(actionModel),
  };
}

const opt = (v) => (v === '' || v === null || v === undefined ? undefined : v);

export function toInput(m) {
  let schedule = null;
  if (m.scheduleType === 'weekly') {
    const w = m.weekly;
    schedule = { type: 'weekly', days: w.days, time: w.time, everyWeeks: Number(w.everyWeeks), startDate: opt(w.startDate), timezone: opt(w.timezone) };
  } else if (m.scheduleType === 'monthly') {
    const mo = m.monthly;
    schedule = { type: 'monthly', time: mo.time, months: mo.months.map(Number), timezone: opt(mo.timezone) };
    if (mo.mode === 'weekday') schedule.weekday = { ordinal: mo.ordinal, day: mo.day };
    else schedule.dates = mo.datesText.split(/[\s,]+/).filter(Boolean).map((d) => (d.toLowerCase() === 'last' ? 'last' : /^\d+$/.test(d) ? Number(d) : d));
  }
  return {
    name: m.name,
    description: m.description,
    codeActivation: m.codeOn
      ? { lineId: m.code.lineId, code: m.code.code, askVoiceMessage: !!m.code.askVoiceMessage, maxRecordingSeconds: m.code.maxRecordingSeconds }
      : null,
    schedule,
    actions: m.actions.map(actionOut),
  };
}

// ---- form -------------------------------------------------------------------------------------
/** Builds the editor; `readOnly` disables every control (members can look, not change). */
export function workflowForm(m, { lines, groups, readOnly, caps = null, workflowId = null }) {
  const lineOpts = [['', '— choose a line —'], ...lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`])];
  const groupOpts = groups.map((g) => [g.id, `${g.name} (${g.memberCount ?? '?'})`]);
  const root = h('fieldset', { class: 'plain', disabled: readOnly });

  const general = h('section', { class: 'card', 'aria-labelledby': 'sec-general' }, h('h2', { id: 'sec-general' }, 'General'),
    field('Name', text(m, 'name', { maxlength: 200, autocomplete: 'off' }), { path: 'name', required: true }),
    field('Description', area(m, 'description', { maxlength: 2000, rows: 2 }), { path: 'description' }));

  const codeBox = h('div');
  const renderCode = () => codeBox.replaceChildren(...(m.codeOn ? [h('div', { class: 'grid2' },
    field('Phone line', pick(m.code, 'lineId', lineOpts), { path: 'codeActivation.lineId', required: true }),
    field('Code', text(m.code, 'code', { maxlength: 4, autocomplete: 'off', class: 'upper', spellcheck: 'false' }),
      { path: 'codeActivation.code', required: true, hint: '4 characters A–Z or 0–9; callers key it on the keypad (RESQ = 7377).' }),
    field('Longest voice message (seconds)', num(m.code, 'maxRecordingSeconds', { min: 5, max: 300 }), { path: 'codeActivation.maxRecordingSeconds' })),
  check(m.code, 'askVoiceMessage', 'Ask the caller to leave a voice message', 'codeActivation.askVoiceMessage')] : []));
  renderCode();

  const schedBox = h('div');
  const renderSchedule = () => schedBox.replaceChildren(...scheduleFields(m, renderSchedule));
  renderSchedule();

  const activation = h('section', { class: 'card', 'aria-labelledby': 'sec-act' }, h('h2', { id: 'sec-act' }, 'How it is activated'),
    h('p', { class: 'muted' }, 'Every workflow can be activated from this dashboard and the API.'),
    check(m, 'codeOn', 'By phone: callers and texters enter a code on a line', 'codeActivation', renderCode), codeBox,
    field('Schedule', pick(m, 'scheduleType', [['none', 'No schedule'], ['weekly', 'Weekly'], ['monthly', 'Monthly']], renderSchedule), { path: 'schedule' }),
    schedBox);

  const actionsBox = h('div');
  const actionsSec = h('section', { 'aria-labelledby': 'sec-actions', 'data-field': 'actions' },
    h('h2', { id: 'sec-actions' }, 'Actions'), h('span', { class: 'field-error', hidden: true }), actionsBox);
  const renderActions = () => {
    actionsBox.replaceChildren(...m.actions.map((a, i) => actionCard(m, a, i, { lineOpts, groupOpts, rerender: renderActions, readOnly, caps, workflowId })));
  };
  renderActions();
  const newType = { type: 'notification' };
  if (!readOnly) {
    actionsSec.append(h('div', { class: 'form-actions' },
      field('New action type', pick(newType, 'type', ACTION_TYPES)),
      h('button', { type: 'button', onclick: () => {
        m.actions.push(actionModel({ type: newType.type }));
        renderActions();
        actionsBox.lastElementChild?.querySelector('select, input, textarea')?.focus();
      } }, 'Add action')));
  }
  root.append(general, activation, actionsSec);
  return root;
}

function scheduleFields(m, rerender) {
  if (m.scheduleType === 'weekly') {
    const w = m.weekly;
    return [h('div', { class: 'card' },
      multi(w, 'days', 'Days', DAYS, 'schedule.days'),
      h('div', { class: 'grid2' },
        field('Time', h('input', { type: 'time', value: w.time, oninput: (e) => (w.time = e.target.value) }), { path: 'schedule.time', required: true }),
        field('Repeat', pick(w, 'everyWeeks', [['1', 'Every week'], ['2', 'Every 2 weeks'], ['4', 'Every 4 weeks']]), { path: 'schedule.everyWeeks' }),
        field('Starting', h('input', { type: 'date', value: w.startDate ?? '', oninput: (e) => (w.startDate = e.target.value) }), { path: 'schedule.startDate' }),
        field('Time zone', text(w, 'timezone', { placeholder: 'account time zone' }), { path: 'schedule.timezone', hint: 'e.g. Europe/London; empty = the account\'s' })))];
  }
  if (m.scheduleType === 'monthly') {
    const mo = m.monthly;
    const modeBox = h('div');
    const renderMode = () => modeBox.replaceChildren(mo.mode === 'weekday'
      ? h('div', { class: 'grid2' },
        field('Which', pick(mo, 'ordinal', ['first', 'second', 'third', 'fourth', 'last'].map((o) => [o, o])), { path: 'schedule.weekday.ordinal' }),
        field('Day', pick(mo, 'day', DAYS), { path: 'schedule.weekday.day' }))
      : field('Dates', text(mo, 'datesText'), { path: 'schedule.dates', hint: 'Days of the month separated by commas; "last" for the last day.' }));
    renderMode();
    return [h('div', { class: 'card' },
      multi(mo, 'months', 'Months', MONTHS, 'schedule.months', Number),
      field('Repeat on', pick(mo, 'mode', [['dates', 'Dates of the month'], ['weekday', 'A weekday of the month']], renderMode)),
      modeBox,
      h('div', { class: 'grid2' },
        field('Time', h('input', { type: 'time', value: mo.time, oninput: (e) => (mo.time = e.target.value) }), { path: 'schedule.time', required: true }),
        field('Time zone', text(mo, 'timezone', { placeholder: 'account time zone' }), { path: 'schedule.timezone' })))];
  }
  void rerender;
  return [];
}

function actionCard(m, a, i, o) {
  const p = `actions.${i}`;
  const title = `Action ${i + 1}`;
  const move = (d) => {
    const j = i + d;
    if (j < 0 || j >= m.actions.length) return;
    [m.actions[i], m.actions[j]] = [m.actions[j], m.actions[i]];
    o.rerender();
  };
  const typeSel = pick(a, 'type', ACTION_TYPES, () => {
    m.actions[i] = actionModel({ ...a, type: a.type });
    o.rerender();
  });
  return h('section', { class: 'card action-card', 'aria-label': title, 'data-field': p },
    h('div', { class: 'action-head' },
      h('h3', {}, title),
      o.readOnly ? null : h('div', { class: 'actions' },
        h('button', { type: 'button', disabled: i === 0, onclick: () => move(-1), 'aria-label': `Move ${title} up` }, '↑'),
        h('button', { type: 'button', disabled: i === m.actions.length - 1, onclick: () => move(1), 'aria-label': `Move ${title} down` }, '↓'),
        h('button', { type: 'button', class: 'danger', onclick: () => { m.actions.splice(i, 1); o.rerender(); }, 'aria-label': `Remove ${title}` }, 'Remove'))),
    h('span', { class: 'field-error', hidden: true }),
    field('Type', typeSel, { path: `${p}.type` }),
    actionFields(a, p, o));
}
