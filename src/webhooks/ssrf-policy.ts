import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses an outbound webhook may connect to. Pure: no DNS, no sockets — the
 * webhook adapter calls {@link classifyAddress} on every address DNS returns and again on the
 * address the socket actually connected to (so DNS rebinding and redirects cannot slip past).
 *
 * Only public unicast is allowed: IPv4 outside every special-purpose range, and IPv6 inside
 * global unicast 2000::/3 minus its special-purpose blocks. IPv4-mapped / -compatible IPv6 is
 * judged by the IPv4 address it carries.
 */
export type AddressVerdict = { allowed: true } | { allowed: false; category: BlockedCategory; reason: string };

export type BlockedCategory =
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link_local'
  | 'cloud_metadata'
  | 'multicast'
  | 'reserved'
  | 'unique_local'
  | 'ipv6_transition';

type Rule = { category: BlockedCategory; label: string; list: BlockList };

const rule = (category: BlockedCategory, label: string, subnets: Array<[string, number]>, family: 'ipv4' | 'ipv6'): Rule => {
  const list = new BlockList();
  for (const [net, prefix] of subnets) {
    if (prefix === (family === 'ipv4' ? 32 : 128)) list.addAddress(net, family);
    else list.addSubnet(net, prefix, family);
  }
  return { category, label, list };
};

// Order matters: the first matching rule names the refusal (metadata before link-local / ULA).
const ipv4Rules: Rule[] = [
  rule('cloud_metadata', 'a cloud metadata address', [['169.254.169.254', 32], ['169.254.170.2', 32], ['100.100.100.200', 32]], 'ipv4'),
  rule('unspecified', '"this network" (0.0.0.0/8)', [['0.0.0.0', 8]], 'ipv4'),
  rule('loopback', 'loopback (127.0.0.0/8)', [['127.0.0.0', 8]], 'ipv4'),
  rule('private', 'private (RFC 1918)', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]], 'ipv4'),
  rule('cgnat', 'carrier-grade NAT (100.64.0.0/10)', [['100.64.0.0', 10]], 'ipv4'),
  rule('link_local', 'link-local (169.254.0.0/16)', [['169.254.0.0', 16]], 'ipv4'),
  rule('multicast', 'multicast (224.0.0.0/4)', [['224.0.0.0', 4]], 'ipv4'),
  rule('reserved', 'reserved for special use', [
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24],
    ['203.0.113.0', 24], ['240.0.0.0', 4],
  ], 'ipv4'),
];

const ipv6Rules: Rule[] = [
  rule('cloud_metadata', 'a cloud metadata address', [['fd00:ec2::254', 128]], 'ipv6'),
  rule('unspecified', 'the unspecified address (::)', [['::', 128]], 'ipv6'),
  rule('loopback', 'IPv6 loopback (::1)', [['::1', 128]], 'ipv6'),
  rule('unique_local', 'IPv6 unique local (fc00::/7)', [['fc00::', 7]], 'ipv6'),
  rule('link_local', 'IPv6 link-local (fe80::/10)', [['fe80::', 10], ['fec0::', 10]], 'ipv6'),
  rule('multicast', 'IPv6 multicast (ff00::/8)', [['ff00::', 8]], 'ipv6'),
  rule('ipv6_transition', 'an IPv6 transition address that may embed a private IPv4 address', [
    ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16], ['2001::', 32],
  ], 'ipv6'),
  rule('reserved', 'reserved for special use', [['2001:db8::', 32], ['100::', 64], ['2001:10::', 28], ['2001:20::', 28]], 'ipv6'),
];

const globalUnicast6 = rule('reserved', 'outside IPv6 global unicast (2000::/3)', [['2000::', 3]], 'ipv6');

/** Expands an IPv6 literal (any legal spelling, zone id stripped) to its 8 hextets. */
export const ipv6Hextets = (address: string): number[] | null => {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
  if (isIP(a) !== 6) return null;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (tail) {
    const o = tail[1]!.split('.').map(Number);
    a = a.slice(0, -tail[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, rest] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const fill = a.includes('::') ? new Array<string>(8 - h.length - r.length).fill('0') : [];
  const parts = [...h, ...fill, ...r].map((p) => parseInt(p, 16));
  return parts.length === 8 && parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff) ? parts : null;
};

/** The IPv4 address carried by an IPv4-mapped (::ffff:a.b.c.d) or -compatible (::a.b.c.d) IPv6 address. */
const embeddedIpv4 = (hextets: number[]): string | null => {
  const zeros5 = hextets.slice(0, 5).every((n) => n === 0);
  if (!zeros5) return null;
  const mapped = hextets[5] === 0xffff;
  const compatible = hextets[5] === 0 && (hextets[6]! !== 0 || hextets[7]! > 1);
  if (!mapped && !compatible) return null;
  const [hi, lo] = [hextets[6]!, hextets[7]!];
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
};

const refuse = (category: BlockedCategory, what: string, address: string): AddressVerdict => ({
  allowed: false,
  category,
  reason: `${address} is ${what}`,
});

/** Decides whether a connection to `address` (an IP literal, never a name) is allowed. */
export const classifyAddress = (address: string): AddressVerdict => {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) {
    const hit = ipv4Rules.find((r) => r.list.check(bare, 'ipv4'));
    return hit ? refuse(hit.category, hit.label, bare) : { allowed: true };
  }
  if (family === 6) {
    const hextets = ipv6Hextets(bare);
    if (!hextets) return refuse('invalid', 'not a valid IP address', bare);
    const v4 = embeddedIpv4(hextets);
    if (v4) {
      const inner = classifyAddress(v4);
      return inner.allowed ? refuse('ipv6_transition', 'an IPv4-mapped IPv6 address', bare)
        : { ...inner, reason: `${bare} is an IPv4-mapped IPv6 address of ${inner.reason}` };
    }
    const hit = ipv6Rules.find((r) => r.list.check(bare, 'ipv6'));
    if (hit) return refuse(hit.category, hit.label, bare);
    if (!globalUnicast6.list.check(bare, 'ipv6')) return refuse('reserved', globalUnicast6.label, bare);
    return { allowed: true };
  }
  return refuse('invalid', 'not a valid IP address', address);
};

/**
 * Save-time check of a webhook URL, the same policy the adapter applies when sending (so a bad
 * URL is a 400 naming the field, not a delivery that fails later): no user name or password in
 * the URL, and a literal IP host (however spelled: the URL parser has already turned `2130706433`,
 * `0x7f.1` or `[::ffff:7f00:1]` into a canonical address) must be public. Names are resolved only
 * at send time. Hosts in `allowedHosts` (WEBHOOK_ALLOWED_HOSTS) skip the address check, as at send
 * time. Returns the problem, or null when the URL may be saved; an unparsable URL is left to the schema.
 */
export const webhookUrlProblem = (url: string, allowedHosts: readonly string[] = []): string | null => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.username || u.password) return 'may not contain a user name or password (put credentials in the Authorization header)';
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowedHosts.some((h) => h.trim().toLowerCase() === host) || !isIP(host)) return null;
  const verdict = classifyAddress(host);
  return verdict.allowed ? null : `must point at a public address: ${verdict.reason}`;
};

/** {@link webhookUrlProblem} for each `[path, url]`: one issue per refused URL, naming its field. */
export const webhookUrlIssues = (
  urls: Array<[path: string, url: string]>,
  allowedHosts: readonly string[] = [],
): Array<{ path: string; message: string }> =>
  urls.flatMap(([path, url]) => {
    const message = webhookUrlProblem(url, allowedHosts);
    return message ? [{ path, message }] : [];
  });
