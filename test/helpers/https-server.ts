import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type ReceivedRequest = { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string };
export type Responder = (req: ReceivedRequest, res: ServerResponse) => unknown;

export type LocalHttpsServer = {
  /** `https://localhost:<port>` */
  url: string;
  port: number;
  /** The self-signed certificate (PEM): trust it per client (`ca`), never globally. */
  ca: string;
  requests: ReceivedRequest[];
  /** Replaces the handler; the default answers 200 `{"ok":true}`. */
  respond(fn: Responder): void;
  close(): Promise<void>;
};

let cached: { key: string; cert: string } | null = null;

/** A throw-away self-signed certificate for localhost / 127.0.0.1, made with the openssl CLI. */
export const selfSignedCert = (): { key: string; cert: string } => {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cached = { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** A local HTTPS server (self-signed) that records every request it receives. */
export const startHttpsServer = async (): Promise<LocalHttpsServer> => {
  const { key, cert } = selfSignedCert();
  const requests: ReceivedRequest[] = [];
  let responder: Responder = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  };
  const server = https.createServer({ key, cert }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      Promise.resolve(responder(r, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://localhost:${port}`,
    port,
    ca: cert,
    requests,
    respond(fn) {
      responder = fn;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
};
