// The sequence editor: steps on a vertical timeline (add, edit, remove; reorder by drag and drop with
// SortableJS or by keyboard: Move up / Move down, or Alt+Arrow on a focused step, announced), and a side
// panel with enrollment settings and exit conditions that stacks under the timeline at phone width.
import Sortable from '/vendor/sortable.esm.js';
import { area, check, pick, text } from './controls.js';
import { announce, field, h } from './dom.js';
import { conditionFields, conditionModel, conditionOut, stepBody, stepModel, stepOut } from './sequence-steps.js';
import { CONDITIONS, STEP_TYPES, typeLabel } from './sequence-words.js';

/** Editor model from a sequence or template definition (API shape). */
export function sequenceModel(def) {
  const steps = [];
  for (const s of def?.steps ?? []) steps.push(stepModel(s, steps));
  return {
    name: def?.name ?? '',
    description: def?.description ?? '',
    allowReenrollment: !!def?.allowReenrollment,
    lineId: def?.lineId ?? '',
    steps,
    exits: (def?.exits ?? []).map(conditionModel),
  };
}

/** The model as the API's body (POST/PUT /v1/sequences, /v1/sequence-templates). */
export function sequenceInput(m) {
  return {
    name: m.name, description: m.description, allowReenrollment: m.allowReenrollment,
    ...(m.lineId ? { lineId: m.lineId } : {}),
    steps: m.steps.map(stepOut), exits: m.exits.map(conditionOut),
  };
}

function move(list, from, to) {
  const [x] = list.splice(from, 1);
  list.splice(to, 0, x);
}

