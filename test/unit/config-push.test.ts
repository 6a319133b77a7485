import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, pushProviderOf } from '../../src/config.js';

const base = { DATABASE_URL: 'postgres://x/y', REDIS_URL: 'redis://x', SECRET_KEY: 'k'.repeat(32) };
const pub = `B${'A'.repeat(86)}`; // 0x04... as base64url: 87 characters
const priv = 'A'.repeat(43);
const issues = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (err) {
    return (err as ConfigError).issues;
  }
};

describe('Web Push settings', () => {
  it('defaults to webpush with a key pair, none without', () => {
    expect(pushProviderOf(loadConfig({ ...base, VAPID_PUBLIC_KEY: pub, VAPID_PRIVATE_KEY: priv }))).toBe('webpush');
    expect(pushProviderOf(loadConfig(base))).toBe('none');
    expect(pushProviderOf(loadConfig({ ...base, PUSH_PROVIDER: 'simulator', VAPID_PUBLIC_KEY: pub, VAPID_PRIVATE_KEY: priv }))).toBe('simulator');
  });

  it('names each bad or missing key', () => {
    expect(issues({ PUSH_PROVIDER: 'webpush' })).toEqual([expect.stringMatching(/^VAPID_PUBLIC_KEY: is required when PUSH_PROVIDER=webpush/)]);
    expect(issues({ VAPID_PUBLIC_KEY: pub })).toEqual([expect.stringMatching(/^VAPID_PRIVATE_KEY: is required with the other VAPID key/)]);
    expect(issues({ VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: priv })).toEqual([expect.stringMatching(/^VAPID_PUBLIC_KEY: must be a base64url P-256 public key/)]);
    expect(issues({ VAPID_PUBLIC_KEY: pub, VAPID_PRIVATE_KEY: 'x' })).toEqual([expect.stringMatching(/^VAPID_PRIVATE_KEY: must be a base64url P-256 private key/)]);
    expect(issues({ VAPID_SUBJECT: 'http://example.com' })).toEqual([expect.stringMatching(/^VAPID_SUBJECT: must be a mailto: address or an https:\/\/ URL/)]);
  });
});
