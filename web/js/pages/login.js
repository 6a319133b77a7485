import { api, ApiError } from '../api.js';
import { alertBox, field, h, showFieldErrors } from '../dom.js';

export async function render(main, _route, ctx) {
  document.title = 'Sign in · Switchboard';
  if (ctx.me) {
    ctx.navigate('#/workflows');
    return;
  }
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', inputmode: 'email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const status = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card narrow', novalidate: true },
    h('h1', { tabindex: '-1', 'data-autofocus': true }, 'Sign in to Switchboard'),
    status,
    field('E-mail', email, { path: 'email', required: true }),
    field('Password', password, { path: 'password', required: true }),
    h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.replaceChildren();
    submit.disabled = true;
    try {
      await api.post('/auth/login', { email: email.value, password: password.value });
      await ctx.refreshSession();
      const next = sessionStorage.getItem('sb-after-login');
      sessionStorage.removeItem('sb-after-login');
      ctx.navigate(next && next !== '#/login' ? next : '#/workflows');
    } catch (err) {
      const unmatched = err instanceof ApiError ? showFieldErrors(form, err.details) : [];
      if (!(err instanceof ApiError) || err.details.length === 0 || unmatched.length) status.replaceChildren(alertBox(err.message));
      password.value = '';
      (err instanceof ApiError && err.details.length ? form.querySelector('[aria-invalid]') : email)?.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('div', { class: 'center' }, form));
  email.focus();
}
