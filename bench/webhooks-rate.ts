/**
 * Open-loop, constant-rate load generator for bench/webhooks.ts (its own process, like
 * webhooks-load.ts). Why not autocannon's `overallRate`: autocannon gives each connection a
 * per-second quota reset by a 1 s `setInterval` (lib/httpClient.js, `_doRequest`), so each
 * connection fires its quota back to back at the start of every second and then waits: a
 * "2,000 req/s" phase is a burst at full speed once a second, and its tail is the burst's
 * queue (the bare route showed p99 11–12 ms that way). Here request k is SCHEDULED at
 * `t0 + k / rate` (every 0.5 ms at 2,000 req/s) and sent as soon as it is due on an idle
 * keep-alive connection; latency runs from the scheduled time to the end of the response, so
 * time spent waiting for a connection or for a stalled server counts (coordinated omission
 * corrected, as wrk2 does). The generator's own lateness (send − scheduled) is reported apart.
 *
 * argv[2]: JSON `{ url, bodiesFile, rate, duration, connections, start? }`; request k uses
 * body `(start + k) % bodies.length`. Prints JSON: achieved rate, latency p50/p90/p99/max (ms),
 * send lag, errors, non-2xx, timeouts (no answer 5 s after the schedule ended), and `ok2xx` /
 * `ok2xxRate`: answers that were 2xx (a status line that does not parse counts as non-2xx).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

type Args = { url: string; bodiesFile: string; rate: number; duration: number; connections: number; start?: number };
const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const bodies = JSON.parse(readFileSync(args.bodiesFile, 'utf8')) as Array<{ body: string; signature: string }>;
const u = new URL(args.url);
const total = Math.round(args.rate * args.duration);
const interval = 1000 / args.rate; // ms between scheduled sends
const start = args.start ?? 0;

const request = (k: number): Buffer => {
  const b = bodies[(start + k) % bodies.length]!;
  return Buffer.from(
    `POST ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/x-www-form-urlencoded\r\n`
    + `X-Twilio-Signature: ${b.signature}\r\nContent-Length: ${Buffer.byteLength(b.body)}\r\n\r\n${b.body}`,
  );
};

const latency = new Float64Array(total).fill(Number.NaN); // ms from scheduled time to full response
const lag = new Float64Array(total).fill(Number.NaN); // ms from scheduled time to the write
let done = 0;
let non2xx = 0;
let ok2xx = 0;
let errors = 0;
let lastEnd = 0;

/** One keep-alive connection, one request at a time (no pipelining); responses carry Content-Length. */
type Conn = { socket: net.Socket; busy: number | null; buf: Buffer };
const conns: Conn[] = [];
const idle: Conn[] = [];
const due: number[] = []; // scheduled but no idle connection yet (FIFO)
let t0 = 0;
let cpu0 = process.cpuUsage();
let next = 0;

const finish = (c: Conn, status: number) => {
  const k = c.busy!;
  c.busy = null;
  const now = performance.now();
  latency[k] = now - (t0 + k * interval);
  lastEnd = now;
  done++;
  if (status >= 200 && status < 300) ok2xx++;
  else non2xx++;
  dispatch(c);
};

const send = (c: Conn, k: number) => {
  c.busy = k;
  lag[k] = performance.now() - (t0 + k * interval);
  c.socket.write(request(k));
};

const dispatch = (c: Conn) => {
  const k = due.shift();
  if (k === undefined) idle.push(c);
  else send(c, k);
};

const onData = (c: Conn, chunk: Buffer) => {
  c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
  for (;;) {
    const end = c.buf.indexOf('\r\n\r\n');
    if (end < 0 || c.busy === null) return;
    const head = c.buf.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const len = m ? Number(m[1]) : 0;
    if (c.buf.length < end + 4 + len) return;
    c.buf = c.buf.subarray(end + 4 + len);
    finish(c, Number(head.slice(9, 12)));
  }
};

const open = () => new Promise<Conn>((resolve, reject) => {
  const socket = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
  const c: Conn = { socket, busy: null, buf: Buffer.alloc(0) };
  socket.once('connect', () => resolve(c));
  socket.on('data', (d) => onData(c, d));
  socket.on('error', (err) => {
    // Once running, a request dropped by the error is counted on 'close' (which always follows).
    if (!t0) reject(err);
  });
  socket.on('close', () => {
    // A dropped request counts as an error; the connection is not reused.
    if (c.busy !== null) { errors++; done++; c.busy = null; }
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
  });
});

for (let i = 0; i < args.connections; i++) conns.push(await open());
idle.push(...conns);

await new Promise<void>((resolve) => {
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  const tick = () => {
    const now = performance.now();
    while (next < total && t0 + next * interval <= now) {
      const c = idle.pop();
      if (c) send(c, next);
      else due.push(next);
      next++;
    }
    if (next < total) setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    else resolve();
  };
  tick();
});
const scheduleEnd = t0 + total * interval;
await new Promise<void>((resolve) => {
  const check = () => (done >= total || performance.now() > scheduleEnd + 5000 ? resolve() : setTimeout(check, 5));
  check();
});
for (const c of conns) c.socket.destroy();

const sorted = (xs: Float64Array) => Array.from(xs).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
const answered = sorted(latency);
const sortedLag = sorted(lag);
const pct = (xs: number[], p: number) => (xs.length ? Number(xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!.toFixed(2)) : 0);
const elapsed = (Math.max(lastEnd, scheduleEnd) - t0) / 1000;
process.stdout.write(JSON.stringify({
  offeredRate: args.rate,
  achievedRate: Math.round(done / elapsed),
  scheduled: total,
  total: done,
  durationSeconds: Number(elapsed.toFixed(2)),
  latency: { p50: pct(answered, 50), p90: pct(answered, 90), p99: pct(answered, 99), p999: pct(answered, 99.9), max: pct(answered, 100) },
  sendLag: { p50: pct(sortedLag, 50), p99: pct(sortedLag, 99), max: pct(sortedLag, 100) },
  ok2xx,
  ok2xxRate: Math.round(ok2xx / elapsed),
  non2xx,
  errors,
  timeouts: total - done,
  connections: args.connections,
  cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu0)),
}));
