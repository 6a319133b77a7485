import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Signed tracking tokens. A token is 44 base64url characters: the delivery id (16 bytes) and an
 * HMAC-SHA256 (truncated to 128 bits) under a key derived from SECRET_KEY (HKDF, its own label,
 * so it signs nothing else). An open token signs the delivery; a click token signs the delivery
 * and the exact target URL, so neither can be forged, moved to another delivery or pointed at
 * another URL (no open redirect). Pure: no I/O.
 */
export type TrackingTokens = {
  openToken(deliveryId: string): string;
  clickToken(deliveryId: string, url: string): string;
  /** The delivery id of a valid open token; null for anything else. */
  verifyOpen(token: string): string | null;
  /** The delivery id of a valid click token for exactly this URL; null for anything else. */
  verifyClick(token: string, url: string): string | null;
};

const TOKEN = /^[A-Za-z0-9_-]{44}$/;

const uuidToBytes = (id: string): Buffer => {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error('delivery id must be a UUID');
  return Buffer.from(hex, 'hex');
};
const bytesToUuid = (b: Buffer): string => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export const createTrackingTokens = (secretKey: string): TrackingTokens => {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'switchboard', 'email-tracking/v1', 32));
  const sig = (id: Buffer, purpose: string, url = ''): Buffer =>
    createHmac('sha256', key).update(purpose).update('\0').update(id).update('\0').update(url, 'utf8').digest().subarray(0, 16);
  const make = (deliveryId: string, purpose: string, url?: string) => {
    const id = uuidToBytes(deliveryId);
    return id.toString('base64url') + sig(id, purpose, url).toString('base64url');
  };
  const verify = (token: string, purpose: string, url?: string): string | null => {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const id = Buffer.from(token.slice(0, 22), 'base64url');
    const given = Buffer.from(token.slice(22), 'base64url');
    if (id.length !== 16 || given.length !== 16) return null;
    // Only the canonical encoding is accepted (base64url's last character carries spare bits).
    if (id.toString('base64url') !== token.slice(0, 22) || given.toString('base64url') !== token.slice(22)) return null;
    return timingSafeEqual(given, sig(id, purpose, url)) ? bytesToUuid(id) : null;
  };
  return {
    openToken: (d) => make(d, 'open'),
    clickToken: (d, url) => make(d, 'click', url),
    verifyOpen: (t) => verify(t, 'open'),
    verifyClick: (t, url) => verify(t, 'click', url),
  };
};