/** The editor's controls (no <form>): `{ el, focusStep(i) }`. `readOnly` disables every control. */
export function sequenceEditor(m, { lines, readOnly = false }) {
  const lineOpts = lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`]);
  const listEl = h('ol', { class: 'timeline', 'aria-describedby': 'timeline-help' });
  const stepsErr = h('span', { class: 'field-error', hidden: true });

  const targets = (i) => (current) => {
    const later = m.steps.slice(i + 1).map((s, j) => [s.id, `Step ${i + j + 2}: ${s.name || typeLabel(s.type)} (${s.id})`]);
    const opts = [['next', 'the next step'], ['end', 'the end (complete)'], ...later];
    if (current && !opts.some(([v]) => v === current)) opts.push([current, `${current} (not a later step)`]);
    return opts;
  };

  const focusStep = (i, selector) => {
    const li = listEl.children[i];
    const el = selector ? li?.querySelector(selector) : li;
    (el && !el.disabled ? el : li)?.focus();
  };

  const moveStep = (from, to, how) => {
    if (to < 0 || to >= m.steps.length || from === to) return;
    move(m.steps, from, to);
    render();
    announce(`${how ? `${how}: ` : ''}step “${m.steps[to].name || typeLabel(m.steps[to].type)}” is now step ${to + 1} of ${m.steps.length}.`);
  };

  const stepCard = (s, i) => {
    const title = `Step ${i + 1}: ${s.name || typeLabel(s.type)}`;
    const typeSel = pick(s, 'type', STEP_TYPES, () => {
      m.steps[i] = stepModel({ id: s.id, name: s.name, type: s.type }, m.steps);
      render();
      focusStep(i, 'select');
    });
    const nameInput = text(s, 'name', { maxlength: 200 });
    // The new name shows at once in this card's label and in branch targets (no redraw: focus stays put).
    nameInput.addEventListener('input', () => {
      li.setAttribute('aria-label', `Step ${i + 1}: ${s.name || typeLabel(s.type)}`);
      for (const o of listEl.querySelectorAll(`option[value="${CSS.escape(s.id)}"]`)) o.textContent = `Step ${i + 1}: ${s.name || typeLabel(s.type)} (${s.id})`;
    });
    const idInput = text(s, 'id', { maxlength: 40, spellcheck: 'false', autocomplete: 'off' });
    const oldId = { v: s.id };
    idInput.addEventListener('change', () => {
      // Branches that jumped to the old id follow the rename.
      for (const o of m.steps) {
        if (o.type !== 'branch') continue;
        for (const k of ['then', 'else', 'since']) if (o.branch[k] === oldId.v) o.branch[k] = s.id;
      }
      oldId.v = s.id;
      render();
    });
    const li = h('li', { class: 'step-card', tabindex: '0', 'aria-label': title, 'data-field': `steps.${i}`, 'data-type': s.type },
      h('div', { class: 'step-head' },
        readOnly ? null : h('span', { class: 'drag-handle', title: 'Drag to reorder', 'aria-hidden': 'true' }, '⠿'),
        h('h3', {}, `Step ${i + 1}`, h('span', { class: 'muted' }, ` · ${typeLabel(s.type)}`)),
        readOnly ? null : h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'move-up', disabled: i === 0, onclick: () => { moveStep(i, i - 1); focusStep(i - 1, '.move-up'); } }, 'Move up', h('span', { class: 'sr-only' }, ` step ${i + 1}`)),
          h('button', { type: 'button', class: 'move-down', disabled: i === m.steps.length - 1, onclick: () => { moveStep(i, i + 1); focusStep(i + 1, '.move-down'); } }, 'Move down', h('span', { class: 'sr-only' }, ` step ${i + 1}`)),
          h('button', { type: 'button', class: 'danger', onclick: () => {
            m.steps.splice(i, 1);
            render();
            announce(`Removed step ${i + 1}.`);
            focusStep(Math.min(i, m.steps.length - 1));
          } }, 'Remove', h('span', { class: 'sr-only' }, ` step ${i + 1}`)))),
      h('div', { class: 'seq-row' },
        field('Step type', typeSel, { path: `steps.${i}.type` }),
        field('Step name (optional)', nameInput, { path: `steps.${i}.name` }),
        field('Step id', idInput, { path: `steps.${i}.id`, hint: 'Branches jump to it.' })),
      stepBody(s, i, { lineOpts, targets: targets(i), rerender: render }),
      h('span', { class: 'field-error', hidden: true }));
    li.addEventListener('keydown', (e) => {
      if (readOnly || !e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      e.preventDefault();
      const to = i + (e.key === 'ArrowUp' ? -1 : 1);
      if (to < 0 || to >= m.steps.length) return;
      moveStep(i, to);
      focusStep(to);
    });
    return li;
  };

  function render() {
    listEl.replaceChildren(...m.steps.map(stepCard));
  }
  render();

  if (!readOnly) {
    Sortable.create(listEl, {
      // forceFallback: pointer events instead of native drag and drop, so it works the same with touch.
      handle: '.drag-handle', animation: 120, draggable: '.step-card', forceFallback: true,
      onEnd: (e) => {
        if (e.oldIndex === e.newIndex) return;
        move(m.steps, e.oldIndex, e.newIndex);
        render();
        announce(`Moved: step “${m.steps[e.newIndex].name || typeLabel(m.steps[e.newIndex].type)}” is now step ${e.newIndex + 1} of ${m.steps.length}.`);
      },
    });
  }

  const newStep = { type: 'send' };
  const addBar = readOnly ? null : h('div', { class: 'form-actions' },
    field('New step type', pick(newStep, 'type', STEP_TYPES)),
    h('button', { type: 'button', onclick: () => {
      m.steps.push(stepModel({ type: newStep.type }, m.steps));
      render();
      announce(`Added step ${m.steps.length}: ${typeLabel(newStep.type)}.`);
      focusStep(m.steps.length - 1, 'textarea, input[type=number], select');
    } }, 'Add step'));

  const timeline = h('section', { class: 'timeline-wrap', 'aria-labelledby': 'sec-steps', 'data-field': 'steps' },
    h('h2', { id: 'sec-steps' }, 'Steps'),
    h('p', { class: 'hint', id: 'timeline-help' }, readOnly ? 'Steps run from top to bottom.'
      : 'Steps run from top to bottom. Reorder by dragging ⠿, with Move up / Move down, or with Alt+↑ / Alt+↓ on a focused step.'),
    stepsErr, listEl, addBar);

  const exitsBox = h('div');
  const renderExits = () => exitsBox.replaceChildren(...m.exits.map((c, i) => h('div', { class: 'exit-item', 'data-field': `exits.${i}`, role: 'group', 'aria-label': `Exit condition ${i + 1}` },
    ...conditionFields(c, `exits.${i}`, renderExits, { label: `Exit condition ${i + 1}` }),
    readOnly ? null : h('button', { type: 'button', class: 'danger', onclick: () => { m.exits.splice(i, 1); renderExits(); } }, 'Remove', h('span', { class: 'sr-only' }, ` exit condition ${i + 1}`)),
    h('span', { class: 'field-error', hidden: true }))));
  renderExits();
  const newExit = { type: 'event' };

  const side = h('aside', { class: 'side-panel', 'aria-label': 'Sequence settings' },
    h('section', { class: 'card', 'aria-labelledby': 'sec-enroll-settings' }, h('h2', { id: 'sec-enroll-settings' }, 'Enrollment settings'),
      field('Name', text(m, 'name', { maxlength: 200, autocomplete: 'off' }), { path: 'name', required: true }),
      field('Description', area(m, 'description', { rows: 2, maxlength: 2000 }), { path: 'description' }),
      field('Default line', pick(m, 'lineId', [['', '— none —'], ...lineOpts]), { path: 'lineId', hint: 'For SMS and voice steps that name no line.' }),
      check(m, 'allowReenrollment', 'Allow re-enrollment (a contact may go through it again after finishing)', 'allowReenrollment')),
    h('section', { class: 'card', 'aria-labelledby': 'sec-exits', 'data-field': 'exits' }, h('h2', { id: 'sec-exits' }, 'Exit conditions'),
      h('p', { class: 'hint' }, 'Any of these ends the sequence for the contact at once (job booked, invoice paid, opted out…).'),
      h('span', { class: 'field-error', hidden: true }),
      exitsBox,
      readOnly ? null : h('div', { class: 'form-actions' },
        field('New exit condition', pick(newExit, 'type', CONDITIONS)),
        h('button', { type: 'button', onclick: () => { m.exits.push(conditionModel({ type: newExit.type })); renderExits(); } }, 'Add exit condition'))));

  const el = h('fieldset', { class: 'plain seq-editor', disabled: readOnly }, timeline, side);
  return { el, focusStep };
}
