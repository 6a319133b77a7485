import { deliveriesOf, getActivation, getPollResults } from '../activations-api.js';
import { api, openStream } from '../api.js';
import { alertBox, announce, badge, formatTime, h, pageTitle, spinner } from '../dom.js';

const CHANNEL = { sms: 'SMS', email: 'E-mail', push: 'Push', voice: 'Voice', conference: 'Conference', pager: 'Pager', webhook: 'Webhook' };
const TYPE = { notification: 'Notification', conference: 'Conference call', pager: 'Pager', webhook: 'Webhook' };
const FINAL = new Set(['delivered', 'answered', 'acknowledged', 'failed', 'no-answer', 'busy', 'skipped']);
const GOOD = new Set(['delivered', 'answered', 'acknowledged']);
/** Final as the engine counts it: e-mail, push and webhook `sent` is never reported on later. */
const isFinal = (d) => FINAL.has(d.status) || (d.status === 'sent' && d.channel !== 'sms');
const isGood = (d) => GOOD.has(d.status) || (d.status === 'sent' && d.channel !== 'sms');

/** Live progress: one row per recipient, one cell per channel, updated from the websocket feed. */
export async function render(main, { params }) {
  const id = params[0];
  main.append(spinner());
  let activation = await getActivation(id);
  const wf = await api.get(`/v1/workflows/${activation.workflowId}`).catch(() => null);
  const byId = new Map(deliveriesOf(activation).map((d) => [d.id, d]));

  const head = h('div');
  const summary = h('div', { class: 'progress-summary', 'aria-live': 'polite' });
  const tables = h('div');
  const polls = h('div');
  const liveState = h('span', { class: 'muted' });
  main.replaceChildren(pageTitle(`${activation.workflowName ?? wf?.name ?? 'Workflow'}: activation`), head, summary, tables, polls);

  const renderHead = () => head.replaceChildren(h('div', { class: 'card' },
    h('p', { class: 'flush' }, badge(activation.status), ' ', `Started ${formatTime(activation.createdAt)} from ${activation.source}`,
      activation.workflowVersion ? ` · version ${activation.workflowVersion}` : '', ' · ', liveState),
    Object.keys(activation.placeholders ?? {}).length
      ? h('p', {}, Object.entries(activation.placeholders).map(([k, v]) => h('span', { class: 'tag' }, `${k}: ${v}`)))
      : null,
    activation.inboundMessage ? h('p', {}, h('strong', {}, 'Message from the caller: '), activation.inboundMessage) : null,
    activation.recordingUrl ? h('div', {}, h('p', { id: 'rec-l' }, h('strong', {}, 'Voice message')),
      h('audio', { controls: true, preload: 'none', src: activation.recordingUrl, 'aria-labelledby': 'rec-l' }),
      h('p', {}, h('a', { href: activation.recordingUrl }, 'Download the recording'))) : null,
    activation.error ? alertBox(activation.error) : null));

  const renderAll = () => {
    const all = [...byId.values()];
    const counts = {};
    for (const d of all) counts[d.status] = (counts[d.status] ?? 0) + 1;
    const done = all.filter(isFinal).length;
    const ok = all.filter(isGood).length;
    const waiting = all.filter((d) => (d.status === 'queued' || d.status === 'sent') && !isFinal(d)).length;
    summary.replaceChildren(
      stat('Recipients × channels', all.length), stat('Reached', ok), stat('Finished', `${done}/${all.length}`),
      stat('Awaiting the carrier', waiting),
      ...Object.entries(counts).map(([s, n]) => h('div', { class: 'stat' }, h('strong', {}, n), badge(s))));
    tables.replaceChildren(...actionTables(all, wf));
  };
  renderHead();
  renderAll();
  if (all(byId).length === 0) tables.append(h('p', { class: 'muted' }, 'Working out who to reach…'));

  const refreshPolls = async () => polls.replaceChildren(...pollSection(await getPollResults(id).catch(() => [])));
  refreshPolls();

  let pending = null;
  const schedule = () => {
    // Coalesce bursts (hundreds of recipients change at once) into one render per animation frame.
    pending ??= requestAnimationFrame(() => {
      pending = null;
      renderAll();
    });
  };
  const close = openStream(id, async (events) => {
    let unknown = false;
    for (const e of events) {
      if (e.type === 'delivery') {
        const d = byId.get(e.deliveryId);
        if (d) Object.assign(d, { status: e.status, skipReason: e.skipReason, errorCode: e.errorCode, failureReason: e.failureReason, failureCode: e.failureCode,
          providerMessageId: e.providerMessageId ?? d.providerMessageId });
        else unknown = true;
      } else if (e.type === 'activation') {
        const before = activation.status;
        activation = { ...activation, status: e.status, recipientCount: e.recipientCount };
        renderHead();
        if (before !== e.status) announce(`Activation ${e.status}`);
      } else if (e.type === 'poll_answer' || e.type === 'poll') {
        refreshPolls();
      }
    }
    // Deliveries planned after the page loaded: reload the detail once (names included).
    if (unknown) await resync();
    schedule();
  }, (state) => {
    liveState.replaceChildren(h('span', { class: `live-dot${state === 'open' ? '' : ' off'}`, 'aria-hidden': 'true' }), state === 'open' ? 'Live' : 'Reconnecting…');
    if (state === 'open') resync();
  });

  // After (re)connecting, reload stored state: changes made while the socket was down are not lost.
  let syncing = null;
  function resync() {
    syncing ??= reload().finally(() => (syncing = null));
    return syncing;
  }
  async function reload() {
    const a = await getActivation(id).catch(() => null);
    if (!a) return;
    const before = activation.status;
    activation = a;
    for (const d of deliveriesOf(a)) {
      const cur = byId.get(d.id);
      if (cur) Object.assign(cur, d);
      else byId.set(d.id, d);
    }
    renderHead();
    if (before !== a.status) announce(`Activation ${a.status}`);
    schedule();
  }
  return close;
}

