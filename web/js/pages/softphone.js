import { api, ApiError, getAll } from '../api.js';
import { alertBox, announce, field, h, pageTitle, select, spinner } from '../dom.js';

const KEYS = [['1', ''], ['2', 'ABC'], ['3', 'DEF'], ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'], ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'], ['*', ''], ['0', '+'], ['#', '']];
const LETTER = Object.fromEntries(KEYS.flatMap(([d, letters]) => [...letters].map((l) => [l, d])));

/**
 * Call or text a line as a caller would. The server plays the carrier against this gateway's own
 * webhooks (signed), one step at a time; this page shows what the caller hears and sends their keys.
 */
export async function render(main, { query }) {
  main.append(pageTitle('Softphone'), spinner());
  const [lines, contacts] = await Promise.all([getAll('/v1/lines'), getAll('/v1/contacts', 200).catch(() => [])]);
  main.lastChild.remove();
  if (!lines.length) {
    main.append(alertBox('There are no phone lines to call yet.', 'info'));
    return;
  }
  main.append(h('p', { class: 'muted' }, 'Try a line without a phone: the gateway answers exactly as it would answer the carrier. Activations you trigger here are real.'));
  const st = { lineId: query.get('line') ?? lines[0].id, from: contacts.find((c) => c.phone)?.phone ?? '', call: null, keys: '' };
  const lineSel = select(lines.map((l) => [l.id, `${l.name || 'Line'} ${l.phoneNumber}`]), st.lineId, { onchange: (e) => (st.lineId = e.target.value) });
  const fromIn = h('input', { type: 'tel', value: st.from, autocomplete: 'off', list: 'sp-contacts', oninput: (e) => (st.from = e.target.value.trim()) });
  const datalist = h('datalist', { id: 'sp-contacts' }, contacts.filter((c) => c.phone).map((c) => h('option', { value: c.phone }, c.name)));

  const log = h('ol', { class: 'transcript', 'aria-live': 'polite', 'aria-label': 'Call transcript' });
  const status = h('div');
  // A named live region: aria-label is not allowed on a plain div, so it is a status (polite, read whole).
  const dialled = h('div', { class: 'dialled', role: 'status', 'aria-label': 'Keys entered' });
  const controls = h('div');
  const callBtn = h('button', { type: 'button', class: 'primary', onclick: () => placeCall() }, 'Call');
  const hangBtn = h('button', { type: 'button', class: 'danger', hidden: true, onclick: () => send({ kind: 'hangup' }) }, 'Hang up');

  const say = (cls, text) => log.append(h('li', { class: cls }, text));
  const show = (events) => {
    for (const e of events) {
      if (e.kind === 'say') say('them', e.text);
      else if (e.kind === 'you') say('me', `You ${e.text}`);
      else if (e.kind === 'beep') say('sys', '(beep: recording)');
      else if (e.kind === 'pause') say('sys', `(${e.seconds} s pause)`);
      else if (e.kind === 'play') say('sys', `(plays ${e.url})`);
      else if (e.kind === 'dial') say('sys', e.conference ? `(joins conference ${e.conference})` : `(dials ${e.to ?? 'out'})`);
      else if (e.kind === 'message') say('them', `Text: ${e.text}`);
      else if (e.kind === 'ended') say('sys', e.reason === 'caller-hung-up' ? 'You hung up.' : e.detail ? `Call ended: ${e.detail}` : 'The line hung up.');
    }
    const last = [...events].reverse().find((e) => e.kind === 'say');
    if (last) announce(last.text);
  };

  const renderControls = () => {
    const w = st.call?.waiting;
    callBtn.hidden = !!st.call;
    hangBtn.hidden = !st.call;
    dialled.textContent = st.keys;
    if (!w) return controls.replaceChildren();
    if (w.kind === 'gather') {
      controls.replaceChildren(
        h('div', { class: 'keypad', role: 'group', 'aria-label': 'Keypad' }, KEYS.map(([d, letters]) =>
          h('button', { type: 'button', 'aria-label': letters ? `${d} ${letters}` : d, onclick: () => press(d) }, d, h('small', { 'aria-hidden': 'true' }, letters || '\u00a0')))),
        h('div', { class: 'form-actions' },
          w.numDigits ? null : h('button', { type: 'button', class: 'primary', onclick: () => submitKeys() }, 'Send keys'),
          h('button', { type: 'button', onclick: () => { st.keys = st.keys.slice(0, -1); renderControls(); } }, 'Delete'),
          h('button', { type: 'button', onclick: () => send({ kind: 'silence' }) }, 'Press nothing')),
        h('p', { class: 'hint' }, w.numDigits ? `The line takes ${w.numDigits} keys; letters type their key (RESQ = 7377).` : 'Letters type their key.'));
    } else {
      const secs = { v: 8 };
      controls.replaceChildren(h('div', { class: 'card' },
        h('p', {}, 'The line is recording a voice message.'),
        field('Length (seconds)', h('input', { type: 'number', min: 1, max: w.maxLength ?? 300, value: secs.v, oninput: (e) => (secs.v = Number(e.target.value) || 1) })),
        h('div', { class: 'form-actions' },
          h('button', { type: 'button', class: 'primary', onclick: () => send({ kind: 'voicemail', seconds: secs.v }) }, 'Leave a simulated voice message'),
          h('button', { type: 'button', onclick: () => send({ kind: 'silence' }) }, 'Say nothing'))));
    }
    controls.querySelector('button')?.focus();
  };

  const press = (d) => {
    if (st.call?.waiting?.kind !== 'gather') return;
    st.keys += d;
    renderControls();
    const w = st.call.waiting;
    if ((w.numDigits && st.keys.length >= w.numDigits) || (!w.numDigits && d === w.finishOnKey)) submitKeys();
  };
  const submitKeys = () => {
    const keys = st.keys.replace(new RegExp(`\\${st.call?.waiting?.finishOnKey || '#'}$`), '');
    st.keys = '';
    send(keys ? { kind: 'digits', digits: keys } : { kind: 'silence' });
  };

  const step = (res) => {
    show(res.events);
    st.call = res.ended ? null : res;
    st.keys = '';
    renderControls();
    if (res.ended) callBtn.focus();
  };
  const fail = (err) => {
    status.replaceChildren(alertBox(err instanceof ApiError && err.details.length ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message));
  };
  const placeCall = async () => {
    status.replaceChildren();
    log.replaceChildren();
    say('sys', `Calling ${lineSel.selectedOptions[0]?.textContent ?? ''} from ${st.from || '?'}…`);
    try {
      step(await api.post('/v1/softphone/calls', { lineId: st.lineId, from: st.from }));
    } catch (err) {
      fail(err);
    }
  };
  const send = async (input) => {
    if (!st.call) return;
    status.replaceChildren();
    const call = st.call;
    st.call = { ...call, waiting: null };
    renderControls();
    try {
      step(await api.post(`/v1/softphone/calls/${call.callSid}/input`, { state: call.state, input }));
    } catch (err) {
      st.call = call;
      renderControls();
      fail(err);
    }
  };

  // Typing 0-9 * # (or letters) on the page presses keys while the line listens for them.
  const onKey = (e) => {
    if (!st.call?.waiting || st.call.waiting.kind !== 'gather' || e.target.closest?.('input, textarea, select')) return;
    const k = e.key.toUpperCase();
    const d = /^[0-9*#]$/.test(k) ? k : LETTER[k];
    if (d) {
      e.preventDefault();
      press(d);
    } else if (e.key === 'Enter' && !st.call.waiting.numDigits) submitKeys();
  };
  document.addEventListener('keydown', onKey);

  main.append(h('div', { class: 'phone' },
    h('section', { class: 'card', 'aria-labelledby': 'sp-call' }, h('h2', { id: 'sp-call' }, 'Call a line'),
      field('Line', lineSel), field('Call from (your number)', fromIn, { hint: 'E.164, e.g. +14155550100. Pick a contact to call as them.' }), datalist,
      h('div', { class: 'form-actions' }, callBtn, hangBtn), dialled, controls),
    h('section', { class: 'card', 'aria-labelledby': 'sp-log' }, h('h2', { id: 'sp-log' }, 'What the caller hears'), status, log)),
  textSection(st, lineSel));
  return () => document.removeEventListener('keydown', onKey);
}

function textSection(st) {
  const body = h('input', { type: 'text', autocomplete: 'off', maxlength: 1600 });
  const out = h('ol', { class: 'transcript', 'aria-live': 'polite', 'aria-label': 'Text conversation' });
  const status = h('div');
  const form = h('form', { class: 'card', 'aria-labelledby': 'sp-text' }, h('h2', { id: 'sp-text' }, 'Text a line'), status,
    field('Message', body, { hint: 'e.g. a code and a note: RESQ gate 4. Sent from the number above to the line above.' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Send text')), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    const text = body.value;
    try {
      const res = await api.post('/v1/softphone/sms', { lineId: st.lineId, from: st.from, body: text });
      out.append(h('li', { class: 'me' }, text));
      for (const r of res.replies) out.append(h('li', { class: 'them' }, r));
      if (!res.replies.length) out.append(h('li', { class: 'sys' }, res.status === 200 ? '(no reply)' : `(the gateway answered ${res.status})`));
      announce(res.replies.join(' ') || 'No reply');
      body.value = '';
    } catch (err) {
      status.replaceChildren(alertBox(err instanceof ApiError && err.details.length ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ') : err.message));
    }
  });
  return form;
}
