// Pieces shared by the rule pages: the Rule / Logs tabs, the loop-protection banner, the error summary.
import { findField, formatTime, h } from './dom.js';
import { labelOf, showFormErrors } from './form-errors.js';

/** Links to the rule's editor and its log; the current one is marked for screen readers. */
export function ruleTabs(rule, current) {
  const tab = (href, label, name) => h('li', {}, h('a', { href, 'aria-current': current === name ? 'page' : null }, label));
  return h('nav', { class: 'tabs', 'aria-label': `Rule ${rule.name}` }, h('ul', {},
    tab(`#/rules/${rule.id}`, 'Rule', 'edit'), tab(`#/rules/${rule.id}/logs`, 'Logs', 'logs')));
}

/** Prominent notice when loop protection cut the rule (and when it disabled it). */
export function loopBanner(rule) {
  if (rule.disabledReason || rule.disabledAt) {
    return h('div', { class: 'alert error loop-banner', role: 'alert' },
      h('strong', {}, 'Loop protection disabled this rule'), ` on ${formatTime(rule.disabledAt)}`,
      rule.disabledReason ? `: ${rule.disabledReason}` : '.',
      ` It cut ${rule.loopCount} loop${rule.loopCount === 1 ? '' : 's'} (an action raised an event that fired the rule again). `,
      'Change its conditions or actions, then make it active again.');
  }
  if (rule.loopCount > 0) {
    return h('div', { class: 'alert warn loop-banner', role: 'status' },
      h('strong', {}, `Loop protection cut this rule ${rule.loopCount} time${rule.loopCount === 1 ? '' : 's'}`),
      ': one of its actions raised an event that would have fired it again. After too many loops the rule is disabled.');
  }
  return null;
}

/** Where an error is, in the page's words: "Condition 2 — Value: between (inclusive)". */
function describe(form, path) {
  const p = String(path).split('.');
  const where = p[0] === 'conditions' && p[1] ? `Condition ${Number(p[1]) + 1}`
    : p[0] === 'stopIf' && p[1] === 'conditions' && p[2] ? `Stop-if condition ${Number(p[2]) + 1}`
    : p[0] === 'actions' && p[1] ? `Action ${Number(p[1]) + 1}`
    : p[0] === 'sets' && p[1] ? `Action set ${Number(p[1]) + 1}` : null;
  const label = labelOf(findField(form, path));
  return [where, label].filter(Boolean).join(' — ') || path;
}

/** Puts each error next to its field and lists them at the top, each linking to its control. */
export function showRuleErrors(form, summary, err) {
  showFormErrors(form, summary, err, { describe: (path) => describe(form, path), focusSummary: true });
}
