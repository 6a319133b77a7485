import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `web/` at the package root, from the source tree (tsx) or from `dist/` after a build. */
export const webRoot = (): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'web', 'index.html'))) return path.join(dir, 'web');
    dir = path.dirname(dir);
  }
  throw new Error('dashboard assets (web/index.html) not found next to package.json');
};

// Everything is served from this origin: no CDN, no inline script, nothing framed.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' https: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * The dashboard: a small single-page app of plain ES modules and CSS in `web/`, served at `/`.
 * Only the files present at start-up get routes (no catch-all), each with an ETag so repeat
 * loads are 304s; the page talks to `/auth/*`, `/v1/*` and the activation websocket.
 */
export const dashboardRoutes: FastifyPluginAsync<{ root?: string }> = async (app, opts) => {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });
  // Browser libraries from node_modules, served from this origin (the CSP allows no CDN): SortableJS
  // for the sequence timeline's drag and drop.
  const require = createRequire(import.meta.url);
  for (const [route, file] of [['/vendor/sortable.esm.js', 'sortablejs/modular/sortable.esm.js']] as const) {
    const body = readFileSync(require.resolve(file));
    const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"`;
    app.get(route, { schema: { hide: true } }, async (req, reply) => {
      reply.header('cache-control', 'no-cache').header('etag', etag);
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type('text/javascript; charset=utf-8').send(body);
    });
  }
  await app.register(fastifyStatic, {
    root: opts.root ?? webRoot(),
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    etag: true,
    lastModified: true,
    cacheControl: false,
    schemaHide: true,
    setHeaders: (reply) => {
      // Revalidate on each load (cheap 304s) so a deploy is picked up without stale modules.
      reply.header('cache-control', 'no-cache');
    },
  });
};
