import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsWebhookClient } from '../../adapters/webhook/https-webhook-client.js';
import { startHttpsServer, type LocalHttpsServer } from '../helpers/https-server.js';

/**
 * SSRF battery (issue 4 webhooks, issue 10 "bad input"): every way of pointing a webhook at a
 * non-public address is refused before a byte reaches it. The local HTTPS server stands in for
 * the internal service an attacker wants to reach; it must never see a request.
 */
const fakeDns: Record<string, Array<{ address: string; family: number }>> = {
  'internal.example.test': [{ address: '10.1.2.3', family: 4 }],
  'metadata.example.test': [{ address: '169.254.169.254', family: 4 }],
  'cgnat.example.test': [{ address: '100.64.1.1', family: 4 }],
  'ula.example.test': [{ address: 'fd12::1', family: 6 }],
  'mapped.example.test': [{ address: '::ffff:127.0.0.1', family: 6 }],
  // One public and one private answer: refused, since the socket could pick either.
  'mixed.example.test': [{ address: '93.184.216.34', family: 4 }, { address: '192.168.0.10', family: 4 }],
};
const lookup = ((hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
  const answers = fakeDns[hostname];
  if (!answers) return dnsLookup(hostname, options as never, cb as never);
  return options.all ? cb(null, answers) : cb(null, answers[0]!.address, answers[0]!.family);
}) as unknown as LookupFunction;

