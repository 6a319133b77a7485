// "Test webhook" in the workflow editor: POST /v1/workflows/:id/actions/:actionId/test sends one request with sample
// values (the saved version of the action, its real Authorization header, the same guard as deliveries) and shows
// the receiver's status, the time it took and the first part of its answer.
import { api } from './api.js';
import { h } from './dom.js';

export function webhookTest(a, o) {
  const out = h('div', { role: 'status', 'aria-live': 'polite' });
  const saved = o.workflowId && a.id;
  const btn = h('button', { type: 'button', disabled: !saved, onclick: async () => {
    btn.disabled = true;
    out.replaceChildren(h('p', { class: 'muted' }, 'Sending a test request…'));
    try {
      out.replaceChildren(report(await api.post(`/v1/workflows/${o.workflowId}/actions/${encodeURIComponent(a.id)}/test`, {})));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'alert error' }, err.message));
    } finally {
      btn.disabled = false;
    }
  } }, 'Test webhook');
  return h('div', { class: 'field' }, h('div', { class: 'form-actions' }, btn,
    h('span', { class: 'hint' }, saved ? 'Sends one request to the saved URL with sample values.' : 'Save the workflow to test this webhook.')), out);
}

function report(r) {
  const dl = h('dl', { class: 'grid2' },
    h('div', {}, h('dt', {}, 'Status'), h('dd', {}, r.status === null ? 'no answer' : `${r.status}${r.ok ? ' (OK)' : ''}`)),
    h('div', {}, h('dt', {}, 'Latency'), h('dd', {}, `${Math.round(r.durationMs)} ms`)));
  return h('div', { class: `alert ${r.ok ? 'info' : 'error'}` },
    h('strong', {}, r.ok ? 'The receiver accepted the test request.' : r.refused ? 'Refused: this address may not be called.' : 'The test request failed.'),
    dl,
    r.error ? h('p', { class: 'tight' }, r.error.reason) : null,
    r.responseExcerpt !== null ? [h('p', { class: 'tight' }, 'Answer (first part):'), h('pre', {}, r.responseExcerpt || '(empty)')] : null);
}
