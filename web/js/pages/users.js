import { api, ApiError } from '../api.js';
import { pick, text } from '../controls.js';
import { alertBox, announce, badge, field, formatTime, h, pageTitle, showFieldErrors, spinner } from '../dom.js';

export async function render(main, _route, ctx) {
  main.append(pageTitle('Users'));
  if (!ctx.isAdmin) {
    main.append(alertBox('Only admins manage users.', 'info'));
    return;
  }
  const listBox = h('div', {}, spinner());
  main.append(listBox, createForm(() => refresh()));
  const refresh = async () => {
    const { data } = await api.get('/v1/users');
    listBox.replaceChildren(h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'sr-only' }, 'Users of this account'),
      h('thead', {}, h('tr', {}, ['Name', 'E-mail', 'Role', 'Status', 'Since', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, data.map((u) => h('tr', {},
        h('td', {}, u.name || '—'), h('td', {}, u.email), h('td', {}, u.role),
        h('td', {}, badge(u.disabledAt ? 'disabled' : 'active')), h('td', {}, formatTime(u.createdAt)),
        h('td', {}, u.id === ctx.me.user.id ? h('span', { class: 'muted' }, 'you') : h('button', { type: 'button', onclick: async () => {
          await api.patch(`/v1/users/${u.id}`, { disabled: !u.disabledAt });
          announce(`${u.email} ${u.disabledAt ? 'enabled' : 'disabled'}`);
          refresh();
        } }, u.disabledAt ? 'Enable' : 'Disable'))))))));
  };
  await refresh();
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
