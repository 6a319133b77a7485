// Phone lines page: checking and setting up the Twilio number behind a line (POST /v1/lines/:id/check
// and /configure), and adding a line (POST /v1/lines, with a carrier connection made on the way).
import { api, ApiError, getAll } from './api.js';
import { check, pick, text } from './controls.js';
import { alertBox, announce, confirmDialog, field, h, showFieldErrors } from './dom.js';

const MG_HINT = 'Optional. MG followed by 32 characters: texts go out through this Twilio Messaging Service, from a number of its pool. Calls still come from the line\'s number.';
const FIELD_NAMES = { voiceUrl: 'A call comes in', smsUrl: 'A message comes in', statusCallback: 'Call status changes' };

/** What a check found, in words: a heading that says whether all is well, then one item per finding. */
export function findingsView(line, result) {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  const summary = result.findings.length === 0
    ? `${line.phoneNumber} is set up: calls and texts reach Switchboard.`
    : `${errors ? `${errors} problem${errors > 1 ? 's' : ''}` : 'No problem'}${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''} with ${line.phoneNumber}.`;
  return h('section', { class: `alert ${errors ? 'error' : warnings ? 'warn' : 'info'}`, 'aria-label': `Twilio check of ${line.phoneNumber}`, 'data-check': result.ok ? 'ok' : 'problems' },
    h('p', { class: 'flush' }, h('strong', {}, result.changed ? `Webhooks set up. ${summary}` : summary)),
    result.findings.length
      ? h('ul', {}, result.findings.map((f) => h('li', { 'data-code': f.code },
        h('span', { class: 'tag' }, f.severity), ' ', f.message, ' ', h('code', { class: 'muted' }, f.code))))
      : null,
    h('p', { class: 'muted flush' }, `Checked ${new Date(result.checkedAt).toLocaleTimeString()}.`));
}

/** A modal that says exactly which settings of which number change; resolves true on "Set up webhooks". */
function confirmSetup(line, result, opener) {
  const rows = Object.entries(FIELD_NAMES).map(([key, label]) => {
    const now = result.found?.[key] || 'not set';
    return h('li', {}, h('strong', {}, `${label}: `), result.expected[key], ' (HTTP POST)', h('br'), h('span', { class: 'muted' }, `now: ${now}`));
  });
  return confirmDialog({
    title: `Set up ${line.phoneNumber} in Twilio?`,
    body: h('div', {},
      h('p', {}, `Switchboard will change these settings of ${line.phoneNumber} in your Twilio account, and of no other number:`),
      h('ul', {}, rows),
      result.found?.voiceApplicationSid || result.found?.trunkSid || result.found?.smsApplicationSid
        ? h('p', {}, 'The TwiML app or SIP trunk that now takes its calls or texts is removed from the number.') : null),
    confirm: 'Set up webhooks',
  }, opener);
}

/** Check and Set up buttons of a Twilio line, and where their answer shows (`line.check` after create). */
export function lineSetupSection(line, ctx) {
  if (line.provider !== 'twilio') return null;
  const out = h('div', { 'aria-live': 'polite' }, line.check ? findingsView(line, line.check) : null);
  const busy = (on) => { for (const b of buttons.querySelectorAll('button')) b.disabled = on; };
  const run = async (what) => {
    busy(true);
    try {
      const result = await api.post(`/v1/lines/${line.id}/${what}`, {});
      out.replaceChildren(findingsView(line, result));
      announce(result.ok ? `${line.phoneNumber} is set up` : `${line.phoneNumber}: ${result.findings.length} findings`);
      return result;
    } catch (err) {
      out.replaceChildren(alertBox(err.message));
      return null;
    } finally {
      busy(false);
    }
  };
  const setup = async (e) => {
    const opener = e.currentTarget;
    const now = await run('check');
    if (!now?.found) return; // not in the account, or Twilio unreachable: the findings say so
    if (now.ok && !now.findings.some((f) => f.code.startsWith('status_callback'))) return announce('Nothing to set up');
    if (await confirmSetup(line, now, opener)) await run('configure');
  };
  const buttons = h('div', { class: 'form-actions' },
    h('button', { type: 'button', onclick: () => run('check') }, 'Check'),
    ctx.isAdmin ? h('button', { type: 'button', onclick: setup }, 'Set up webhooks') : null);
  return h('div', {}, h('h3', { class: 'small' }, 'Twilio number'),
    line.messagingServiceSid ? h('p', {}, h('strong', {}, 'Texts go out through Messaging Service '), line.messagingServiceSid) : null,
    buttons, out);
}

