import { api, ApiError, qs } from '../api.js';
import { pick, text } from '../controls.js';
import { alertBox, announce, badge, field, formatTime, h, nextId, pageTitle, showFieldErrors, spinner } from '../dom.js';

export async function render(main, _route, ctx) {
  main.append(pageTitle('Users'));
  if (!ctx.isAdmin) {
    main.append(alertBox('Only admins manage users.', 'info'));
    return;
  }
  const listBox = h('div', {}, spinner());
  main.append(listBox, createForm(() => refresh()));
  const refresh = async (focusId) => {
    const { data } = await api.get('/v1/users');
    const ids = [...new Set(data.map((u) => u.contactId).filter(Boolean))];
    const contacts = new Map(await Promise.all(ids.map(async (id) => [id, await api.get(`/v1/contacts/${id}`).catch(() => null)])));
    listBox.replaceChildren(h('ul', { class: 'list', 'aria-label': 'Users of this account' },
      data.map((u) => userItem(u, contacts.get(u.contactId) ?? null, ctx, refresh))));
    if (focusId) listBox.querySelector(`[data-user="${CSS.escape(focusId)}"] button`)?.focus();
  };
  await refresh();
}

const contactName = (c) => c.name || c.phone || c.email || 'Unnamed contact';
const contactLabel = (c) => [contactName(c), c.phone, c.email].filter(Boolean).filter((v, i, a) => a.indexOf(v) === i).join(' · ');

function userItem(u, contact, ctx, refresh) {
  const who = u.name || u.email;
  const headingId = nextId('user');
  const box = h('div');
  const li = h('li', { class: 'item', 'aria-labelledby': headingId, 'data-user': u.id },
    h('div', { class: 'grow' },
      h('h2', { id: headingId, class: 'flush small' }, who, ' ', badge(u.disabledAt ? 'disabled' : 'active')),
      h('div', { class: 'muted' }, `${u.email} · ${u.role} · since ${formatTime(u.createdAt)}`),
      h('div', {}, 'Alerts in My alerts: ', u.contactId
        ? h('strong', {}, contact ? contactLabel(contact) : 'a contact')
        : h('span', { class: 'muted' }, 'not linked to a contact')),
      box),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', 'aria-label': `${u.contactId ? 'Change contact of' : 'Link contact to'} ${who}`, 'aria-expanded': 'false', onclick: (e) => {
        const opener = e.currentTarget;
        if (box.firstChild) {
          box.replaceChildren();
          opener.setAttribute('aria-expanded', 'false');
          return;
        }
        opener.setAttribute('aria-expanded', 'true');
        box.replaceChildren(contactForm(u, contact, async () => refresh(u.id), () => {
          box.replaceChildren();
          opener.setAttribute('aria-expanded', 'false');
          opener.focus();
        }));
      } }, u.contactId ? 'Change contact' : 'Link contact'),
      u.id === ctx.me.user.id ? h('span', { class: 'muted' }, 'you') : h('button', { type: 'button', 'aria-label': `${u.disabledAt ? 'Enable' : 'Disable'} ${who}`, onclick: async () => {
        await api.patch(`/v1/users/${u.id}`, { disabled: !u.disabledAt });
        announce(`${u.email} ${u.disabledAt ? 'enabled' : 'disabled'}`);
        refresh(u.id);
      } }, u.disabledAt ? 'Enable' : 'Disable')));
  return li;
}

/**
 * Links the user to the contact they are (PUT /v1/users/:id/contact): a search box that asks the
 * server (GET /v1/contacts?q=) and a list to pick from; Unlink sends null.
 */
function contactForm(u, current, onSaved, onCancel) {
  const who = u.name || u.email;
  const status = h('div');
  const list = h('select', { size: 6 });
  const fill = (rows) => {
    const all = current && !rows.some((c) => c.id === current.id) ? [current, ...rows] : rows;
    list.replaceChildren(...all.map((c) => h('option', { value: c.id, selected: c.id === u.contactId }, contactLabel(c))));
    if (!all.length) list.append(h('option', { value: '', disabled: true }, 'No contact matches'));
  };
  let timer = null;
  let asked = 0;
  const search = async (q) => {
    const n = ++asked;
    try {
      const page = await api.get(`/v1/contacts${qs({ q: q.trim(), limit: 20 })}`);
      if (n === asked) fill(page.data);
    } catch (err) {
      status.replaceChildren(alertBox(err.message));
    }
  };
  const find = h('input', { type: 'search', autocomplete: 'off', oninput: (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => search(e.target.value), 250);
  } });
  const save = async (contactId) => {
    status.replaceChildren();
    try {
      await api.put(`/v1/users/${u.id}/contact`, { contactId });
      announce(contactId ? `${who} linked to ${list.selectedOptions[0]?.textContent ?? 'the contact'}` : `${who} unlinked`);
      await onSaved();
    } catch (err) {
      // A 409 (the contact is another user's) names no field: it is about the contact picked.
      const details = err instanceof ApiError && err.details.length ? err.details : err.status === 409 ? [{ path: 'contactId', message: err.message }] : [];
      const rest = showFieldErrors(form, details);
      if (!details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  };
  const form = h('form', { class: 'card', novalidate: true, 'aria-label': `Contact of ${who}` },
    h('p', { class: 'hint flush' }, 'The contact this user is: their alerts show in My alerts and reach their devices by push.'),
    status,
    field('Find a contact', find, { hint: 'Name, phone number or e-mail.' }),
    field('Contact', list, { path: 'contactId', required: true }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Link contact'),
      u.contactId ? h('button', { type: 'button', class: 'danger', onclick: () => save(null) }, 'Unlink') : null,
      h('button', { type: 'button', onclick: onCancel }, 'Cancel')));
  list.addEventListener('change', () => {
    list.removeAttribute('aria-invalid');
    form.querySelector('[data-field="contactId"] .field-error')?.setAttribute('hidden', '');
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!list.value) {
      showFieldErrors(form, [{ path: 'contactId', message: 'pick a contact (search by name, phone or e-mail)' }]);
      return;
    }
    save(list.value);
  });
  search('');
  setTimeout(() => find.focus());
  return form;
}

function createForm(onCreated) {
  const m = { email: '', name: '', password: '', role: 'member' };
  const status = h('div');
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'new-user-h' },
    h('h2', { id: 'new-user-h' }, 'Add a user'), status,
    h('div', { class: 'grid2' },
      field('E-mail', text(m, 'email', { type: 'email', autocomplete: 'off' }), { path: 'email', required: true }),
      field('Name', text(m, 'name', { autocomplete: 'off' }), { path: 'name' }),
      field('Initial password', text(m, 'password', { type: 'password', autocomplete: 'new-password' }), { path: 'password', required: true, hint: 'At least 10 characters.' }),
      field('Role', pick(m, 'role', [['member', 'Member: view and activate'], ['admin', 'Admin: also configure']]), { path: 'role' })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    try {
      const u = await api.post('/v1/users', m);
      form.reset();
      Object.assign(m, { email: '', name: '', password: '', role: 'member' });
      showFieldErrors(form, []);
      status.replaceChildren(alertBox(`Added ${u.email}.`, 'info'));
      onCreated();
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || !err.details.length || rest.length) status.replaceChildren(alertBox(err.message));
    }
  });
  return form;
}
