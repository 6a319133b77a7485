// Confirmation before pausing a workflow: a modal <dialog> that says exactly what pausing does.
import { confirmDialog, h } from './dom.js';

const PAD = { 2: 'ABC', 3: 'DEF', 4: 'GHI', 5: 'JKL', 6: 'MNO', 7: 'PQRS', 8: 'TUV', 9: 'WXYZ' };
const DIGIT = Object.fromEntries(Object.entries(PAD).flatMap(([d, letters]) => [...letters].map((l) => [l, d])));
const keypad = (code) => [...String(code).toUpperCase()].map((c) => DIGIT[c] ?? c).join('');

/**
 * What pausing does, as the server behaves (keep in step with ivr/activation-line.ts PROMPTS.wrongCode,
 * ivr/sms-replies.ts unknownCode, src/telephony/codes-repo.ts, src/schedule/schedule-hook.ts and
 * activate()'s workflow_paused refusal).
 */
export function pauseEffects(wf) {
  const out = [];
  const code = wf.codeActivation?.code;
  if (code) {
    const digits = keypad(code);
    out.push(`Callers who key ${code}${digits !== code ? ` (${digits})` : ''} hear “That code was not accepted.”, as for a wrong code. `
      + `Texts with ${code} get “Code not recognised…” as the reply. Both count as wrong guesses towards the lock-out.`);
  }
  if (wf.schedule) out.push('Scheduled runs are skipped, and are not made up when you resume.');
  out.push('Nobody can activate it from this dashboard or the API; rules and call tracking that would activate it are refused.');
  out.push('Activations already under way carry on.');
  return out;
}

/** Resolves true when the user confirms; false on "Keep it active", Escape or closing. Focus returns to `opener`. */
export function confirmPause(wf, opener) {
  return confirmDialog({
    title: `Pause ${wf.name}?`,
    body: h('div', {}, h('p', {}, 'While it is paused:'), h('ul', {}, pauseEffects(wf).map((t) => h('li', {}, t)))),
    confirm: 'Pause workflow', confirmClass: 'danger', keep: 'Keep it active',
  }, opener);
}
