// Tiny DOM helpers. Text always goes in as text nodes, never as HTML, so user data cannot inject markup.

/**
 * h('button', { class: 'primary', onclick: fn }, 'Save') -> element.
 * Attributes: `class`, `for`, `data-*`, `aria-*`, booleans (true sets, false/null omits),
 * `on*` functions become listeners; children: strings, numbers, nodes, arrays, null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const clear = (el) => {
  el.replaceChildren();
  return el;
};

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

/** Announces a message to screen readers (and shows nothing). */
export function announce(text) {
  const live = document.getElementById('announce');
  if (!live) return;
  live.textContent = '';
  setTimeout(() => (live.textContent = text), 30);
}

export function formatTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A status word as a coloured badge with the word itself (colour is never the only signal). */
export function badge(status, extra) {
  const s = String(status ?? 'unknown');
  return h('span', { class: `badge b-${s.replace(/[^a-z_-]/gi, '')}` }, s.replace(/_/g, ' '), extra ? ` · ${extra}` : null);
}

/** Page heading that takes focus after navigation, so screen readers hear where they are. */
export function pageTitle(text, ...actions) {
  document.title = `${text} · Switchboard`;
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', 'data-autofocus': true }, text), actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function alertBox(message, kind = 'error') {
  return h('div', { class: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
}

export function spinner(text = 'Loading…') {
  return h('p', { class: 'muted', role: 'status' }, text);
}

/**
 * A modal confirmation <dialog>: `title` as its heading, then `body` (an element; it describes the dialog), then the
 * `confirm` button (class `confirmClass`) and the `keep` button, which takes focus. Resolves true on confirm; false on
 * `keep`, Escape or closing. Focus returns to `opener`.
 */
export function confirmDialog({ title, body, confirm, confirmClass = 'primary', keep = 'Cancel' }, opener) {
  const id = nextId('dlg');
  return new Promise((resolve) => {
    const keepBtn = h('button', { type: 'button', onclick: () => dialog.close('keep') }, keep);
    body.id = `${id}-d`;
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': `${id}-h`, 'aria-describedby': body.id },
      h('h2', { id: `${id}-h`, class: 'flush' }, title),
      body,
      h('div', { class: 'form-actions' }, h('button', { type: 'button', class: confirmClass, onclick: () => dialog.close('confirm') }, confirm), keepBtn));
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    keepBtn.focus();
  });
}

/** Labelled form field. `control` is an input/select/textarea; its id is set when missing. */
export function field(label, control, { hint, path, required } = {}) {
  const id = control.id || nextId();
  control.id = id;
  const described = [];
  let hintEl = null;
  if (hint) {
    hintEl = h('span', { class: 'hint', id: `${id}-hint` }, hint);
    described.push(hintEl.id);
  }
  const err = h('span', { class: 'field-error', id: `${id}-err`, hidden: true });
  described.push(err.id);
  control.setAttribute('aria-describedby', described.join(' '));
  if (required) control.required = true;
  // Typing into a field clears the error shown for it (the next submit re-checks everything).
  control.addEventListener('input', () => {
    control.removeAttribute('aria-invalid');
    err.hidden = true;
    err.textContent = '';
  });
  return h('div', { class: 'field', 'data-field': path ?? null },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null), control, hintEl, err);
}

/** A group of checkboxes (`values` selected) inside a fieldset with a legend. */
export function checkboxGroup(legend, name, options, values = [], { path, hint } = {}) {
  const set = new Set(values);
  const err = h('span', { class: 'field-error', hidden: true });
  const g = h('fieldset', { class: 'checks', 'data-field': path ?? null, 'data-multi': name },
    h('legend', {}, legend),
    hint ? h('span', { class: 'hint' }, hint) : null,
    h('div', { class: 'check-row' }, options.map(([value, label]) => {
      const id = nextId('cb');
      return h('span', { class: 'check' },
        h('input', { type: 'checkbox', id, name, value, checked: set.has(value) }),
        h('label', { for: id }, label));
    })),
    err);
  g.addEventListener('change', () => {
    err.hidden = true;
    err.textContent = '';
  });
  return g;
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, label)));
}

/** Shows API validation errors next to fields whose `data-field` matches `details[].path`; returns the unmatched ones. */
export function showFieldErrors(root, details) {
  for (const e of root.querySelectorAll('.field-error')) {
    e.hidden = true;
    e.textContent = '';
  }
  for (const c of root.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const unmatched = [];
  let first = null;
  for (const d of details ?? []) {
    const target = findField(root, d.path);
    if (!target) {
      unmatched.push(d);
      continue;
    }
    const err = target.querySelector(':scope > .field-error');
    err.hidden = false;
    err.textContent = err.textContent ? `${err.textContent}; ${d.message}` : d.message;
    const control = target.querySelector('input, select, textarea');
    if (control) control.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  first?.focus();
  return unmatched;
}

// The deepest field whose path is the error path or a prefix of it (`actions.0.poll.options.2` -> the options field).
export function findField(root, path) {
  const parts = String(path ?? '').split('.');
  for (let n = parts.length; n > 0; n--) {
    const p = parts.slice(0, n).join('.');
    const el = root.querySelector(`[data-field="${CSS.escape(p)}"]`);
    if (el) return el;
  }
  return null;
}
