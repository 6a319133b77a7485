// Rule editor inputs for the callback actions (schedule_callback, place_call, update_callback) and the
// sequence actions (enroll_sequence, unenroll_sequence): pickers for lines, agent groups and sequences
// instead of JSON. Field paths are the API's (`actions.2.agentNumber`, `actions.2.moveBy.minutes`).
import { area, num, pick, text } from './controls.js';
import { field, h } from './dom.js';

/** The action types this file edits. */
export const CALL_TYPES = new Set(['schedule_callback', 'place_call', 'update_callback', 'enroll_sequence', 'unenroll_sequence']);

const DEFAULT_WHISPER = 'Callback to {{contact.name}}.';

/** Parses "name=value" lines into the API's placeholders object. */
export const placeholdersOut = (s) => Object.fromEntries(String(s ?? '').split('\n').map((l) => l.trim()).filter(Boolean)
  .map((l) => [l.split('=')[0].trim(), l.includes('=') ? l.slice(l.indexOf('=') + 1).trim() : '']));

/** The editable fields of these types, merged into the action model. */
export function callModel(a) {
  const target = a.callbackId === 'event.callbackId' ? 'event' : a.callbackId ? 'id' : 'next';
  return {
    agentMode: a.agentGroupId ? 'group' : a.agentNumber ? 'number' : a.type === 'schedule_callback' || a.type === 'place_call' ? 'line' : 'group',
    agentGroupId: a.agentGroupId ?? '', agentNumber: a.agentNumber ?? '', whisper: a.whisper ?? DEFAULT_WHISPER,
    cbOperation: a.type === 'update_callback' ? a.operation : 'move', cbTarget: target, callbackId: target === 'id' ? a.callbackId : '',
    moveBy: { days: a.moveBy?.days ?? 0, hours: a.moveBy?.hours ?? 1, minutes: a.moveBy?.minutes ?? 0 },
    sequenceId: a.sequenceId ?? '',
  };
}

/** The API fields of the action (besides id, type, name, active, timing…). */
export function callOut(a) {
  switch (a.type) {
    case 'schedule_callback': case 'place_call':
      return {
        lineId: a.lineId, whisper: a.whisper.trim() === '' ? undefined : a.whisper,
        agentGroupId: a.agentMode === 'group' ? a.agentGroupId : undefined,
        agentNumber: a.agentMode === 'number' ? a.agentNumber.trim() : undefined,
      };
    case 'update_callback': {
      const n = (v) => Number(v) || 0;
      return {
        operation: a.cbOperation,
        callbackId: a.cbTarget === 'event' ? 'event.callbackId' : a.cbTarget === 'id' ? a.callbackId.trim() : undefined,
        moveBy: a.cbOperation === 'move' ? { days: n(a.moveBy.days), hours: n(a.moveBy.hours), minutes: n(a.moveBy.minutes) } : undefined,
      };
    }
    case 'enroll_sequence': return { sequenceId: a.sequenceId, placeholders: placeholdersOut(a.placeholders) };
    case 'unenroll_sequence': return { sequenceId: a.sequenceId };
    default: return {};
  }
}

const lineOptions = (o) => [['', '— choose a line —'], ...o.lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`])];

function callbackFields(a, p, o) {
  const agents = {
    group: () => field('Agent group', pick(a, 'agentGroupId', [['', '— choose a group —'], ...o.groups.map((g) => [g.id, g.name])]),
      { path: `${p}.agentGroupId`, required: true, hint: 'Its on-duty members with a phone are rung one after another.' }),
    number: () => field('Agent number', text(a, 'agentNumber', { inputmode: 'tel', autocomplete: 'off', placeholder: '+15551234567' }),
      { path: `${p}.agentNumber`, required: true, hint: 'International format.' }),
  };
  return [
    h('p', { class: 'hint' }, a.type === 'place_call'
      ? 'Calls the agent now, then connects the contact. In quiet hours the call is refused.'
      : 'Calls the agent when the action set\'s timing comes due (within the schedule window), then connects the contact.'),
    h('div', { class: 'grid2' },
      field('Call from line', pick(a, 'lineId', lineOptions(o)), { path: `${p}.lineId`, required: true, hint: 'Its number is the caller ID the agent and the contact see.' }),
      field('Connect to', pick(a, 'agentMode', [['group', 'an agent group'], ['number', 'one phone number'], ['line', 'the tracking line\'s forward numbers']], o.redraw),
        // With the line's numbers chosen, "give agentGroupId or agentNumber" goes beside this choice.
        { path: a.agentMode === 'line' ? `${p}.agentGroupId` : `${p}.agentMode` }),
      agents[a.agentMode]?.() ?? null),
    field('Whisper to the agent', area(a, 'whisper', { rows: 2, maxlength: 500 }),
      { path: `${p}.whisper`, hint: 'Spoken to the agent before the contact is dialled. May use {{contact.name}}…' }),
  ];
}

function updateCallbackFields(a, p, o) {
  return [
    h('div', { class: 'grid2' },
      field('Do', pick(a, 'cbOperation', [['move', 'move the callback'], ['cancel', 'cancel the callback']], o.redraw), { path: `${p}.operation` }),
      field('Which callback', pick(a, 'cbTarget', [['next', 'the contact\'s next scheduled callback'], ['event', 'the callback of the event (callback.* events)'], ['id', 'one callback, by id']], o.redraw),
        { path: `${p}.cbTarget` }),
      a.cbTarget === 'id' ? field('Callback id', text(a, 'callbackId', { autocomplete: 'off', spellcheck: 'false' }), { path: `${p}.callbackId`, required: true }) : null),
    a.cbOperation === 'move' ? h('fieldset', { 'data-field': `${p}.moveBy` }, h('legend', {}, 'Move to, counted from when the action runs'),
      h('span', { class: 'field-error', hidden: true }),
      h('div', { class: 'grid3' },
        field('Move by days', num(a.moveBy, 'days', { min: 0, max: 3650 }), { path: `${p}.moveBy.days` }),
        field('Move by hours', num(a.moveBy, 'hours', { min: 0, max: 1000 }), { path: `${p}.moveBy.hours` }),
        field('Move by minutes', num(a.moveBy, 'minutes', { min: 0 }), { path: `${p}.moveBy.minutes` }))) : null,
  ];
}

function sequenceFields(a, p, o) {
  const seqs = [['', '— choose a sequence —'], ...o.sequences.map((s) => [s.id, s.status === 'active' ? s.name : `${s.name} (${s.status})`])];
  return [
    field('Sequence', pick(a, 'sequenceId', seqs), { path: `${p}.sequenceId`, required: true,
      hint: a.type === 'enroll_sequence' ? 'A contact already in it is left as it is; a paused sequence refuses.' : 'A contact not in it is left as it is.' }),
    a.type === 'enroll_sequence'
      ? field('Placeholders', area(a, 'placeholders', { rows: 2 }), { path: `${p}.placeholders`, hint: 'The sequence\'s [[placeholder]] values: name=value, one per line. May use {{contact.name}}…' })
      : null,
  ];
}

/** The inputs of one of these action types; `o`: { lines, groups, sequences, redraw }. */
export function callFields(a, p, o) {
  if (a.type === 'schedule_callback' || a.type === 'place_call') return callbackFields(a, p, o);
  if (a.type === 'update_callback') return updateCallbackFields(a, p, o);
  return sequenceFields(a, p, o);
}
