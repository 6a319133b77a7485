// My alerts (the responder view, #/responder): what the PWA on a responder's phone opens.
// Enables Web Push on this device (service worker /sw.js + PushManager.subscribe with the
// server's VAPID key; the subscription is stored per device through /v1/responder), lists the
// alerts that reached me, and acknowledges or answers a poll with one tap.
import { api } from '../api.js';
import { alertBox, announce, badge, formatTime, h, nextId, pageTitle, spinner } from '../dom.js';

const SUBSCRIBE_TIMEOUT_MS = 10_000;
const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** The VAPID public key (base64url) as the Uint8Array PushManager.subscribe wants. */
const keyBytes = (b64url) => {
  const s = atob(b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
};

const deviceName = () => {
  const ua = navigator.userAgent;
  const os = /iPhone|iPad/.test(ua) ? 'iPhone/iPad' : /Android/.test(ua) ? 'Android' : /Mac OS/.test(ua) ? 'Mac' : /Windows/.test(ua) ? 'Windows' : 'Linux';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return `${browser} on ${os}`;
};

async function currentSubscription() {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return reg ? reg.pushManager.getSubscription() : null;
}

export async function render(main, _route, ctx) {
  const status = h('div', { role: 'status' });
  const pushBox = h('div', {}, spinner());
  const alertsBox = h('div', {}, spinner());
  main.append(
    pageTitle('My alerts', h('button', { type: 'button', onclick: () => refresh() }, 'Refresh')),
    status,
    h('section', { 'aria-labelledby': 'resp-push-h', class: 'card' }, h('h2', { id: 'resp-push-h' }, 'Notifications on this device'), pushBox),
    h('section', { 'aria-labelledby': 'resp-alerts-h' }, h('h2', { id: 'resp-alerts-h' }, 'Alerts sent to me'), alertsBox),
  );
  const say = (text, kind = 'info') => { status.replaceChildren(alertBox(text, kind)); announce(text); };

  const refresh = async () => {
    let me;
    try {
      me = await api.get('/v1/responder');
    } catch (err) {
      pushBox.replaceChildren(alertBox(err.message));
      alertsBox.replaceChildren();
      return;
    }
    if (!me.contact) {
      // Linking is for admins (PUT /v1/users/:id/contact): an admin gets the way there, anyone else whom to ask.
      pushBox.replaceChildren(alertBox(ctx?.isAdmin
        ? ['Your sign-in is not linked to a contact yet, so no alerts come to you here. Link yourself on the ', h('a', { href: '#/users' }, 'Users'), ' page (Link contact).']
        : 'Your sign-in is not linked to a contact yet, so no alerts come to you here. Ask an admin to link you to your contact (Users page, Link contact).', 'info'));
      alertsBox.replaceChildren();
      return;
    }
    pushBox.replaceChildren(await pushSection(me, refresh, say));
    try {
      alertsBox.replaceChildren(alertList((await api.get('/v1/responder/alerts')).data, refresh, say));
    } catch (err) {
      alertsBox.replaceChildren(alertBox(err.message));
    }
  };
  await refresh();
  const onVisible = () => { if (document.visibilityState === 'visible') refresh(); };
  document.addEventListener('visibilitychange', onVisible);
  return () => document.removeEventListener('visibilitychange', onVisible);
}

async function pushSection(me, refresh, say) {
  const out = h('div', {});
  if (!me.vapidPublicKey) {
    out.append(alertBox('Push notifications are not set up on this server (VAPID keys): alerts come by text message.', 'info'));
  } else if (!pushSupported()) {
    out.append(alertBox('This browser cannot receive push notifications. On an iPhone, first add Switchboard to the Home Screen (Share, then Add to Home Screen) and open it from there.', 'info'));
  } else {
    const mine = await currentSubscription().catch(() => null);
    const registered = mine && me.devices.length > 0;
    out.append(h('p', {}, registered && Notification.permission === 'granted'
      ? 'This device can receive alerts as notifications. If a push cannot reach it, you get a text message instead.'
      : 'Get alerts on this device as notifications, with Acknowledge and poll answers right in the notification.'));
    out.append(h('button', {
      type: 'button', class: 'primary',
      onclick: async (e) => {
        e.currentTarget.disabled = true;
        try {
          await enablePush(me.vapidPublicKey);
          say('Notifications are on for this device.');
        } catch (err) {
          say(err.message, 'error');
        }
        await refresh();
      },
    }, registered ? 'Register this device again' : 'Enable notifications'));
  }
  if (me.devices.length) {
    out.append(h('h3', {}, 'My devices'), h('ul', { class: 'devices' }, me.devices.map((d) => h('li', {},
      `${d.device || 'Device'} · ${d.pushService} · since ${formatTime(d.createdAt)} `,
      h('button', {
        type: 'button', 'aria-label': `Remove ${d.device || 'device'} (${d.pushService})`,
        onclick: async () => {
          try {
            await api.del(`/v1/responder/push-subscriptions/${d.id}`);
            say('Device removed: it gets no more notifications.');
          } catch (err) {
            say(err.message, 'error');
          }
          await refresh();
        },
      }, 'Remove')))));
  } else if (me.vapidPublicKey) {
    out.append(h('p', { class: 'muted' }, 'No device is registered: your alerts come by text message.'));
  }
  return out;
}

async function enablePush(vapidPublicKey) {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Notifications are blocked for this site: allow them in the browser settings, then try again.');
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  const key = keyBytes(vapidPublicKey);
  if (sub && sub.options?.applicationServerKey) {
    const same = new Uint8Array(sub.options.applicationServerKey).every((b, i) => b === key[i]);
    if (!same) { await sub.unsubscribe(); sub = null; } // the server's keys changed
  }
  // The browser asks its vendor's push service (Google, Mozilla, Apple) for an endpoint: bounded wait.
  sub ??= await Promise.race([
    reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
    new Promise((_, reject) => setTimeout(() => reject(new Error("The browser's push service did not answer: try again later.")), SUBSCRIBE_TIMEOUT_MS)),
  ]);
  await api.post('/v1/responder/push-subscriptions', { ...sub.toJSON(), device: deviceName() });
}

function alertList(alerts, refresh, say) {
  if (!alerts.length) return h('p', { class: 'muted' }, 'No alerts yet.');
  return h('div', {}, alerts.map((a) => alertCard(a, refresh, say)));
}

function alertCard(a, refresh, say) {
  const titleId = nextId('alert');
  const act = (fn, done) => async (e) => {
    e.currentTarget.disabled = true;
    try {
      await fn();
      say(done);
    } catch (err) {
      say(err.message, 'error');
    }
    await refresh();
  };
  const poll = a.poll;
  return h('article', { class: 'card', 'aria-labelledby': titleId },
    h('h3', { id: titleId }, a.title),
    h('p', { class: 'muted' }, `${a.workflowName} · ${formatTime(a.sentAt)} · by ${a.channel === 'sms' ? 'text' : a.channel} `, badge(a.status)),
    h('p', { class: 'alert-text' }, a.body),
    poll ? h('fieldset', {},
      h('legend', {}, poll.question || 'Poll'),
      poll.closed ? h('p', { class: 'muted' }, 'This poll is closed.') : null,
      h('div', { class: 'row-actions' }, poll.options.map((text, i) => h('button', {
        type: 'button', 'aria-pressed': String(poll.myAnswer === i + 1), disabled: poll.closed,
        onclick: act(() => api.post(`/v1/responder/alerts/${a.deliveryId}/answer`, { option: i + 1 }), `Answer recorded: ${text}.`),
      }, text)))) : null,
    a.acknowledged
      ? null
      : h('button', {
        type: 'button', class: 'primary', 'aria-describedby': titleId,
        onclick: act(() => api.post(`/v1/responder/alerts/${a.deliveryId}/acknowledge`, {}), `Acknowledged: ${a.title}.`),
      }, 'Acknowledge'));
}