/** Messaging Service SID field for the line form (`m.messagingServiceSid`). */
export const messagingServiceField = (m) => field('Messaging Service SID', text(m, 'messagingServiceSid', { maxlength: 40, autocomplete: 'off', spellcheck: 'false' }), { path: 'messagingServiceSid', hint: MG_HINT });

/** "Add a line": number, provider, carrier connection (an existing one or a new one), Messaging Service, set-up consent. */
export async function addLineForm(onCreated, onCancel) {
  const conns = await getAll('/v1/carrier-connections').catch(() => []);
  const m = { phoneNumber: '', name: '', provider: 'twilio', conn: conns[0]?.id ?? 'new', accountSid: '', authToken: '', messagingServiceSid: '', configureWebhooks: true };
  const status = h('div');
  const twilioOnly = h('div');
  const newConn = h('fieldset', {}, h('legend', {}, 'New Twilio connection'),
    field('Account SID', text(m, 'accountSid', { autocomplete: 'off', spellcheck: 'false' }), { path: 'accountSid', required: true }),
    field('Auth token', h('input', { type: 'password', autocomplete: 'off', oninput: (e) => (m.authToken = e.target.value) }), { path: 'authToken', required: true, hint: 'Stored encrypted; never shown again.' }));
  const redraw = () => {
    twilioOnly.hidden = m.provider !== 'twilio';
    newConn.hidden = m.conn !== 'new';
  };
  twilioOnly.append(
    field('Carrier connection', pick(m, 'conn', [...conns.map((c) => [c.id, `${c.name || 'Twilio'} · ${c.accountSid}`]), ['new', 'New connection…']], redraw), { path: 'carrierConnectionId' }),
    newConn,
    messagingServiceField(m),
    check(m, 'configureWebhooks', 'Set up this number\'s webhooks in Twilio now (only this number is changed)', 'configureWebhooks'));
  const form = h('form', { novalidate: true, 'aria-label': 'Add a phone line', class: 'card' }, h('h2', { class: 'flush' }, 'Add a phone line'), status,
    field('Phone number', text(m, 'phoneNumber', { inputmode: 'tel', autocomplete: 'off', placeholder: '+14155550123' }), { path: 'phoneNumber', required: true, hint: 'International format, as in Twilio.' }),
    field('Name', text(m, 'name', { maxlength: 200 }), { path: 'name' }),
    field('Provider', pick(m, 'provider', [['twilio', 'Twilio'], ['simulator', 'Simulator (sends nothing)']], redraw), { path: 'provider' }),
    twilioOnly,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add line'), h('button', { type: 'button', onclick: onCancel }, 'Cancel')));
  redraw();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const twilio = m.provider === 'twilio';
      let connId = twilio ? m.conn : null;
      if (twilio && m.conn === 'new') {
        connId = (await api.post('/v1/carrier-connections', { name: 'Twilio', accountSid: m.accountSid.trim(), authToken: m.authToken })).id;
        m.conn = connId; // a retry after a line error reuses it
        conns.push({ id: connId });
      }
      const line = await api.post('/v1/lines', {
        phoneNumber: m.phoneNumber, provider: m.provider, ...(m.name ? { name: m.name } : {}),
        ...(twilio ? { carrierConnectionId: connId, configureWebhooks: m.configureWebhooks, ...(m.messagingServiceSid.trim() ? { messagingServiceSid: m.messagingServiceSid.trim() } : {}) } : {}),
      });
      announce('Line added');
      await onCreated(line);
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  });
  setTimeout(() => form.querySelector('input')?.focus());
  return form;
}
