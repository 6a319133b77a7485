// The workflow editor's names for the error summary (form-errors.js): every error of a 400 named as
// the page labels its field ("Action 1 (SMS notification) — Message: may not be empty").
import { findField } from './dom.js';
import { labelOf } from './form-errors.js';

const CHANNEL = { sms: 'SMS', email: 'e-mail', push: 'push', voice: 'voice call' };
const TYPE = { notification: 'notification', conference: 'conference call', pager: 'pager', webhook: 'webhook' };
const SECTION = { schedule: 'Schedule', codeActivation: 'By phone', actions: 'Actions' };

const list = (words) => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`);

/** "Action 2 (Tell the team)", or by type: "Action 1 (SMS and e-mail notification)". */
export function actionTitle(a, i) {
  let what = a?.name?.trim();
  if (!what) {
    const type = TYPE[a?.type] ?? 'action';
    const channels = a?.type === 'notification' ? list((a.channels ?? []).map((c) => CHANNEL[c] ?? c)) : '';
    what = channels ? `${channels} ${type}` : type;
  }
  return `Action ${i + 1} (${what})`;
}

/** Where an error is, in the page's words: "Action 1 (SMS notification) — Message", "Name", "Schedule — Time". */
export function describePath(form, model, path) {
  const parts = String(path ?? '').split('.');
  const target = findField(form, path);
  const isAction = parts[0] === 'actions' && /^\d+$/.test(parts[1] ?? '');
  // A section's own toggle or select already says which section it is: name the section only for what is inside it.
  const section = parts.length > 1 || parts[0] === 'actions' ? SECTION[parts[0]] ?? null : null;
  const where = isAction ? actionTitle(model.actions[Number(parts[1])], Number(parts[1])) : section;
  const own = target && !target.matches('.action-card') ? labelOf(target) : null;
  const label = own && own !== where ? own : null;
  return [where, label].filter(Boolean).join(' — ') || 'This workflow';
}
