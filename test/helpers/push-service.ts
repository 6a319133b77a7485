/**
 * A local Web Push service (RFC 8030) for tests: an HTTPS server on 127.0.0.1 that acts as the
 * browser vendor's push service AND as the browser holding the subscription. Written with
 * node:crypto only, independently of the `web-push` package Switchboard sends with:
 * - it checks the VAPID Authorization header as RFC 8292 says: `vapid t=<JWT>, k=<key>`, the JWT
 *   is ES256-signed by `k`, `aud` is the endpoint's origin, `exp` is in the future (and within
 *   24 hours), `sub` is a mailto: or https: URL;
 * - it decrypts the body as RFC 8291 says (`Content-Encoding: aes128gcm`, RFC 8188 framing):
 *   ECDH between the subscription's private key and the sender's key from the header, HKDF with
 *   the subscription's auth secret, AES-128-GCM, padding delimiter removed.
 * Each subscription can be told how to answer: accept (201), gone (410), an HTTP status, or hang.
 */
import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { selfSignedCert } from './https-server.js';

export type Behaviour = 'accept' | 'gone' | 'hang' | number;

export type ReceivedPush = {
  subscriptionId: string;
  headers: Record<string, string | string[] | undefined>;
  /** The decrypted payload (what the phone's service worker gets), parsed as JSON when it is JSON. */
  text: string;
  json: any;
  vapid: { aud: string; exp: number; sub: string; key: string };
  answered: number | 'hung';
};

export type TestSubscription = {
  id: string;
  /** As `PushSubscription.toJSON()` gives it in a browser. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
};

export type LocalPushService = {
  origin: string;
  /** The self-signed certificate's PEM file (WEBHOOK_CA_FILE: trusted for webhook and push requests). */
  caFile: string;
  /** A new browser subscription: fresh P-256 key pair and auth secret. */
  subscribe(behaviour?: Behaviour): TestSubscription;
  setBehaviour(id: string, b: Behaviour): void;
  received: ReceivedPush[];
  /** Requests refused before decryption (bad VAPID, bad encoding), with the reason. */
  rejected: Array<{ subscriptionId: string; reason: string }>;
  close(): Promise<void>;
};

const b64u = (b: Buffer) => b.toString('base64url');
const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/** HKDF-Expand for one block (L <= 32), as RFC 8291 uses it. */
const expand = (prk: Buffer, info: Buffer, len: number) => hmac(prk, Buffer.concat([info, Buffer.from([1])])).subarray(0, len);

/** RFC 8291 section 3.4 + RFC 8188: one aes128gcm body -> plaintext. */
export const decryptAes128gcm = (body: Buffer, uaPrivate: ReturnType<typeof createECDH>, authSecret: Buffer): Buffer => {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  if (idlen !== 65 || asPublic[0] !== 4) throw new Error(`keyid must be the sender's 65-byte P-256 key, got ${idlen} bytes`);
  const records = body.subarray(21 + idlen);
  if (records.length > rs) throw new Error('more than one record: not expected for a push message');
  const ecdhSecret = uaPrivate.computeSecret(asPublic);
  const uaPublic = uaPrivate.getPublicKey();
  const prkKey = hmac(authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = expand(prkKey, keyInfo, 32);
  const prk = hmac(salt, ikm);
  const cek = expand(prk, Buffer.from('Content-Encoding: aes128gcm\0'), 16);
  const nonce = expand(prk, Buffer.from('Content-Encoding: nonce\0'), 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(records.subarray(records.length - 16));
  const padded = Buffer.concat([decipher.update(records.subarray(0, records.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('last record must end with the 0x02 padding delimiter');
  return padded.subarray(0, end);
};

/** RFC 8292: checks `vapid t=..., k=...` for this endpoint origin; returns the claims or throws. */
export const verifyVapid = (authorization: string | undefined, origin: string, now = Date.now()) => {
  const m = /^vapid\s+(.+)$/i.exec(authorization ?? '');
  if (!m) throw new Error('Authorization is not the vapid scheme');
  const params = Object.fromEntries(m[1]!.split(',').map((p) => p.trim().split('=') as [string, string]).map(([k, v]) => [k.trim(), v?.trim() ?? '']));
  const jwt = params.t;
  const key = params.k;
  if (!jwt || !key) throw new Error('vapid needs t= and k=');
  const [h, c, s] = jwt.split('.');
  if (!h || !c || !s) throw new Error('t is not a JWT');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (header.alg !== 'ES256') throw new Error(`JWT alg must be ES256, got ${header.alg}`);
  const raw = Buffer.from(key, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k must be an uncompressed P-256 public key');
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33)) }, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${h}.${c}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('JWT signature does not verify with k');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  if (claims.aud !== origin) throw new Error(`aud ${claims.aud} is not the endpoint origin ${origin}`);
  const nowS = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowS) throw new Error('exp is not in the future');
  if (claims.exp > nowS + 24 * 3600) throw new Error('exp is more than 24 hours ahead');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error('sub must be mailto: or https:');
  return { aud: claims.aud as string, exp: claims.exp as number, sub: claims.sub as string, key };
};

export const startPushService = async (): Promise<LocalPushService> => {
  const { key, cert } = selfSignedCert();
  const caFile = path.join(tmpdir(), `sb-push-ca-${randomBytes(4).toString('hex')}.pem`);
  writeFileSync(caFile, cert);
  const subs = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer; behaviour: Behaviour }>();
  const received: ReceivedPush[] = [];
  const rejected: LocalPushService['rejected'] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  let origin = '';

  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1] ?? '';
      const sub = subs.get(id);
      if (req.method !== 'POST' || !sub) return void res.writeHead(404).end();
      let vapid: ReceivedPush['vapid'];
      let text: string;
      try {
        vapid = verifyVapid(req.headers.authorization, origin);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('Content-Encoding must be aes128gcm');
        if (!req.headers.ttl) throw new Error('TTL header is required');
        text = decryptAes128gcm(Buffer.concat(chunks), sub.ecdh, sub.auth).toString('utf8');
      } catch (err) {
        rejected.push({ subscriptionId: id, reason: (err as Error).message });
        return void res.writeHead(400).end((err as Error).message);
      }
      let json: unknown = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      const b = sub.behaviour;
      const answered = b === 'hang' ? 'hung' : b === 'accept' ? 201 : b === 'gone' ? 410 : b;
      received.push({ subscriptionId: id, headers: req.headers, text, json, vapid, answered });
      if (answered === 'hung') return void hanging.add(res);
      res.writeHead(answered, answered === 201 ? { location: `${origin}/message/${randomBytes(6).toString('hex')}` } : {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // `localhost` (not 127.0.0.1): the certificate names it, and it is what PUSH_ALLOWED_HOSTS lists.
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    caFile,
    received,
    rejected,
    subscribe(behaviour: Behaviour = 'accept') {
      const id = randomBytes(8).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      subs.set(id, { ecdh, auth, behaviour });
      return { id, json: { endpoint: `${origin}/push/${id}`, keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } } };
    },
    setBehaviour(id, b) { subs.get(id)!.behaviour = b; },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
};