describe('SSRF battery: webhook requests to non-public addresses are refused', () => {
  let server: LocalHttpsServer;
  beforeAll(async () => {
    server = await startHttpsServer();
  });
  afterAll(async () => server?.close());

  const client = () => createHttpsWebhookClient({ timeoutMs: 3000, ca: server.ca, lookup });
  const p = () => server.port;

  const cases: Array<[string, () => string, RegExp]> = [
    ['IPv4 loopback', () => `https://127.0.0.1:${p()}/`, /loopback/],
    ['loopback elsewhere in 127/8', () => `https://127.1.2.3:${p()}/`, /loopback/],
    ['decimal IPv4 (2130706433)', () => `https://2130706433:${p()}/`, /loopback/],
    ['octal IPv4 (0177.0.0.1)', () => `https://0177.0.0.1:${p()}/`, /loopback/],
    ['hex IPv4 (0x7f.0x0.0x0.0x1)', () => `https://0x7f.0x0.0x0.0x1:${p()}/`, /loopback/],
    ['short IPv4 (127.1)', () => `https://127.1:${p()}/`, /loopback/],
    ['RFC 1918 10/8', () => 'https://10.0.0.1/', /private/],
    ['RFC 1918 172.16/12', () => 'https://172.20.1.1/', /private/],
    ['RFC 1918 192.168/16', () => 'https://192.168.1.1/', /private/],
    ['CGNAT 100.64/10', () => 'https://100.64.0.1/', /carrier-grade NAT/],
    ['link-local 169.254/16', () => 'https://169.254.10.10/', /link-local/],
    ['cloud metadata 169.254.169.254', () => 'https://169.254.169.254/latest/meta-data/', /metadata/],
    ['0.0.0.0', () => `https://0.0.0.0:${p()}/`, /this network/],
    ['multicast', () => 'https://224.0.0.1/', /multicast/],
    ['reserved 240/4', () => 'https://240.1.1.1/', /reserved/],
    ['IPv6 loopback [::1]', () => `https://[::1]:${p()}/`, /loopback/],
    ['IPv6 unspecified [::]', () => `https://[::]:${p()}/`, /unspecified/],
    ['IPv6 ULA fd00::/8', () => 'https://[fd00::1]/', /unique local/],
    ['IPv6 link-local fe80::/10', () => 'https://[fe80::1]/', /link-local/],
    ['AWS IPv6 metadata fd00:ec2::254', () => 'https://[fd00:ec2::254]/', /metadata/],
    ['IPv4-mapped IPv6 loopback', () => `https://[::ffff:127.0.0.1]:${p()}/`, /mapped.*loopback/],
    ['IPv4-mapped IPv6 private (hex form)', () => 'https://[::ffff:a00:1]/', /mapped.*private/],
    ['IPv4-mapped IPv6 metadata', () => 'https://[::ffff:169.254.169.254]/', /mapped.*metadata/],
    ['NAT64 embedding a private address', () => 'https://[64:ff9b::a00:1]/', /transition/],
    ['DNS name resolving to loopback (localhost)', () => `https://localhost:${p()}/`, /localhost resolves to 127\.0\.0\.1 is loopback/],
    ['DNS name resolving to RFC 1918', () => 'https://internal.example.test/', /resolves to 10\.1\.2\.3/],
    ['DNS name resolving to cloud metadata', () => 'https://metadata.example.test/', /metadata/],
    ['DNS name resolving to CGNAT', () => 'https://cgnat.example.test/', /carrier-grade/],
    ['DNS name resolving to IPv6 ULA', () => 'https://ula.example.test/', /unique local/],
    ['DNS name resolving to mapped IPv4 loopback', () => 'https://mapped.example.test/', /mapped.*loopback/],
    ['DNS name with one private answer among public ones', () => 'https://mixed.example.test/', /192\.168\.0\.10/],
  ];

  it.each(cases)('refuses %s', async (_name, url, reason) => {
    const before = server.requests.length;
    const out = await client().send({ method: 'POST', url: url(), body: '{}' });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.failure.kind).toBe('refused');
      expect(out.failure.reason).toMatch(reason);
    }
    expect(server.requests.length).toBe(before);
  });

  it('refuses plain http:// and credentials in the URL', async () => {
    const http = await client().send({ method: 'GET', url: 'http://example.com/' });
    expect(http).toMatchObject({ ok: false, failure: { kind: 'invalid_request', reason: 'only https:// URLs are allowed' } });
    const creds = await client().send({ method: 'GET', url: 'https://user:pw@example.com/' });
    expect(creds).toMatchObject({ ok: false, failure: { kind: 'invalid_request' } });
  });

  describe('redirects from an allowed host', () => {
    const allowedClient = () => createHttpsWebhookClient({ timeoutMs: 3000, ca: server.ca, lookup, allowedHosts: ['localhost'] });

    it.each([
      ['to a loopback literal', () => `https://127.0.0.1:${p()}/inside`, 'refused', /loopback/],
      ['to IPv6 loopback', () => `https://[::1]:${p()}/inside`, 'refused', /loopback/],
      ['to the metadata service', () => 'https://169.254.169.254/latest/meta-data/', 'refused', /metadata/],
      ['to a name resolving to a private address', () => 'https://internal.example.test/', 'refused', /10\.1\.2\.3/],
      ['to an RFC 1918 literal', () => 'https://192.168.1.1/admin', 'refused', /private/],
      ['to CGNAT', () => 'https://100.64.0.1/', 'refused', /carrier-grade NAT/],
      ['to a link-local address', () => 'https://169.254.10.10/', 'refused', /link-local/],
      ['to IPv4-mapped IPv6 loopback', () => `https://[::ffff:127.0.0.1]:${p()}/inside`, 'refused', /mapped.*loopback/],
      ['to an IPv6 unique local address', () => 'https://[fd00::1]/', 'refused', /unique local/],
      ['to a decimal-form loopback', () => `https://2130706433:${p()}/inside`, 'refused', /loopback/],
      ['to an octal-form loopback', () => `https://0177.0.0.1:${p()}/inside`, 'refused', /loopback/],
      ['to plain http (downgrade)', () => `http://localhost:${p()}/inside`, 'bad_redirect', /non-https/],
    ])('refuses a redirect %s', async (_name, target, kind, reason) => {
      server.respond((req, res) => {
        if (req.url === '/start') res.writeHead(302, { location: target() }).end();
        else res.writeHead(200).end('reached');
      });
      const before = server.requests.length;
      const out = await allowedClient().send({ method: 'POST', url: `${server.url}/start`, body: '{}' });
      expect(out).toMatchObject({ ok: false, failure: { kind } });
      if (!out.ok) expect(out.failure.reason).toMatch(reason);
      expect(server.requests.slice(before).map((r) => r.url)).toEqual(['/start']);
    });
  });
});
