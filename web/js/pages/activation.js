import { getActivation, getPollResults, listDeliveries } from '../activations-api.js';
import { api, openStream } from '../api.js';
import { alertBox, announce, badge, formatTime, h, pageTitle, spinner } from '../dom.js';

const CHANNEL = { sms: 'SMS', email: 'E-mail', push: 'Push', voice: 'Voice', conference: 'Conference', pager: 'Pager', webhook: 'Webhook' };
const FINAL = new Set(['delivered', 'answered', 'acknowledged', 'failed', 'no-answer', 'busy', 'skipped']);
const GOOD = new Set(['delivered', 'answered', 'acknowledged']);

/** Live progress: one row per recipient, one cell per channel, updated from the websocket feed. */
export async function render(main, { params }) {
  const id = params[0];
  main.append(spinner());
  let activation = await getActivation(id);
  const [wf, deliveries] = await Promise.all([
    api.get(`/v1/workflows/${activation.workflowId}`).catch(() => null),
    listDeliveries(id).then((p) => p.data ?? p).catch(() => []),
  ]);
  const byId = new Map(deliveries.map((d) => [d.id, d]));
  const names = await contactNames(deliveries);

  const head = h('div');
  const summary = h('div', { class: 'progress-summary', 'aria-live': 'polite' });
  const tables = h('div');
  const polls = h('div');
  const liveState = h('span', { class: 'muted' });
  main.replaceChildren(pageTitle(`${wf?.name ?? 'Workflow'}: activation`), head, summary, tables, polls);

  const renderHead = () => head.replaceChildren(h('div', { class: 'card' },
    h('p', { style: 'margin:0' }, badge(activation.status), ' ', `Started ${formatTime(activation.createdAt)} from ${activation.source}`,
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
    const done = all.filter((d) => FINAL.has(d.status)).length;
    const ok = all.filter((d) => GOOD.has(d.status)).length;
    summary.replaceChildren(
      stat('Recipients × channels', all.length), stat('Reached', ok), stat('Finished', `${done}/${all.length}`),
      ...Object.entries(counts).map(([s, n]) => h('div', { class: 'stat' }, h('strong', {}, n), badge(s))));
    tables.replaceChildren(...actionTables(all, wf, names));
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
        if (d) Object.assign(d, { status: e.status, skipReason: e.skipReason, errorCode: e.errorCode });
        else unknown = true;
      } else if (e.type === 'activation') {
        const before = activation.status;
        activation = { ...activation, status: e.status, recipientCount: e.recipientCount };
        renderHead();
        if (before !== e.status) announce(`Activation ${e.status}`);
      } else if (e.type === 'poll') {
        refreshPolls();
      }
    }
    if (unknown) {
      // Deliveries planned after the page loaded: fetch them (and their names) once.
      const fresh = await listDeliveries(id).then((p) => p.data ?? p).catch(() => []);
      for (const d of fresh) if (!byId.has(d.id)) byId.set(d.id, d);
      for (const [k, v] of await contactNames(fresh)) names.set(k, v);
    }
    schedule();
  }, (state) => {
    liveState.replaceChildren(h('span', { class: `live-dot${state === 'open' ? '' : ' off'}`, 'aria-hidden': 'true' }), state === 'open' ? 'Live' : 'Reconnecting…');
    if (state === 'open') resync();
  });

  // After (re)connecting, reload stored state: changes made while the socket was down are not lost.
  const resync = async () => {
    const [a, fresh] = await Promise.all([getActivation(id).catch(() => null), listDeliveries(id).then((p) => p.data ?? p).catch(() => null)]);
    if (a) activation = a;
    if (fresh) for (const d of fresh) byId.set(d.id, d);
    if (fresh) for (const [k, v] of await contactNames(fresh.filter((d) => !names.has(d.contactId)))) names.set(k, v);
    renderHead();
    schedule();
  };
  return close;
}

const all = (m) => [...m.values()];
const stat = (label, value) => h('div', { class: 'stat' }, h('strong', {}, value), label);

async function contactNames(deliveries) {
  const names = new Map();
  const ids = [...new Set(deliveries.map((d) => d.contactId).filter(Boolean))].slice(0, 200);
  for (let i = 0; i < ids.length; i += 20) {
    const batch = await Promise.all(ids.slice(i, i + 20).map((cid) => api.get(`/v1/contacts/${cid}`).catch(() => null)));
    for (const c of batch) if (c) names.set(c.id, c.name);
  }
  return names;
}

function actionTables(deliveries, wf, names) {
  const byAction = new Map();
  for (const d of deliveries) byAction.set(d.actionId, [...(byAction.get(d.actionId) ?? []), d]);
  const out = [];
  for (const [actionId, list] of byAction) {
    const action = wf?.actions.find((a) => a.id === actionId);
    const channels = [...new Set(list.map((d) => d.channel))];
    const rows = new Map();
    for (const d of list) rows.set(d.recipientKey, { ...(rows.get(d.recipientKey) ?? {}), [d.channel]: d });
    const caption = `${action?.name || action?.type || 'Action'} (${rows.size} recipient${rows.size === 1 ? '' : 's'})`;
    out.push(h('section', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { style: 'text-align:left;font-weight:600;padding-bottom:.4rem' }, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Recipient'), channels.map((c) => h('th', { scope: 'col' }, CHANNEL[c] ?? c)))),
      h('tbody', {}, [...rows.entries()].map(([key, cells]) => {
        const any = Object.values(cells)[0];
        const who = names.get(any.contactId) ?? any.contactName ?? any.address ?? key;
        return h('tr', { 'data-recipient': who },
          h('th', { scope: 'row' }, who, any.contactId ? h('div', {}, h('a', { href: `#/contacts/${any.contactId}`, class: 'hint' }, 'history')) : null),
          channels.map((c) => h('td', { 'data-channel': c }, cells[c] ? cell(cells[c]) : '—')));
      }))))));
  }
  return out;
}

function cell(d) {
  const reason = d.status === 'skipped' ? d.skipReason : d.status === 'failed' || d.status === 'no-answer' || d.status === 'busy' ? d.errorMessage ?? d.errorCode : null;
  return h('span', { 'data-status': d.status }, badge(d.status), reason ? h('div', { class: 'hint' }, String(reason)) : null);
}

function pollSection(results) {
  if (!results?.length) return [];
  return results.map((p) => {
    const total = p.options.reduce((n, o) => n + o.count, 0);
    return h('section', { class: 'card', 'aria-label': `Poll: ${p.question}` }, h('h2', {}, `Poll: ${p.question}`),
      h('p', { class: 'muted' }, `${total} answer${total === 1 ? '' : 's'}${p.closesAt ? ` · closes ${formatTime(p.closesAt)}` : ''}`),
      h('table', {}, h('tbody', {}, p.options.map((o) => h('tr', {},
        h('th', { scope: 'row' }, o.label), h('td', { style: 'width:55%' }, h('div', { class: 'poll-bar', style: `width:${total ? Math.round((o.count / total) * 100) : 0}%` })),
        h('td', {}, String(o.count)))))));
  });
}
