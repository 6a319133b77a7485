// Fields of each action type (notification, conference call, pager, webhook), as in the API's schema.
import { field, h } from './dom.js';
import { area, check, multi, num, pick, text } from './controls.js';
import { channelChoices } from './channel-caps.js';
import { webhookTest } from './webhook-test.js';
import { promptPicker } from './prompt-picker.js';

export const ACTION_TYPES = [['notification', 'Notification (SMS, e-mail, push, voice call)'], ['conference', 'Conference call'], ['pager', 'Pager'], ['webhook', 'Webhook']];
const CHANNELS = [['sms', 'SMS'], ['email', 'E-mail'], ['push', 'Push'], ['voice', 'Voice call']];

/** Editable model of one action: every field of every type, so switching type keeps what was typed. */
export function actionModel(a) {
  return {
    id: a.id, type: a.type ?? 'notification', name: a.name ?? '',
    groupIds: a.groupIds ?? [], includeOffDuty: !!a.includeOffDuty,
    subject: a.subject ?? '', message: a.message ?? '', channels: a.channels ?? ['sms'], attachmentId: a.attachmentId ?? '',
    promptOn: !!a.prompt, prompt: { text: a.prompt?.text ?? '', appendToMessage: a.prompt?.appendToMessage ?? true, promptId: a.prompt?.promptId ?? '' },
    pollOn: !!a.poll, poll: { question: a.poll?.question ?? '', optionsText: (a.poll?.options ?? ['Yes', 'No']).join('\n'), durationMinutes: a.poll?.durationMinutes ?? 60 },
    lineId: a.lineId ?? '', intro: a.intro ?? '', retryWithOffDuty: !!a.retryWithOffDuty,
    method: a.method ?? 'POST', url: a.url ?? '', body: a.body ?? '',
    authorizationSet: !!a.authorizationSet, authorization: '', clearAuthorization: false,
  };
}

const opt = (v) => (v === '' || v === null || v === undefined ? undefined : v);

/** The API shape of an action model: only the fields of its type; empty optional text left out. */
export function actionOut(a) {
  const base = { id: a.id, type: a.type, name: opt(a.name) };
  const people = { groupIds: a.groupIds, includeOffDuty: a.includeOffDuty };
  // A saved prompt goes by id: each save pins its current version (docs/CHANNELS.md "Prompt library").
  const prompt = !a.promptOn ? undefined : a.prompt.promptId ? { promptId: a.prompt.promptId, appendToMessage: a.prompt.appendToMessage } : { text: a.prompt.text, appendToMessage: a.prompt.appendToMessage };
  switch (a.type) {
    case 'notification':
      return {
        ...base, ...people, subject: opt(a.subject), message: a.message, channels: a.channels, attachmentId: opt(a.attachmentId), prompt,
        poll: a.pollOn ? { question: a.poll.question, options: a.poll.optionsText.split('\n').map((s) => s.trim()).filter(Boolean), durationMinutes: a.poll.durationMinutes } : undefined,
      };
    case 'conference':
      return { ...base, ...people, lineId: a.lineId, intro: a.intro, retryWithOffDuty: a.retryWithOffDuty };
    case 'pager':
      return { ...base, ...people, lineId: opt(a.lineId), message: a.message };
    case 'webhook': {
      // Write-only: left out keeps the stored value, null clears it, a string replaces it.
      const authorization = a.clearAuthorization ? null : opt(a.authorization);
      return { ...base, method: a.method, url: a.url, authorization, body: opt(a.body), prompt };
    }
    default:
      return base;
  }
}

