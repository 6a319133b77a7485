import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFlat } from '../../adapters/telephony/twilio-http-client.js';
import { createTwilioProvider } from '../../adapters/telephony/twilio-provider.js';

const creds = { accountSid: `AC${'b2'.repeat(16)}`, authToken: 'http-client-token-0123456789abcd' };

/** A carrier that records requests; `/hang` never answers. */
const startRecorder = async () => {
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (body.includes('hang')) return; // no answer
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: `CA${'0'.repeat(32)}`, status: 'queued' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { seen, server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/prefix` };
};

describe('twilio SDK http client (keep-alive node:http)', () => {
  let rec: Awaited<ReturnType<typeof startRecorder>>;
  beforeAll(async () => {
    rec = await startRecorder();
  });
  afterAll(() => rec?.server.close());

  it('sends form bodies with repeated keys, Basic auth and the base URL prefix, over one kept-alive socket', async () => {
    const provider = createTwilioProvider({ apiUrl: rec.url });
    for (const to of ['+15550100001', '+15550100002']) {
      await provider.placeCall(creds, { from: '+15550100000', to, twimlUrl: 'https://x.test/twiml?a=1&b=2', statusCallbackUrl: 'https://x.test/s', statusEvents: ['initiated', 'completed'] });
    }
    const [first, second] = rec.seen.slice(-2);
    expect(first!.method).toBe('POST');
    expect(first!.url).toBe(`/prefix/2010-04-01/Accounts/${creds.accountSid}/Calls.json`);
    expect(first!.headers.authorization).toBe(`Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`);
    expect(first!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(first!.body);
    expect(form.getAll('StatusCallbackEvent')).toEqual(['initiated', 'completed']);
    expect(form.get('Url')).toBe('https://x.test/twiml?a=1&b=2');
    expect(second!.headers.connection).toBe('keep-alive');
  });

  it('gives up after the timeout with a retryable provider error', async () => {
    const provider = createTwilioProvider({ apiUrl: rec.url, timeoutMs: 300 });
    const t0 = Date.now();
    const err = await provider.sendSms(creds, { from: '+15550100000', to: '+15550100003', body: 'hang' }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toMatchObject({ retryable: true, providerCode: 'ECONNABORTED' });
  });

  it('encodes flat parameters like the SDK (lists repeated, null/undefined dropped) and refuses nested ones', () => {
    expect(encodeFlat({ To: '+1 555', N: 2, B: true, L: ['a', 'b'], U: undefined, Z: null })).toBe('To=%2B1+555&N=2&B=true&L=a&L=b');
    expect(encodeFlat({ Nested: { a: 1 } })).toBeNull();
    expect(encodeFlat(undefined)).toBe('');
  });
});