const all = (m) => [...m.values()];
const stat = (label, value) => h('div', { class: 'stat' }, h('strong', {}, value), label);

function actionTables(deliveries, wf) {
  const byAction = new Map();
  for (const d of deliveries) byAction.set(d.actionId, [...(byAction.get(d.actionId) ?? []), d]);
  const out = [];
  for (const [actionId, list] of byAction) {
    const index = wf?.actions.findIndex((a) => a.id === actionId) ?? -1;
    const action = index >= 0 ? wf.actions[index] : null;
    const channels = [...new Set(list.map((d) => d.channel))];
    const rows = new Map();
    for (const d of list) rows.set(d.recipientKey, { ...(rows.get(d.recipientKey) ?? {}), [d.channel]: d });
    const label = action?.name || TYPE[action?.type] || 'Action';
    const caption = `${index >= 0 ? `Action ${index + 1}: ` : ''}${label} (${rows.size} recipient${rows.size === 1 ? '' : 's'})`;
    out.push(h('section', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Recipient'), channels.map((c) => h('th', { scope: 'col' }, CHANNEL[c] ?? c)))),
      h('tbody', {}, [...rows.entries()].map(([key, cells]) => {
        const any = Object.values(cells)[0];
        const who = any.contactName ?? any.address ?? key;
        return h('tr', { 'data-recipient': who },
          h('th', { scope: 'row' }, who, any.contactId ? h('div', {}, h('a', { href: `#/contacts/${any.contactId}`, class: 'hint' }, 'history')) : null),
          channels.map((c) => h('td', { 'data-channel': c, 'data-label': CHANNEL[c] ?? c }, cells[c] ? cell(cells[c]) : '—')));
      }))))));
  }
  return out;
}

function cell(d) {
  const reason = failureText(d);
  // The carrier's message / call SID: what to look for in the carrier's own logs.
  const sid = d.providerMessageId
    ? h('div', { class: 'hint sid', title: `The carrier's id of this ${CHANNEL[d.channel] ?? d.channel} send` }, h('span', { class: 'sr-only' }, 'Carrier id: '), d.providerMessageId)
    : null;
  return h('span', { 'data-status': d.status }, badge(d.status), reason ? h('div', { class: 'hint' }, reason) : null, sid);
}

/**
 * "Unreachable destination handset (30003)": the server's words with the code beside them. The
 * REST detail and the websocket's delivery events carry the same two fields, so the first render
 * and every live update read alike.
 */
export const failureText = (d) => (d.failureReason ? `${d.failureReason}${d.failureCode ? ` (${d.failureCode})` : ''}` : null);

function pollSection(results) {
  if (!results?.length) return [];
  return results.map((p) => {
    const total = p.answerCount ?? p.options.reduce((n, o) => n + o.count, 0);
    return h('section', { class: 'card', 'aria-label': `Poll: ${p.question}` }, h('h2', {}, `Poll: ${p.question}`),
      h('p', { class: 'muted' }, `${total} answer${total === 1 ? '' : 's'} · ${p.closed ? 'closed' : `open until ${formatTime(p.closesAt)}`}`),
      h('table', {}, h('tbody', {}, p.options.map((o) => h('tr', {},
        h('th', { scope: 'row' }, `${o.number}. ${o.text}`), h('td', { class: 'wide' }, h('progress', { max: Math.max(total, 1), value: o.count, 'aria-label': `${o.text}: ${o.count} of ${total}` })),
        h('td', {}, String(o.count)))))),
      p.answers?.length ? h('details', {}, h('summary', {}, 'Who answered what'),
        h('ul', {}, p.answers.map((a) => h('li', {}, `${a.contactName ?? 'Someone'}: ${a.optionText} (${a.channel}, ${formatTime(a.answeredAt)})`)))) : null);
  });
}
