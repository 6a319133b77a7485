import type { TrackingRequest } from './email-tracking-types.js';

/**
 * Recognises opens (and clicks) that a machine made, not the reader: mail clients and
 * providers that fetch every image (or follow every link) on the reader's behalf.
 * - Google's image proxy (`GoogleImageProxy` in the user agent), Yahoo's (`YahooMailProxy`);
 * - Apple Mail Privacy Protection: fetched from Apple's network (17.0.0.0/8) or with the bare
 *   `Mozilla/5.0` user agent its proxy sends, usually right after delivery;
 * - link and image scanners (`Barracuda`, `Mimecast`, `Proofpoint`, Microsoft Safe Links…);
 * - any fetch within PREFETCH_SECONDS of the send whose user agent names a proxy or prefetch.
 * A heuristic, not a proof: an unrecognised proxy still counts as a person. Pure.
 */
export const PREFETCH_SECONDS = 10;

const RULES: Array<[RegExp, string]> = [
  [/GoogleImageProxy/i, 'google_image_proxy'],
  [/YahooMailProxy/i, 'yahoo_mail_proxy'],
  [/^Mozilla\/5\.0$/, 'apple_mail_privacy_protection'],
  [/Barracuda|Mimecast|Proofpoint|SafeLinks|Safe Links|MSOffice-LinkScanner|Trend ?Micro/i, 'security_scanner'],
];

const isAppleNetwork = (ip: string | null): boolean => {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return /^17\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
};

export type MachineVerdict = { machine: boolean; reason: string | null };

export const detectMachine = (req: TrackingRequest, secondsSinceSent: number | null): MachineVerdict => {
  const ua = (req.userAgent ?? '').trim();
  for (const [re, reason] of RULES) if (re.test(ua)) return { machine: true, reason };
  if (isAppleNetwork(req.ip)) return { machine: true, reason: 'apple_mail_privacy_protection' };
  if (secondsSinceSent !== null && secondsSinceSent >= 0 && secondsSinceSent < PREFETCH_SECONDS && /proxy|prefetch|preview|scanner|bot\b/i.test(ua)) {
    return { machine: true, reason: 'prefetch_after_send' };
  }
  return { machine: false, reason: null };
};
