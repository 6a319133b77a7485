import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpEmailSender } from '../../adapters/email/smtp-email-sender.js';
import type { DeliveryJob } from '../../src/engine/channel-port.js';
import { ProviderError } from '../../src/errors.js';
import { startSmtpServer, type SmtpServerProcess } from '../helpers/smtp-server.js';

const job = (over: Partial<DeliveryJob> & { payload: Record<string, unknown> }): DeliveryJob => ({
  deliveryId: '6f1c2b0e-0000-4000-8000-000000000001',
  accountId: 'a',
  activationId: '6f1c2b0e-0000-4000-8000-0000000000aa',
  actionId: 'notify',
  channel: 'email',
  contactId: 'c',
  address: 'dana@example.test',
  attempt: 1,
  ...over,
});

const failure = async (p: Promise<unknown>): Promise<ProviderError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError');
};

describe('e-mail channel over a real SMTP server process', () => {
  let smtp: SmtpServerProcess;
  let sender: ReturnType<typeof createSmtpEmailSender>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    sender = createSmtpEmailSender({ smtpUrl: smtp.url, from: 'Switchboard <alerts@switchboard.test>', messageIdDomain: 'switchboard.test' });
  });
  afterAll(async () => {
    sender?.close();
    await smtp?.stop();
  });

  it('delivers subject and text to the recipient, from SMTP_FROM, with a Message-ID from the delivery', async () => {
    const before = smtp.messages().length;
    const text = 'Gas leak at 12 Main St — évacuez.\nDetails: http://switchboard.test/a/Ab3dE5gH7k';
    const res = await sender.send(job({ payload: { subject: 'Évacuation: bâtiment B', text } }));
    expect(res).toMatchObject({ status: 'sent', provider: 'smtp', providerId: '<6f1c2b0e-0000-4000-8000-000000000001@switchboard.test>' });
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail).toMatchObject({ from: 'alerts@switchboard.test', to: ['dana@example.test'], subject: 'Évacuation: bâtiment B', text });
    expect(mail!.headers['x-switchboard-delivery']).toBe('6f1c2b0e-0000-4000-8000-000000000001');
  });

  it('sends each recipient their own message', async () => {
    const before = smtp.messages().length;
    await Promise.all(['a@example.test', 'b@example.test', 'c@example.test'].map((address, i) =>
      sender.send(job({ deliveryId: `6f1c2b0e-0000-4000-8000-00000000010${i}`, address, payload: { subject: `Drill ${i}`, text: `Hello ${address}` } }))));
    const got = (await smtp.waitFor(before + 3)).slice(before);
    expect(got.map((m) => [m.to[0], m.subject, m.text]).sort()).toEqual([
      ['a@example.test', 'Drill 0', 'Hello a@example.test'],
      ['b@example.test', 'Drill 1', 'Hello b@example.test'],
      ['c@example.test', 'Drill 2', 'Hello c@example.test'],
    ]);
  });

  it('fails permanently on a 5xx reply, and nothing is delivered', async () => {
    const before = smtp.messages().length;
    const err = await failure(sender.send(job({ address: 'reject-me@example.test', payload: { subject: 's', text: 't' } })));
    expect(err).toMatchObject({ retryable: false, providerCode: 'smtp_550' });
    expect(smtp.messages().length).toBe(before);
  });

  it('retries a 4xx reply (greylisting) as transient', async () => {
    const err = await failure(sender.send(job({ address: 'tempfail@example.test', payload: { subject: 's', text: 't' } })));
    expect(err).toMatchObject({ retryable: true, providerCode: 'smtp_451' });
  });

  it('treats an unreachable server as transient', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = createSmtpEmailSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'x@switchboard.test', timeoutMs: 2000 });
    const err = await failure(down.send(job({ payload: { subject: 's', text: 't' } })));
    down.close();
    expect(err.retryable).toBe(true);
    expect(err.providerCode).toMatch(/ECONNECTION|ESOCKET|ECONNREFUSED/);
  });

  it('fails permanently without an address or without SMTP_URL', async () => {
    await expect(failure(sender.send(job({ address: null, payload: { subject: 's', text: 't' } })))).resolves.toMatchObject({ retryable: false, providerCode: 'invalid_address' });
    await expect(failure(sender.send(job({ address: 'not an address', payload: { subject: 's', text: 't' } })))).resolves.toMatchObject({ retryable: false });
    const none = createSmtpEmailSender({ smtpUrl: undefined, from: 'x@switchboard.test' });
    await expect(failure(none.send(job({ payload: { subject: 's', text: 't' } })))).resolves.toMatchObject({ retryable: false, providerCode: 'email_not_configured' });
  });

  it('keeps a newline in the subject from injecting headers', async () => {
    const before = smtp.messages().length;
    await sender.send(job({ payload: { subject: 'Alert\r\nBcc: evil@example.test', text: 'x' } }));
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.to).toEqual(['dana@example.test']);
    expect(mail!.headers.bcc).toBeUndefined();
  });
});
