import { describe, expect, it } from 'vitest';
import { classifyAddress, ipv6Hextets } from '../../src/webhooks/ssrf-policy.js';

const blocked: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['169.254.169.254', 'cloud_metadata'],
  ['100.100.100.200', 'cloud_metadata'],
  ['169.254.1.1', 'link_local'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::', 'unspecified'],
  ['fd00:ec2::254', 'cloud_metadata'],
  ['fc00::1', 'unique_local'],
  ['fd12:3456:789a::1', 'unique_local'],
  ['fe80::1', 'link_local'],
  ['fe80::1%eth0', 'link_local'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:a9fe:a9fe', 'cloud_metadata'],
  ['::ffff:8.8.8.8', 'ipv6_transition'],
  ['::127.0.0.1', 'loopback'],
  ['64:ff9b::a00:1', 'ipv6_transition'],
  ['2002:7f00:1::', 'ipv6_transition'],
  ['2001:db8::1', 'reserved'],
  ['[::1]', 'loopback'],
  ['not-an-ip', 'invalid'],
  ['', 'invalid'],
];

describe('SSRF address policy', () => {
  it.each(blocked)('refuses %s as %s', (address, category) => {
    const v = classifyAddress(address);
    expect(v).toMatchObject({ allowed: false, category });
    if (!v.allowed) expect(v.reason.length).toBeGreaterThan(5);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e'])(
    'allows public %s',
    (address) => expect(classifyAddress(address)).toEqual({ allowed: true }),
  );

  it('expands every IPv6 spelling to the same hextets', () => {
    expect(ipv6Hextets('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(ipv6Hextets('0:0:0:0:0:ffff:7f00:0001')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(ipv6Hextets('fd00:ec2::254')).toEqual([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]);
    expect(ipv6Hextets('1.2.3.4')).toBeNull();
  });
});
