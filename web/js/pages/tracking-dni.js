// Call tracking → website numbers (Dynamic Number Insertion): the snippet to copy and the number pools per source.
import { api } from '../api.js';
import { alertBox, announce, badge, h, spinner } from '../dom.js';

const CLICK_IDS = { gclid: 'Google Ads click', fbclid: 'Facebook click', msclkid: 'Microsoft Ads click' };

/** What brings a visitor to a pool, in words. */
const matchText = (p) => {
  const parts = [
    ...p.match.utmSources.map((s) => `utm_source=${s}`),
    ...p.match.clickIds.map((c) => CLICK_IDS[c] ?? c),
    ...p.match.referrerHosts.map((r) => `from ${r}`),
  ];
  if (p.default) parts.push('every other visitor');
  return parts.join(' or ') || '—';
};

const poolRow = (p) => h('tr', {},
  h('th', { scope: 'row' }, p.source, p.default ? [' ', badge('default')] : null),
  h('td', {}, matchText(p)),
  h('td', {}, h('ul', { class: 'flush list' }, p.lines.map((l) => h('li', {}, h('span', { class: 'mono' }, l.phoneNumber), l.name ? ` ${l.name}` : '')))));

async function fill(body) {
  let settings;
  let pools;
  try {
    [settings, pools] = await Promise.all([api.get('/v1/dni'), api.get('/v1/tracking-pools').then((r) => r.data)]);
  } catch (err) {
    body.replaceChildren(alertBox(err.message));
    return;
  }
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(settings.snippet);
      announce('Snippet copied');
    } catch {
      announce('Copy failed: select the snippet and copy it');
    }
  };
  const sites = settings.allowedOrigins.length ? settings.allowedOrigins.join(', ') : 'any site';
  body.replaceChildren(
    h('p', {}, 'Put this tag on every page of your website, and mark each phone number with ',
      h('code', {}, 'data-switchboard-number'), '. Each visitor sees the number of the source that brought them, and a call to it records that source.'),
    h('h3', { id: 'dni-snippet-h' }, 'Snippet'),
    h('pre', { class: 'preview mono sid', 'aria-labelledby': 'dni-snippet-h', tabindex: '0' }, settings.snippet),
    h('div', { class: 'form-actions' }, h('button', { type: 'button', onclick: copy }, 'Copy snippet')),
    h('p', { class: 'muted' }, `Allowed sites: ${sites}. A visitor keeps a number for ${settings.sessionMinutes} minutes after their last page view; a call in that time is theirs. `,
      'The key in the tag is public: it only lets a page ask for one of these numbers.'),
    h('h3', {}, 'Sources'),
    pools.length
      ? h('div', { class: 'table-wrap' }, h('table', {},
        h('caption', { class: 'sr-only' }, 'Number pools per source'),
        h('thead', {}, h('tr', {}, ['Source', 'Visitors who arrive with', 'Numbers shown'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, pools.map(poolRow))))
      : h('p', { class: 'muted' }, 'No source is set up yet (POST /v1/tracking-pools with a source and its tracking lines).'),
  );
}

/** The "Website numbers" card of the Call tracking page; loads itself. */
export function dniSection() {
  const body = h('div', { 'aria-live': 'polite' }, spinner());
  const sec = h('section', { class: 'card', 'aria-labelledby': 'dni-h' }, h('h2', { id: 'dni-h' }, 'Website numbers (DNI)'), body);
  fill(body);
  return sec;
}
