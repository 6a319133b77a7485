import nodemailer, { type Transporter } from 'nodemailer';
import type { ChannelResult, ChannelSender, DeliveryJob } from '../../src/engine/channel-port.js';
import { ProviderError } from '../../src/errors.js';

export type SmtpEmailSenderOptions = {
  /** `smtp://user:pass@host:587` or `smtps://…:465`; undefined: every e-mail fails with `email_not_configured`. */
  smtpUrl: string | undefined;
  from: string;
  /** Host part of the Message-ID (derived from PUBLIC_URL). */
  messageIdDomain?: string;
  /** Per-connection socket timeout. */
  timeoutMs?: number;
  /** Extra TLS options for STARTTLS/SMTPS (e.g. a private CA). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
};

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string };

/**
 * Channel 'email': one plain-text e-mail per delivery over SMTP (nodemailer, pooled connections).
 * The payload is `EmailPayload` ({ subject, text }); the recipient is the delivery's address.
 * With `payload.html` (added at send time when the account tracks opens or clicks, see
 * src/email-tracking) the e-mail is multipart/alternative: the text and that HTML part.
 * The Message-ID is derived from the delivery id, so a receiving system can recognise a resend.
 *
 * Retry contract (ProviderError):
 * - connection / DNS / socket / timeout errors and 4xx SMTP replies (greylisting, mailbox
 *   busy, 421 service closing): retryable;
 * - 5xx SMTP replies (550 mailbox unknown, 554 rejected, 535 bad credentials) and a missing or
 *   malformed address: permanent, `providerCode` = `smtp_<code>`.
 */
export const createSmtpEmailSender = (opts: SmtpEmailSenderOptions): ChannelSender & { close(): void } => {
  let transport: Transporter | null = null;
  const getTransport = (): Transporter => {
    if (!opts.smtpUrl) throw new ProviderError('e-mail is not configured (set SMTP_URL)', { providerCode: 'email_not_configured', retryable: false });
    transport ??= nodemailer.createTransport({
      url: opts.smtpUrl,
      pool: true,
      maxConnections: 5,
      connectionTimeout: opts.timeoutMs ?? 10_000,
      greetingTimeout: opts.timeoutMs ?? 10_000,
      socketTimeout: (opts.timeoutMs ?? 10_000) * 3,
      tls: opts.tls,
    } as Parameters<typeof nodemailer.createTransport>[0]);
    return transport;
  };

  const classify = (err: SmtpError): ProviderError => {
    const code = err.responseCode;
    if (typeof code === 'number' && code >= 500) {
      return new ProviderError(`SMTP server refused the message: ${code} ${firstLine(err.response)}`, { providerCode: `smtp_${code}`, providerStatus: code, retryable: false, cause: err });
    }
    if (typeof code === 'number' && code >= 400) {
      return new ProviderError(`SMTP server deferred the message: ${code} ${firstLine(err.response)}`, { providerCode: `smtp_${code}`, providerStatus: code, retryable: true, cause: err });
    }
    if (err.code === 'EENVELOPE' && !code) {
      return new ProviderError(`invalid e-mail envelope: ${err.message}`, { providerCode: 'invalid_address', retryable: false, cause: err });
    }
    return new ProviderError(`SMTP connection failed: ${err.code ?? err.message}`, { providerCode: err.code ?? 'smtp_connection', retryable: true, cause: err });
  };

  return {
    channels: ['email'],
    async send(job: DeliveryJob): Promise<ChannelResult> {
      const to = job.address?.trim();
      if (!to || !/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(to)) {
        throw new ProviderError('the contact has no valid e-mail address', { providerCode: 'invalid_address', retryable: false });
      }
      const subject = typeof job.payload.subject === 'string' && job.payload.subject.trim() ? job.payload.subject : 'Switchboard notification';
      const text = typeof job.payload.text === 'string' ? job.payload.text : '';
      const html = typeof job.payload.html === 'string' && job.payload.html ? job.payload.html : undefined;
      const t = getTransport();
      try {
        const info = await t.sendMail({
          from: opts.from,
          to,
          subject: subject.replace(/[\r\n]+/g, ' '),
          text,
          ...(html ? { html } : {}),
          messageId: `<${job.deliveryId}@${opts.messageIdDomain ?? 'switchboard'}>`,
          headers: { 'X-Switchboard-Activation': job.activationId, 'X-Switchboard-Delivery': job.deliveryId, 'Auto-Submitted': 'auto-generated' },
        });
        if ((info.rejected ?? []).length > 0) {
          throw new ProviderError(`SMTP server rejected ${to}`, { providerCode: 'smtp_rejected', retryable: false });
        }
        return { status: 'sent', provider: 'smtp', providerId: info.messageId, meta: { response: firstLine(info.response) } };
      } catch (err) {
        if (err instanceof ProviderError) throw err;
        throw classify(err as SmtpError);
      }
    },
    close() {
      transport?.close();
      transport = null;
    },
  };
};

const firstLine = (s: string | undefined): string => (s ?? '').split(/\r?\n/)[0]!.slice(0, 200);
