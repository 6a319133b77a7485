/**
 * A real SMTP server in its own process (the `smtp-server` package), started by
 * `startSmtpServer()` in ./smtp-server.ts. Appends every accepted message, decoded, as one JSON
 * line to SMTP_SINK_FILE and prints `{"port":N}` once listening.
 *
 * Test hooks on the recipient's local part: `reject*` gets 550 (permanent), `tempfail*` gets
 * 451 (transient) at RCPT TO.
 */
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const sink = process.env.SMTP_SINK_FILE;
if (!sink) throw new Error('SMTP_SINK_FILE is required');

const decodeQp = (s: string): Buffer => {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const m = soft[i] === '=' ? /^[0-9A-F]{2}$/i.exec(soft.slice(i + 1, i + 3)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
};

const decodeWords = (s: string): string =>
  s.replace(/\s*=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*/g, (_w, _cs, enc: string, text: string) =>
    (enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQp(text.replace(/_/g, ' '))).toString('utf8'));

const parse = (raw: string): { headers: Record<string, string>; subject: string; text: string; html: string | null } => {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const subject = decodeWords(headers.subject ?? '');
  // multipart/alternative (text + HTML): the text/plain part is `text`, the text/html part `html`.
  const boundary = /^multipart\/[a-z]+;.*boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    const parts = body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--')).map((p) => parse(p.replace(/^\r\n/, '')));
    const isHtml = (p: { headers: Record<string, string> }) => /^text\/html/i.test(p.headers['content-type'] ?? '');
    const plain = parts.find((p) => !isHtml(p));
    return { headers, subject, text: plain?.text ?? '', html: parts.find(isHtml)?.text ?? plain?.html ?? null };
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text = cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : cte === 'quoted-printable' ? decodeQp(body).toString('utf8') : body;
  const decoded = text.replace(/\r\n/g, '\n').replace(/\n$/, '');
  return /^text\/html/i.test(headers['content-type'] ?? '') ? { headers, subject, text: decoded, html: decoded } : { headers, subject, text: decoded, html: null };
};

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onRcptTo(address, _session, cb) {
    const local = address.address.split('@')[0]!.toLowerCase();
    if (local.startsWith('reject')) return cb(Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }));
    if (local.startsWith('tempfail')) return cb(Object.assign(new Error('4.2.0 try again later'), { responseCode: 451 }));
    cb();
  },
  onData(stream, session, cb) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const m = parse(Buffer.concat(chunks).toString('utf8'));
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
      const to = session.envelope.rcptTo.map((r) => r.address);
      appendFileSync(sink, `${JSON.stringify({ from, to, subject: m.subject, text: m.text, html: m.html, headers: m.headers, at: new Date().toISOString() })}\n`);
      cb();
    });
  },
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.server.address() as AddressInfo).port })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent went away: do not linger.
process.stdin.on('end', stop);
process.stdin.resume();