/** The controls of one action, with `p` = `actions.N` for error paths. */
export function actionFields(a, p, o) {
  const people = () => [
    o.groupOpts.length
      ? multi(a, 'groupIds', 'Who: groups', o.groupOpts, `${p}.groupIds`)
      : h('div', { class: 'field', 'data-field': `${p}.groupIds` }, h('p', { class: 'alert warn' }, 'No groups yet: create groups of contacts first.'), h('span', { class: 'field-error', hidden: true })),
    check(a, 'includeOffDuty', 'Include contacts who are off duty', `${p}.includeOffDuty`),
  ];
  const label = field('Label (optional)', text(a, 'name', { maxlength: 200 }), { path: `${p}.name` });
  const promptBox = h('div');
  const renderPrompt = () => promptBox.replaceChildren(...(a.promptOn ? [
    promptPicker(a.prompt, `${p}.prompt.promptId`, () => renderPrompt()),
    a.prompt.promptId ? null : field('Prompt', area(a.prompt, 'text', { rows: 3, maxlength: 4000 }), { path: `${p}.prompt.text`, hint: 'Sent to the language model when the workflow runs.' }),
    check(a.prompt, 'appendToMessage', 'Append the answer to the message', `${p}.prompt.appendToMessage`),
  ] : []));
  renderPrompt();
  const promptToggle = check(a, 'promptOn', 'Add AI-generated text (prompt)', `${p}.prompt`, renderPrompt);

  switch (a.type) {
    case 'notification': {
      const pollBox = h('div');
      const renderPoll = () => pollBox.replaceChildren(...(a.pollOn ? [
        field('Question', text(a.poll, 'question', { maxlength: 500 }), { path: `${p}.poll.question`, required: true }),
        field('Answers, one per line', area(a.poll, 'optionsText', { rows: 3 }), { path: `${p}.poll.options`, hint: '2 to 9 answers; recipients press or reply with the number.' }),
        field('Open for (minutes)', num(a.poll, 'durationMinutes', { min: 1, max: 10080 }), { path: `${p}.poll.durationMinutes` }),
      ] : []));
      renderPoll();
      return [label, ...people(),
        channelChoices(a, `${p}.channels`, CHANNELS, o.caps),
        field('Subject (e-mail and push)', text(a, 'subject', { maxlength: 200 }), { path: `${p}.subject` }),
        field('Message', area(a, 'message', { rows: 4, maxlength: 1600 }), {
          path: `${p}.message`, required: true,
          hint: 'Use [[name]] for values filled in when activating, {{recording_url}} or {{inbound_message}} for what the caller left.',
        }),
        field('Attachment id (optional)', text(a, 'attachmentId', { spellcheck: 'false' }), { path: `${p}.attachmentId`, hint: 'The id of an uploaded attachment; recipients get a link.' }),
        promptToggle, promptBox,
        check(a, 'pollOn', 'Ask a question (poll)', `${p}.poll`, renderPoll), pollBox];
    }
    case 'conference':
      return [label, ...people(),
        field('Conference line', pick(a, 'lineId', o.lineOpts), { path: `${p}.lineId`, required: true }),
        field('Intro spoken to each person', area(a, 'intro', { rows: 3, maxlength: 1000 }), { path: `${p}.intro`, required: true }),
        check(a, 'retryWithOffDuty', 'If nobody answers within 2 minutes, call again including off-duty contacts', `${p}.retryWithOffDuty`)];
    case 'pager':
      return [label, ...people(),
        field('Dial out from line (optional)', pick(a, 'lineId', [['', '— default —'], ...o.lineOpts.slice(1)]), { path: `${p}.lineId` }),
        field('Pager message', text(a, 'message', { maxlength: 64, inputmode: 'tel', spellcheck: 'false' }), { path: `${p}.message`, required: true, hint: 'Digits 0-9, # and *; w is a half-second pause.' })];
    case 'webhook':
      return [label,
        h('div', { class: 'grid2' },
          field('Method', pick(a, 'method', [['POST', 'POST'], ['GET', 'GET']]), { path: `${p}.method` }),
          field('URL', text(a, 'url', { type: 'url', inputmode: 'url', spellcheck: 'false', placeholder: 'https://' }), { path: `${p}.url`, required: true })),
        field('Authorization header', h('input', { type: 'password', autocomplete: 'off', value: '', oninput: (e) => (a.authorization = e.target.value) }), {
          path: `${p}.authorization`,
          hint: a.authorizationSet ? 'A value is stored (never shown). Type a new one to replace it.' : 'Optional; stored encrypted and never shown again.',
        }),
        a.authorizationSet ? check(a, 'clearAuthorization', 'Remove the stored Authorization header', `${p}.clearAuthorization`) : null,
        field('Body (JSON)', area(a, 'body', { rows: 5, spellcheck: 'false', class: 'mono' }), { path: `${p}.body`, hint: 'Must be valid JSON once [[placeholders]] are filled. {{prompt_output}} (or {{craig_prompt_output}}) holds the prompt\'s answer.' }),
        o.readOnly ? null : webhookTest(a, o),
        promptToggle, promptBox];
    default:
      return [];
  }
}
