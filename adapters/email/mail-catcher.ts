import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { ChannelResult, ChannelSender, DeliveryJob } from '../../src/engine/channel-port.js';
import type { MailCatcherStore } from '../../src/demo/mail-catcher-store.js';
import { createSmtpEmailSender } from './smtp-email-sender.js';

export type MailCatcherSenderOptions = {
  store: Pick<MailCatcherStore, 'add'>;
  from: string;
  messageIdDomain?: string;
};

/**
 * Channel 'email' for SMTP_URL=catcher (the quick start's default): a real SMTP server of this
 * process (the `smtp-server` package, 127.0.0.1, a free port, started at the first e-mail)
 * receives what the ordinary SMTP sender (./smtp-email-sender.ts) sends, and keeps each message
 * in the MailCatcherStore for the dashboard's Outbox page and `GET /v1/simulator/emails`.
 * Nothing leaves the machine. The catcher accepts only messages this process is sending (it
 * knows each one's delivery and account); anything else connecting gets a 550.
 *
 * Retry contract: the SMTP sender's (a store failure answers 451: retryable). Results carry
 * `provider: 'mail-catcher'`.
 */
export const createMailCatcherSender = (opts: MailCatcherSenderOptions): ChannelSender & { close(): void } => {
  const sending = new Map<string, string>(); // deliveryId -> accountId
  let server: SMTPServer | null = null;
  let inner: Promise<ReturnType<typeof createSmtpEmailSender>> | null = null;

  const start = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 5 * 1024 * 1024,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mail = parseMessage(Buffer.concat(chunks).toString('utf8'));
          const deliveryId = mail.headers['x-switchboard-delivery'] ?? null;
          const accountId = deliveryId ? sending.get(deliveryId) : undefined;
          if (!accountId) return cb(Object.assign(new Error('5.7.1 not sent by this Switchboard process'), { responseCode: 550 }));
          opts.store.add(accountId, {
            deliveryId,
            activationId: mail.headers['x-switchboard-activation'] ?? null,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject,
            text: mail.text,
            messageId: mail.headers['message-id'] ?? null,
            receivedAt: new Date().toISOString(),
          }).then(() => cb(), () => cb(Object.assign(new Error('4.3.0 could not store the message'), { responseCode: 451 })));
        });
      },
    });
    const s = server;
    const port = await new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve((s.server.address() as AddressInfo).port));
    });
    return createSmtpEmailSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from: opts.from, messageIdDomain: opts.messageIdDomain });
  };

  return {
    channels: ['email'],
    async send(job: DeliveryJob): Promise<ChannelResult> {
      inner ??= start();
      const sender = await inner;
      sending.set(job.deliveryId, job.accountId);
      try {
        return { ...(await sender.send(job)), provider: 'mail-catcher' };
      } finally {
        sending.delete(job.deliveryId);
      }
    },
    close() {
      void inner?.then((s) => s.close(), () => undefined);
      server?.close();
      server = null;
      inner = null;
    },
  };
};

const decodeQp = (s: string): Buffer => {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft[i] === '=' ? /^[0-9A-F]{2}$/i.exec(soft.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
};

/** RFC 2047 encoded words (`=?utf-8?Q?…?=`, `=?utf-8?B?…?=`) as text. */
const decodeWords = (s: string): string =>
  s.replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1').replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_w, _cs, enc: string, text: string) =>
    (enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQp(text.replace(/_/g, ' '))).toString('utf8'));

/**
 * Headers (lower-cased names), subject and text of what the SMTP sender writes: a single-part
 * plain-text message (7bit, quoted-printable or base64), or — when the account tracks e-mail
 * opens or clicks — multipart/alternative, whose text/plain part is the text. Other bodies stay raw.
 */
export const parseMessage = (raw: string): { headers: Record<string, string>; subject: string; text: string } => {
  const split = raw.indexOf('\r\n\r\n');
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r\n[ \t]+/g, ' ');
  const body = split < 0 ? '' : raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const boundary = /^multipart\/alternative;.*boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    const parts = body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--')).map((p) => parseMessage(p.replace(/^\r\n/, '')));
    const plain = parts.find((p) => /^text\/plain/i.test(p.headers['content-type'] ?? 'text/plain'));
    if (plain) return { headers, subject: decodeWords(headers.subject ?? ''), text: plain.text };
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text = cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : cte === 'quoted-printable' ? decodeQp(body).toString('utf8') : body;
  return { headers, subject: decodeWords(headers.subject ?? ''), text: text.replace(/\r\n/g, '\n').replace(/\n$/, '') };
};
