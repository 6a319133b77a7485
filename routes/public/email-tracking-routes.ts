import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { EmailTrackingService } from '../../src/email-tracking/email-tracking-service.js';

export type EmailTrackingRoutesOpts = { tracking: Pick<EmailTrackingService, 'recordOpen' | 'recordClick' | 'validOpen' | 'validClick'> };

/** A 1×1 transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const notFound = (req: FastifyRequest, reply: FastifyReply) =>
  reply.status(404).header('cache-control', 'no-store').send({ error: 'not_found', message: 'not found', details: null, requestId: req.id });

const requestOf = (req: FastifyRequest) => ({ userAgent: req.headers['user-agent'] ?? null, ip: req.ip ?? null });

/**
 * Public e-mail tracking URLs (no credentials: the signed token is the key; src/email-tracking).
 * - `GET /t/o/<token>.gif`: the open pixel; always the same GIF, never cached.
 * - `GET /t/c/<token>?u=<url>`: records the click and redirects (302) to `u` — only when the
 *   token signs exactly that URL for that delivery, so it can never be used as an open redirect.
 * A tampered, foreign or unknown token is a bare 404 (nothing says which part was wrong).
 * A storage failure after a valid token still serves the pixel / redirect: the reader comes first.
 */
export const emailTrackingRoutes: FastifyPluginAsync<EmailTrackingRoutesOpts> = async (app, { tracking }) => {
  app.get<{ Params: { file: string } }>('/t/o/:file', { schema: { hide: true } }, async (req, reply) => {
    const m = /^([A-Za-z0-9_-]{44})\.gif$/.exec(req.params.file);
    if (!m) return notFound(req, reply);
    let recorded = false;
    try {
      recorded = (await tracking.recordOpen(m[1]!, requestOf(req))).recorded;
    } catch (err) {
      req.log.error({ err }, 'e-mail open not recorded');
      recorded = tracking.validOpen(m[1]!);
    }
    if (!recorded) return notFound(req, reply);
    return reply
      .header('content-type', 'image/gif')
      .header('cache-control', 'no-store, no-cache, must-revalidate, private')
      .header('pragma', 'no-cache')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('referrer-policy', 'no-referrer')
      .send(PIXEL);
  });

  app.get<{ Params: { token: string }; Querystring: { u?: string | string[] } }>('/t/c/:token', { schema: { hide: true } }, async (req, reply) => {
    const url = req.query.u;
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return notFound(req, reply);
    let recorded = false;
    try {
      recorded = (await tracking.recordClick(req.params.token, url, requestOf(req))).recorded;
    } catch (err) {
      req.log.error({ err }, 'e-mail click not recorded');
      recorded = tracking.validClick(req.params.token, url);
    }
    if (!recorded) return notFound(req, reply);
    return reply.status(302).header('location', url).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
  });
};
