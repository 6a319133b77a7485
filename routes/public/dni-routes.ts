import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { DniNumbersService } from '../../src/tracking/dni-numbers-service.js';
import { visitQuerySchema } from '../../src/tracking/dni-types.js';
import { fromZod } from '../../src/errors.js';

export type PublicDniRoutesOpts = {
  numbers: Pick<DniNumbersService, 'settingsForKey' | 'numberFor'>;
  /** Shared by every web process, so the limit holds across them. */
  redis: Redis;
  redisPrefix: string;
  /** Requests per minute per client address and key (DNI_RATE_LIMIT). */
  perMinute: number;
};

const keyOf = (req: FastifyRequest): string => {
  const k = (req.query as Record<string, unknown> | undefined)?.key;
  return typeof k === 'string' ? k.slice(0, 100) : '';
};

const cors = (reply: FastifyReply, origin: string | undefined) => {
  reply.header('vary', 'origin');
  if (origin) reply.header('access-control-allow-origin', origin);
};

/**
 * `GET /dni/number?key=<public DNI key>&visitor=…&utm_source=…&referrer=…&gclid=…&page=…`: the
 * number a web page shows this visitor (the snippet `/dni.js` asks it). Public: the key names an
 * account and reveals only one of its pool numbers. CORS for the account's allowed origins (any
 * when none is set; another origin is a 403); rate limited per client address and key; an unknown
 * key is a bare 404. Answers `{ number, display, visitor, expiresAt }` (number null: no pool applies).
 */
export const publicDniRoutes: FastifyPluginAsync<PublicDniRoutesOpts> = async (app, o) => {
  await app.register(rateLimit, {
    global: false,
    redis: o.redis,
    nameSpace: `${o.redisPrefix}:dni-rl:`,
    skipOnError: true,
    keyGenerator: (req) => `${req.ip}|${keyOf(req)}`,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: 'rate_limited', message: `too many requests: try again in ${ctx.after}`, details: null }),
  });

  app.options('/dni/number', { schema: { hide: true } }, async (req, reply) => {
    cors(reply, req.headers.origin);
    return reply.status(204).header('access-control-allow-methods', 'GET').header('access-control-max-age', '600').send();
  });

  app.get('/dni/number', { schema: { hide: true }, config: { rateLimit: { max: o.perMinute, timeWindow: 60_000 } } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const parsed = visitQuerySchema.safeParse(req.query ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const settings = await o.numbers.settingsForKey(parsed.data.key);
    if (!settings) return reply.status(404).send({ error: 'not_found', message: 'not found', details: null, requestId: req.id });
    const origin = req.headers.origin;
    if (origin && settings.allowedOrigins.length > 0 && !settings.allowedOrigins.includes(origin)) {
      reply.header('vary', 'origin');
      return reply.status(403).send({ error: 'forbidden', message: 'this site may not ask for numbers', details: null, requestId: req.id });
    }
    cors(reply, origin);
    const a = await o.numbers.numberFor(settings, parsed.data);
    return { number: a.number, display: a.display, visitor: a.visitor, expiresAt: a.expiresAt };
  });
};
