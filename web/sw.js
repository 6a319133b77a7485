// Switchboard's service worker (served from /, scope /): shows Web Push alerts and answers their
// buttons. It caches nothing: the dashboard always loads fresh from Switchboard.
//
// A push's payload is decrypted by the browser (RFC 8291) and is JSON from the Web Push channel
// (src/push/web-push-channel.ts): { title, body, deliveryId, activationId, url, poll }.
// Buttons: "Acknowledge", or the poll's options (as many as the platform shows; the rest are
// in the responder view, which a tap on the notification opens). A button calls the responder
// API with the signed-in session (cookie + CSRF token from /auth/me); without a session it opens
// the responder view instead, where the person signs in and taps again.

const ACK = 'ack';
const OPTION = 'option-';

/** What the notification shows and carries, from the push's JSON (exported for tests via self). */
function notificationFor(msg, maxActions) {
  const poll = msg.poll && Array.isArray(msg.poll.options) ? msg.poll : null;
  const actions = poll
    ? poll.options.slice(0, maxActions).map((text, i) => ({ action: `${OPTION}${i + 1}`, title: text }))
    : [{ action: ACK, title: 'Acknowledge' }];
  const body = poll ? [msg.body, poll.question].filter(Boolean).join('\n') : msg.body || '';
  return {
    title: msg.title || 'Switchboard',
    options: {
      body,
      tag: msg.deliveryId || undefined,
      renotify: true,
      requireInteraction: true,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { deliveryId: msg.deliveryId, url: msg.url || '/#/responder', poll },
      actions,
    },
  };
}
self.notificationFor = notificationFor;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = { body: event.data ? event.data.text() : '' };
  }
  const max = (self.Notification && self.Notification.maxActions) || 2;
  const n = notificationFor(msg, max);
  event.waitUntil(self.registration.showNotification(n.title, n.options));
});

async function callApi(path, body) {
  const me = await fetch('/auth/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!me.ok) return { ok: false, status: me.status };
  const { csrfToken } = await me.json();
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken },
    body: JSON.stringify(body),
  });
  return { ok: res.ok, status: res.status };
}

// Focusing or opening a window is allowed only while handling a tap: elsewhere it is skipped.
async function openView(url) {
  try {
    const all = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const c of all) {
      if ('focus' in c) {
        if ('navigate' in c) await c.navigate(url).catch(() => undefined);
        return await c.focus();
      }
    }
    return self.clients.openWindow ? await self.clients.openWindow(url) : undefined;
  } catch {
    return undefined;
  }
}

/** A tap on a button (or on the notification): returns what was done, for tests. */
async function handleClick(action, data) {
  const id = data && data.deliveryId;
  const url = (data && data.url) || '/#/responder';
  if (!id || !action) return openView(url).then(() => 'opened');
  const path = `/v1/responder/alerts/${encodeURIComponent(id)}/`;
  const res = action === ACK
    ? await callApi(`${path}acknowledge`, { via: 'push' })
    : action.startsWith(OPTION)
      ? await callApi(`${path}answer`, { option: Number(action.slice(OPTION.length)), via: 'push' })
      : { ok: false, status: 0 };
  if (!res.ok) {
    await openView(url); // signed out, closed poll…: the responder view shows why
    return `failed:${res.status}`;
  }
  return action === ACK ? 'acknowledged' : 'answered';
}
self.handleClick = handleClick;

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(handleClick(event.action, event.notification.data));
});
