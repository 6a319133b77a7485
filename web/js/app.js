// Boot, session and hash router. Pages load on demand, so the first load fetches only this, api.js and dom.js.
import { api, handleUnauthorized, setCsrf } from './api.js';
import { alertBox, clear, h } from './dom.js';

const routes = [
  [/^#\/login$/, 'login'],
  [/^#\/workflows\/?$/, 'workflows'],
  [/^#\/workflows\/new$/, 'workflow-edit'],
  [/^#\/workflows\/([\w-]+)\/activate$/, 'activate'],
  [/^#\/workflows\/([\w-]+)$/, 'workflow-edit'],
  [/^#\/prompts\/?$/, 'prompts'],
  [/^#\/activations\/([\w-]+)$/, 'activation'],
  [/^#\/history\/?$/, 'history'],
  [/^#\/lines\/?$/, 'lines'],
  [/^#\/tracking\/?$/, 'tracking'],
  [/^#\/tracking\/new$/, 'tracking-edit'],
  [/^#\/tracking\/([\w-]+)$/, 'tracking-edit'],
  [/^#\/rules\/?$/, 'rules'],
  [/^#\/rules\/new$/, 'rule-edit'],
  [/^#\/rules\/([\w-]+)\/logs$/, 'rule-logs'],
  [/^#\/rules\/([\w-]+)$/, 'rule-edit'],
  [/^#\/rule-logs\/?$/, 'rule-logs'],
  [/^#\/callbacks\/?$/, 'callbacks'],
  [/^#\/sequences\/?$/, 'sequences'],
  [/^#\/sequences\/new$/, 'sequence-edit'],
  [/^#\/sequences\/([\w-]+)\/contacts$/, 'sequence-contacts'],
  [/^#\/sequences\/([\w-]+)$/, 'sequence-edit'],
  [/^#\/sequence-templates\/new$/, 'sequence-template-edit'],
  [/^#\/sequence-templates\/([\w-]+)$/, 'sequence-template-edit'],
  [/^#\/settings\/?$/, 'settings'],
  [/^#\/contacts\/?$/, 'contacts'],
  [/^#\/contacts\/([\w-]+)$/, 'contact'],
  [/^#\/softphone\/?$/, 'softphone'],
  [/^#\/outbox\/?$/, 'outbox'],
  [/^#\/users\/?$/, 'users'],
  [/^#\/responder\/?$/, 'responder'],
];

const ctx = {
  me: null,
  get isAdmin() {
    return this.me?.user.role === 'admin';
  },
  navigate: (hash) => {
    if (location.hash === hash) render();
    else location.hash = hash;
  },
  refreshSession: () => loadSession(),
};

let cleanup = null;
const main = document.getElementById('main');
/**
 * Which render is current. Pages load their data after they start drawing, so a page the user has
 * already left can still be busy: each render draws into a view of its own, and only the current
 * one is in <main>. A late page writes into its detached view, never over the page now shown.
 */
let generation = 0;

async function loadSession() {
  try {
    ctx.me = await api.get('/auth/me');
    setCsrf(ctx.me.csrfToken);
  } catch {
    ctx.me = null;
    setCsrf(null);
  }
  const header = document.querySelector('header.top');
  header.hidden = !ctx.me;
  if (ctx.me) {
    document.getElementById('who').textContent = `${ctx.me.user.name || ctx.me.user.email} · ${ctx.me.account.name}`;
    for (const el of document.querySelectorAll('[data-admin]')) el.hidden = !ctx.isAdmin;
  }
}

async function render() {
  const mine = ++generation;
  cleanup?.();
  cleanup = null;
  const hash = location.hash || '#/workflows';
  if (!ctx.me && hash !== '#/login') {
    sessionStorage.setItem('sb-after-login', hash);
    location.replace('#/login');
    return;
  }
  let match = null;
  let page = null;
  for (const [re, name] of routes) {
    match = re.exec(hash.split('?')[0]);
    if (match) {
      page = name;
      break;
    }
  }
  for (const a of document.querySelectorAll('nav a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  closeMenu();
  if (!page) {
    clear(main).append(alertBox('There is no such page.'), h('p', {}, h('a', { href: '#/workflows' }, 'Go to workflows')));
    return;
  }
  const view = h('div', { class: 'view' });
  try {
    const mod = await import(`./pages/${page}.js`);
    if (mine !== generation) return;
    clear(main).append(view);
    const params = match.slice(1);
    const query = new URLSearchParams(hash.split('?')[1] ?? '');
    const done = (await mod.render(view, { params, query }, ctx)) ?? null;
    // Left while it loaded: its listeners and timers go now, and focus stays where the new page put it.
    if (mine !== generation) return void done?.();
    cleanup = done;
    // The page's heading takes focus, unless the user is already in the page (a page still
    // loading its last part, such as a version history, is usable before its render ends).
    if (!view.contains(document.activeElement)) view.querySelector('[data-autofocus]')?.focus({ preventScroll: true });
  } catch (err) {
    if (mine === generation) clear(main).append(alertBox(err?.message ?? 'Something went wrong.'));
  }
}

function closeMenu() {
  const t = document.querySelector('.menu-toggle');
  t?.setAttribute('aria-expanded', 'false');
  document.getElementById('nav')?.classList.remove('open');
}

// The skip link moves focus to the page's content; followed as a link, its #main would be routed as a page.
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

document.querySelector('.menu-toggle').addEventListener('click', (e) => {
  const open = e.currentTarget.getAttribute('aria-expanded') !== 'true';
  e.currentTarget.setAttribute('aria-expanded', String(open));
  document.getElementById('nav').classList.toggle('open', open);
});

document.getElementById('logout').addEventListener('click', async () => {
  await api.post('/auth/logout').catch(() => {});
  ctx.me = null;
  setCsrf(null);
  document.querySelector('header.top').hidden = true;
  location.hash = '#/login';
});

handleUnauthorized(() => {
  if (!ctx.me) return;
  ctx.me = null;
  document.querySelector('header.top').hidden = true;
  sessionStorage.setItem('sb-after-login', location.hash);
  location.hash = '#/login';
});

window.addEventListener('hashchange', render);
await loadSession();
await render();
