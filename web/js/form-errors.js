// The API's 400 in an editor's form, shared by the workflow, rule, sequence and post-call workflow
// editors: each message beside its field, and a summary at the top naming each field as the page
// labels it ("Condition 2 — Value: …"), each line a link that focuses the field.
import { ApiError } from './api.js';
import { alertBox, findField, h, showFieldErrors } from './dom.js';

/** The visible label of a field wrapper (its <label>, or a group's <legend>), without the required "*" marker. */
export function labelOf(target) {
  const el = target?.querySelector(':scope > label, :scope > legend');
  if (!el) return null;
  const copy = el.cloneNode(true);
  for (const req of copy.querySelectorAll('.req')) req.remove();
  return copy.textContent.trim() || null;
}

/** One list item per error, "<where>: <message>" (`describe(path)` says where), linking to (and focusing) its field's control. */
export function errorLinks(form, details, describe) {
  return details.map((d) => {
    const text = `${describe(d.path)}: ${d.message}`;
    const control = findField(form, d.path)?.querySelector('input:not([type=hidden]), select, textarea');
    if (!control) return h('li', {}, text);
    // Not a hash link: the router owns location.hash, so follow it by focusing the control.
    return h('li', {}, h('a', { href: `#${control.id}`, onclick: (e) => {
      e.preventDefault();
      control.scrollIntoView({ block: 'center' });
      control.focus({ preventScroll: true });
    } }, text));
  });
}

/**
 * Shows `err` in `form`: with field details, each message beside its field (the first bad field
 * takes focus) and "N fields need attention:" in `summary` with one linked line per error, named by
 * `describe(path)`. Any other error shows its message alone in `summary`, which takes focus.
 * `details` replaces err.details (e.g. a 409 that is about one field); `focusSummary` moves focus
 * to the summary after the fields too.
 */
export function showFormErrors(form, summary, err, { describe, details, focusSummary = false }) {
  if (!(err instanceof ApiError)) {
    summary.replaceChildren(alertBox(err.message));
    summary.focus();
    return;
  }
  const list = details ?? err.details;
  showFieldErrors(form, list);
  const n = list.length;
  // The API's message repeats the internal paths: with details, the list says it better.
  const box = alertBox(n ? `${n} field${n === 1 ? ' needs' : 's need'} attention:` : err.message);
  if (n) box.append(h('ul', {}, errorLinks(form, list, describe)));
  summary.replaceChildren(box);
  if (!n || focusSummary) summary.focus();
}
