/**
 * `GET /v1/activations/:id/stream` — websocket live feed of one activation: a `snapshot`
 * (status and counts) on connect, then every delivery and activation change as its own JSON
 * message (`{ type: 'delivery' | 'activation' | …, … }`), as the engine publishes them.
 *
 * Authentication, before the upgrade (401/404 as plain HTTP):
 * - `Authorization: Bearer <API key>` (server-side clients);
 * - `?access_token=<API key>` for browsers, which cannot set headers on a websocket — keep such
 *   URLs out of shared logs (the key is in the query string);
 * - any other authenticator the composition root passes (the dashboard's session cookie).
 */
import websocket from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { AuthContext } from '../../../src/accounts/accounts-service.js';
import type { ActivationQueries } from '../../../src/engine/activation-queries.js';
import { isUuid } from '../../../src/db/db.js';
import { NotFoundError, UnauthorizedError } from '../../../src/errors.js';
import type { FeedEvent, FeedSubscriber } from '../../../src/engine/feed.js';
import { auth, type Authenticator } from '../../auth.js';

export type ActivationStreamOpts = {
  /** The same list `/v1` uses (bearer key, dashboard session…). */
  authenticators: Authenticator[];
  authenticateKey(key: string): Promise<AuthContext>;
  /** Owned by this plugin: closed with the app. */
  feed: FeedSubscriber;
  queries: Pick<ActivationQueries, 'summary' | 'exists'>;
  /** Keep-alive ping interval. */
  pingMs?: number;
};

/** `?access_token=` as a last resort, for browsers' websockets. */
export const accessTokenAuthenticator = (authenticateKey: (key: string) => Promise<AuthContext>): Authenticator => async (req) => {
  const token = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' && token.length > 0 ? authenticateKey(token) : null;
};

export const activationStreamRoutes: FastifyPluginAsync<ActivationStreamOpts> = async (app, opts) => {
  await app.register(websocket, { options: { maxPayload: 4096 } });
  app.addHook('onClose', async () => opts.feed.close());
  const authenticators = [...opts.authenticators, accessTokenAuthenticator(opts.authenticateKey)];

  const authenticate = async (req: FastifyRequest) => {
    for (const a of authenticators) {
      const ctx = await a(req);
      if (ctx) {
        req.auth = ctx;
        break;
      }
    }
    if (!req.auth) throw new UnauthorizedError();
    const id = (req.params as { id: string }).id;
    if (!isUuid(id) || !(await opts.queries.exists(req.auth.accountId, id))) throw new NotFoundError('activation');
  };

  app.get('/v1/activations/:id/stream', { websocket: true, preValidation: authenticate, schema: { hide: true } }, async (socket: WebSocket, req) => {
    const accountId = auth(req).accountId;
    const activationId = (req.params as { id: string }).id;
    const send = (m: unknown) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    // Subscribe first, then snapshot: a change between the two is held and sent right after the
    // snapshot (possibly duplicating what it counted), never lost and never ahead of it.
    let held: FeedEvent[] | null = [];
    const unsubscribe = await opts.feed.subscribe(accountId, activationId, (events: FeedEvent[]) => {
      if (held) held.push(...events);
      else for (const e of events) send(e);
    });
    const ping = setInterval(() => socket.ping(), opts.pingMs ?? 30_000);
    socket.on('close', () => {
      clearInterval(ping);
      void unsubscribe();
    });
    try {
      const s = await opts.queries.summary(accountId, activationId);
      if (s) send({ type: 'snapshot', activationId, ...s });
    } catch (err) {
      req.log.warn({ err, activationId }, 'activation stream snapshot failed');
    } finally {
      const early = held ?? [];
      held = null;
      for (const e of early) send(e);
    }
  });
};
