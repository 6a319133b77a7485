// What the sequence and template pages share: the API's field errors next to each field, and a summary
// naming each as the page labels it ("Step 2 — Amount: may not be negative"), linking to the field.
import { ApiError } from './api.js';
import { alertBox, findField, h, showFieldErrors } from './dom.js';

function labelOf(target) {
  const el = target?.querySelector(':scope > label, :scope > legend');
  if (!el) return null;
  const copy = el.cloneNode(true);
  for (const r of copy.querySelectorAll('.req')) r.remove();
  return copy.textContent.trim() || null;
}

function describe(root, path) {
  const parts = String(path ?? '').split('.');
  const where = parts[0] === 'steps' && /^\d+$/.test(parts[1] ?? '') ? `Step ${Number(parts[1]) + 1}`
    : parts[0] === 'exits' && /^\d+$/.test(parts[1] ?? '') ? `Exit condition ${Number(parts[1]) + 1}` : null;
  const target = findField(root, path);
  const own = target && !target.matches('.step-card, .exit-item') ? labelOf(target) : null;
  return [where, own].filter(Boolean).join(' — ') || 'This sequence';
}

// A name clash (409 on the unique name index) is about the Name field.
function asDetails(err) {
  if (err.details.length) return err.details;
  if (err.status === 409 && /name/.test(String(err.body?.details?.constraint ?? ''))) return [{ path: 'name', message: err.message }];
  return [];
}

/** Shows `err` in `form` (each field's error beside it) and a linked summary in `summary`. */
export function showErrors(form, summary, err) {
  if (!(err instanceof ApiError)) {
    summary.replaceChildren(alertBox(err.message));
    summary.focus();
    return;
  }
  const details = asDetails(err);
  const unmatched = showFieldErrors(form, details);
  const n = details.length;
  const box = alertBox(n ? `${n} field${n === 1 ? ' needs' : 's need'} attention:` : err.message);
  if (n) {
    box.append(h('ul', {}, details.map((d) => {
      const control = findField(form, d.path)?.querySelector('input:not([type=hidden]), select, textarea');
      const textLine = `${describe(form, d.path)}: ${d.message}`;
      if (!control) return h('li', {}, textLine);
      return h('li', {}, h('a', { href: `#${control.id}`, onclick: (e) => {
        e.preventDefault();
        control.scrollIntoView({ block: 'center' });
        control.focus({ preventScroll: true });
      } }, textLine));
    })));
  }
  void unmatched;
  summary.replaceChildren(box);
  if (n === 0) summary.focus();
}
