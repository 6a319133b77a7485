import { activateWorkflow } from '../activations-api.js';
import { api, ApiError, getAll } from '../api.js';
import { alertBox, field, h, pageTitle, showFieldErrors, spinner } from '../dom.js';
import { fillPlaceholders } from '../schedule-text.js';

/** Above this many people, sending needs an explicit confirmation. */
export const LARGE_AUDIENCE = 25;

const CHANNEL = { sms: 'SMS', email: 'e-mail', push: 'push', voice: 'voice call' };

export async function render(main, { params }, ctx) {
  main.append(spinner());
  const [wf, groups, reach] = await Promise.all([
    api.get(`/v1/workflows/${params[0]}`), getAll('/v1/groups').catch(() => []), api.get(`/v1/workflows/${params[0]}/audience`).catch(() => null),
  ]);
  const groupsById = new Map(groups.map((g) => [g.id, g]));
  main.replaceChildren(pageTitle(`Activate ${wf.name}`));
  if (wf.status !== 'active') {
    main.append(alertBox('This workflow is paused: resume it before activating.', 'warn'));
    return;
  }
  // One key per visit: pressing Send twice, or again after a network error, activates once.
  const idempotencyKey = `dashboard-${crypto.randomUUID()}`;
  const values = Object.fromEntries(wf.placeholders.map((p) => [p, '']));
  // Exact when the service could count it (on duty, do-not-contact, people in several groups once);
  // otherwise an upper bound from the group sizes, and worded as one.
  const exact = typeof reach?.people === 'number';
  const audience = exact ? reach.people : audienceOf(wf, groupsById);
  const reachText = exact ? `${audience} ${audience === 1 ? 'person' : 'people'}` : `up to ${audience} people`;

  const previews = h('div');
  const renderPreviews = () => previews.replaceChildren(...wf.actions.map((a, i) => actionPreview(a, i, values, groupsById)));
  renderPreviews();

  const status = h('div', { tabindex: '-1' });
  const form = h('form', { novalidate: true, 'aria-label': 'Activation' }, status);
  if (wf.placeholders.length) {
    form.append(h('section', { class: 'card', 'aria-labelledby': 'ph-h' }, h('h2', { id: 'ph-h' }, 'Fill in the blanks'),
      h('p', { class: 'muted' }, 'These values go into the messages below, where [[…]] appears.'),
      wf.placeholders.map((p) => field(p, h('input', { type: 'text', name: p, autocomplete: 'off', oninput: (e) => {
        values[p] = e.target.value;
        renderPreviews();
      } }), { path: `placeholders.${p}`, required: true }))));
  }
  form.append(h('section', { class: 'card', 'aria-labelledby': 'pv-h' }, h('h2', { id: 'pv-h' }, 'Preview'),
    h('p', {}, exact ? `Reaches ${reachText} now (on duty, or everyone where an action includes off-duty people; each person once).`
      : `Reaches ${reachText} (group sizes; people in several groups are reached once).`), previews));

  const sendBtn = h('button', { type: 'submit', class: 'primary' }, 'Send now');
  const confirmBox = h('div');
  form.append(confirmBox, h('div', { class: 'form-actions' }, sendBtn, h('a', { href: '#/workflows' }, 'Cancel')));

  let confirmed = false;
  const send = async () => {
    sendBtn.disabled = true;
    status.replaceChildren();
    try {
      const activation = await activateWorkflow(wf.id, values, idempotencyKey);
      ctx.navigate(`#/activations/${activation.id}`);
    } catch (err) {
      confirmed = false;
      confirmBox.replaceChildren();
      const unmatched = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || unmatched.length) {
        status.replaceChildren(alertBox(err.message));
        status.focus();
      }
    } finally {
      sendBtn.disabled = false;
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const missing = wf.placeholders.filter((p) => !values[p].trim());
    if (missing.length) {
      showFieldErrors(form, missing.map((p) => ({ path: `placeholders.${p}`, message: 'is required' })));
      return;
    }
    if (audience > LARGE_AUDIENCE && !confirmed) {
      const yes = h('button', { type: 'button', class: 'primary', onclick: () => { confirmed = true; send(); } }, `Yes, notify ${audience} people`);
      confirmBox.replaceChildren(h('div', { class: 'alert warn', role: 'alertdialog', 'aria-labelledby': 'cf-h', 'aria-describedby': 'cf-d' },
        h('h2', { id: 'cf-h', class: 'flush' }, 'Confirm a large activation'),
        h('p', { id: 'cf-d' }, `This sends to ${reachText}. Check the preview above before you continue.`),
        h('div', { class: 'form-actions' }, yes, h('button', { type: 'button', onclick: () => { confirmBox.replaceChildren(); sendBtn.focus(); } }, 'Go back'))));
      yes.focus();
      return;
    }
    send();
  });
  main.append(form);
  form.querySelector('input')?.focus();
}

function audienceOf(wf, groupsById) {
  const ids = new Set(wf.actions.flatMap((a) => a.groupIds ?? []));
  let n = 0;
  for (const id of ids) n += groupsById.get(id)?.memberCount ?? 0;
  return n;
}

function actionPreview(a, i, values, groupsById) {
  const who = (a.groupIds ?? []).map((g) => groupsById.get(g)?.name ?? 'a group').join(', ');
  const head = `${i + 1}. ${a.name || labelOf(a)}${who ? ` → ${who}` : ''}`;
  const body = [];
  if (a.type === 'notification') {
    body.push(h('p', { class: 'muted' }, `By ${a.channels.map((c) => CHANNEL[c] ?? c).join(', ')}`));
    if (a.subject) body.push(h('p', {}, h('strong', {}, 'Subject: '), fillPlaceholders(a.subject, values)));
    body.push(h('div', { class: 'preview', 'data-testid': `preview-${i}` }, fillPlaceholders(a.message, values)));
    if (a.poll) body.push(h('p', {}, `Poll: ${fillPlaceholders(a.poll.question, values)} — ${a.poll.options.map((o, k) => `${k + 1}) ${o}`).join('  ')}`));
  } else if (a.type === 'conference') {
    body.push(h('div', { class: 'preview' }, fillPlaceholders(a.intro, values)));
  } else if (a.type === 'pager') {
    body.push(h('div', { class: 'preview' }, `Pager digits: ${a.message}`));
  } else if (a.type === 'webhook') {
    body.push(h('p', {}, `${a.method} ${a.url}`), a.body ? h('pre', {}, fillPlaceholders(a.body, values)) : null);
  }
  return h('div', { class: 'card' }, h('h3', { class: 'flush small' }, head), body);
}

const labelOf = (a) => ({ notification: 'Notification', conference: 'Conference call', pager: 'Pager', webhook: 'Webhook' })[a.type] ?? a.type;
