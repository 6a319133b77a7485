// What the sequence and template pages share: the API's field errors next to each field, and a summary
// naming each as the page labels it ("Step 2 — Amount: may not be negative"), linking to the field.
import { ApiError } from './api.js';
import { findField } from './dom.js';
import { labelOf, showFormErrors } from './form-errors.js';

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
  showFormErrors(form, summary, err, { describe: (path) => describe(form, path), details: err instanceof ApiError ? asDetails(err) : undefined });
}
