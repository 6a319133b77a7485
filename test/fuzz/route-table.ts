/**
 * The app's own route table, so the fuzz and tenancy checks cover routes added later without
 * anyone listing them: `app.printRoutes()` parsed into (method, path) pairs, and the OpenAPI
 * document (`/docs/json`) for request body schemas.
 */
import type { FastifyInstance } from 'fastify';

export type Route = { method: string; path: string };

/**
 * Parses `printRoutes({ commonPrefix: false })`: one node per line, its depth given by the
 * column of the tree marker (4 per level), its path segment appended to its parent's.
 */
export const parseRouteTree = (text: string): Route[] => {
  const stack: string[] = [];
  const out: Route[] = [];
  for (const line of text.split('\n')) {
    const m = /^([\s│]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?\s*$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push({ method, path });
  }
  return out;
};

export const routeTable = (app: FastifyInstance): Route[] => parseRouteTree(app.printRoutes({ commonPrefix: false }));

/** `/v1/groups/:id/members/:contactId` -> `/v1/groups/{id}/members/{contactId}` (OpenAPI form). */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');

export const pathParams = (path: string): string[] => [...path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]!);

export type JsonSchema = Record<string, unknown>;

/** Request body schemas from `/docs/json`, keyed `METHOD /openapi/{path}`. */
export const bodySchemas = async (app: FastifyInstance): Promise<Map<string, JsonSchema>> => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
  };
  const out = new Map<string, JsonSchema>();
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (schema) out.set(`${method.toUpperCase()} ${p}`, schema);
    }
  }
  return out;
};

/** POST/PUT/PATCH routes of the REST API (everything under `/v1` that takes a body). */
export const apiWriteRoutes = (app: FastifyInstance): Route[] =>
  routeTable(app).filter((r) => r.path.startsWith('/v1/') && ['POST', 'PUT', 'PATCH'].includes(r.method));

/** Every API route a tenant's ids could appear in: methods other than HEAD under `/v1` with a path parameter. */
export const apiRoutesWithIds = (app: FastifyInstance): Route[] =>
  routeTable(app).filter((r) => r.path.startsWith('/v1/') && r.method !== 'HEAD' && pathParams(r.path).length > 0);

/** Carrier webhooks: every POST under `/webhooks/`. */
export const webhookRoutes = (app: FastifyInstance): Route[] =>
  routeTable(app).filter((r) => r.path.startsWith('/webhooks/') && r.method === 'POST');
