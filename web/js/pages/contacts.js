import { api, qs } from '../api.js';
import { alertBox, field, h, pageTitle } from '../dom.js';

/** Contacts, searchable; each opens its conversation history. */
export async function render(main, { query }) {
  main.append(pageTitle('Contacts'));
  const q = h('input', { type: 'search', value: query.get('q') ?? '', autocomplete: 'off' });
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('div');
  const load = async (cursor) => {
    try {
      const page = await api.get(`/v1/contacts${qs({ q: q.value.trim(), limit: 50, cursor })}`);
      if (!cursor) results.replaceChildren(h('ul', { class: 'list' }));
      const ul = results.querySelector('ul');
      for (const c of page.data) {
        ul.append(h('li', { class: 'item' },
          h('div', {}, h('h2', {}, h('a', { href: `#/contacts/${c.id}` }, c.name)),
            h('div', { class: 'meta' }, [c.phone, c.email, c.onDuty ? 'on duty' : 'off duty', c.doNotContact ? 'do not contact' : null]
              .filter(Boolean).map((t) => h('span', { class: 'tag' }, t))))));
      }
      if (!cursor && !page.data.length) results.replaceChildren(alertBox('No contacts match.', 'info'));
      more.replaceChildren(page.nextCursor ? h('button', { type: 'button', onclick: () => load(page.nextCursor) }, 'Load more') : '');
    } catch (err) {
      results.replaceChildren(alertBox(err.message));
    }
  };
  const form = h('form', { role: 'search', class: 'card', 'aria-label': 'Search contacts' },
    field('Search by name, phone or e-mail', q), h('button', { type: 'submit', class: 'primary' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  main.append(form, results, more);
  await load();
}
