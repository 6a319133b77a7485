// The REST API as the dashboard uses it: same-origin, session cookie, CSRF header on writes.

let csrfToken = null;
let onUnauthorized = () => {};

export const setCsrf = (t) => (csrfToken = t);
export const handleUnauthorized = (fn) => (onUnauthorized = fn);

/** An API error: `status`, `code` (the body's `error`), `details` (`[{ path, message }]`). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `request failed (${status})`);
    this.status = status;
    this.code = body?.error ?? 'error';
    this.details = Array.isArray(body?.details) ? body.details : [];
    this.body = body;
  }
}

export async function request(method, path, body, headers = {}) {
  const h = { accept: 'application/json', ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) h['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, { error: 'network', message: 'cannot reach Switchboard: check your connection' });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (res.status === 401 && !path.startsWith('/auth/')) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const api = {
  get: (p) => request('GET', p),
  post: (p, b, hd) => request('POST', p, b ?? {}, hd),
  put: (p, b, hd) => request('PUT', p, b, hd),
  patch: (p, b) => request('PATCH', p, b),
  del: (p) => request('DELETE', p),
};

/** Every page of a cursor-paged list (capped, for pickers). */
export async function getAll(path, max = 1000) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api.get(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...(page?.data ?? []));
    cursor = page?.nextCursor ?? null;
  } while (cursor && out.length < max);
  return out;
}

export const qs = (params) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};

/** The live feed of one activation; calls `onEvents(events[])` for every message. Reconnects until closed. */
export function openStream(activationId, onEvents, onState = () => {}) {
  let ws = null;
  let closed = false;
  let retry = 500;
  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${proto}//${location.host}/v1/activations/${encodeURIComponent(activationId)}/stream`);
    ws.onopen = () => {
      retry = 500;
      onState('open');
    };
    ws.onmessage = (m) => {
      try {
        const data = JSON.parse(m.data);
        onEvents(Array.isArray(data) ? data : [data]);
      } catch {
        /* ignore malformed frames */
      }
    };
    ws.onclose = () => {
      onState('closed');
      if (!closed) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  };
  connect();
  return () => {
    closed = true;
    ws?.close();
  };
}
