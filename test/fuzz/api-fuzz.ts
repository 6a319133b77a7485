/**
 * Property-based fuzzing of every REST API body: each POST/PUT/PATCH route under /v1, taken from
 * the app's route table (new routes are fuzzed without being listed anywhere), gets bodies
 * generated from its own OpenAPI schema with hostile values mixed in, random JSON and broken
 * text, and path parameters that are the account's real ids, random UUIDs or garbage.
 *
 * FUZZ_RUNS (default 10,000) cases per route family (the first path segment: `contacts`,
 * `workflows`, `sequences`…), spread over its routes. The families are split over a few test
 * files (api-bodies-N.test.ts) so they run in parallel. Every response must be below 500, and a
 * rejected request (4xx) must have written nothing: every table's inserted/updated/deleted rows
 * are counted by triggers before and after it (write-counter.ts). FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntimeWithCarrier } from '../helpers/carrier.js';
import { createTestAccount, type TestRuntime } from '../helpers/runtime.js';
import { apiWriteRoutes, bodySchemas, openApiPath, type JsonSchema, type Route } from './route-table.js';
import { hostileStrings, wireBody, type WireBody } from './schema-arbitrary.js';
import { resolveRoute, seedAccount, type Seeded } from './seed-account.js';
import { installWriteCounter, type WriteCounter } from './write-counter.js';

export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

type Target = Route & { url: string | null; schema: JsonSchema | undefined };
export type Failure = { route: string; url: string; status: number; body: string; sent: string; writes?: string[] };

/** A path segment for a hostile string (a lone surrogate cannot be percent-encoded: raw bytes). */
export const segment = (s: string): string => {
  try {
    return encodeURIComponent(s) || '%20';
  } catch {
    return '%ED%A0%80';
  }
};

export type ApiFuzzEnv = {
  t: TestRuntime; app: FastifyInstance; key: string; seeded: Seeded; counter: WriteCounter; families: Map<string, Target[]>; close(): Promise<void>;
};

/** The runtime's Twilio is the local carrier emulator: line checks and set-ups stay on this machine. */
export const startApiFuzzEnv = async (): Promise<ApiFuzzEnv> => {
  const env = await startRuntimeWithCarrier({ WEBHOOK_TIMEOUT_MS: '200', PROMPT_TIMEOUT_MS: '100', LOGIN_RATE_LIMIT: '10000' }, { web: true, worker: false });
  const t = env.t;
  const app = t.rt.app!;
  const a = await createTestAccount(t);
  const seeded = await seedAccount(t, a, env);
  const schemas = await bodySchemas(app);
  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${a.key}` } }).then((r) => ({ status: r.statusCode, body: r.json() }));
  const families = new Map<string, Target[]>();
  for (const r of apiWriteRoutes(app)) {
    const resolved = await resolveRoute(r.path, seeded, get);
    const target: Target = { ...r, url: 'url' in resolved ? resolved.url : null, schema: schemas.get(`${r.method} ${openApiPath(r.path)}`) };
    const family = r.path.split('/')[2]!;
    families.set(family, [...(families.get(family) ?? []), target]);
  }
  // Writes that legitimately follow any request: the key's last-used time, a dispatch finishing late.
  const counter = await installWriteCounter(t.rt.infra.db, ['api_keys.upd', 'outbox.upd']);
  return { t, app, key: a.key, seeded, counter, families, close: env.close };
};

/** Sends one case the way a client would. */
export const sendBody = (env: Pick<ApiFuzzEnv, 'app' | 'key'>, method: string, url: string, body: WireBody) => env.app.inject({
  method: method as 'POST', url,
  headers: { authorization: `Bearer ${env.key}`, 'content-type': 'json' in body ? 'application/json' : body.contentType },
  payload: 'json' in body ? JSON.stringify(body.json) : body.raw,
});

/** The URL a case hits: the owner's real ids mostly, sometimes a random UUID or a hostile segment. */
const urlArb = (r: Target) => fc.oneof(
  { arbitrary: fc.constant(r.url ?? r.path), weight: 6 },
  { arbitrary: fc.uuid().map((u) => r.path.replace(/:[A-Za-z_]\w*/g, u)), weight: 1 },
  { arbitrary: fc.constantFrom(...hostileStrings).map((s) => r.path.replace(/:[A-Za-z_]\w*/g, segment(s))), weight: 1 },
);

/** Fuzzes one family; returns its counts and pushes every 5xx or partial write to `failures`. */
export const fuzzFamily = async (env: ApiFuzzEnv, family: string, failures: Failure[], runs = FUZZ_RUNS) => {
  const targets = env.families.get(family)!;
  const st = { cases: 0, ok: 0, rejected: 0, ms: 0 };
  const t0 = performance.now();
  let last = await env.counter.snapshot();
  // One arbitrary per route, built once (schema-driven arbitraries are costly to build).
  const arb = fc.oneof(...targets.map((r) => fc.tuple(fc.constant(r), urlArb(r), wireBody(r.schema, { ids: env.seeded.all }))));
  await fc.assert(fc.asyncProperty(arb, async ([r, url, body]) => {
    const res = await sendBody(env, r.method, url, body);
    // A softphone call's greeting writes its call row behind the answer: count it with its own request.
    await env.t.rt.services.telephony.calls.flush();
    const now = await env.counter.snapshot();
    const writes = env.counter.diff(last, now);
    last = now;
    st.cases++;
    const report = () => ({ route: `${r.method} ${r.path}`, url, status: res.statusCode, body: res.body.slice(0, 300), sent: JSON.stringify('json' in body ? body.json : body).slice(0, 400) });
    if (res.statusCode >= 500) failures.push(report());
    else if (res.statusCode >= 400) {
      st.rejected++;
      if (writes.length) failures.push({ ...report(), writes });
    } else st.ok++;
    return true;
  }), { numRuns: runs, seed: SEED, endOnFailure: true });
  st.ms = Math.round(performance.now() - t0);
  return st;
};

/** Test file `part` of `parts`: the families whose sorted index is `part` modulo `parts`. */
export const defineApiFuzz = (part: number, parts: number) => {
  describe(`fuzz: API bodies, part ${part + 1} of ${parts} (no 5xx, no partial write)`, () => {
    let env: ApiFuzzEnv;
    beforeAll(async () => {
      env = await startApiFuzzEnv();
    }, 120_000);
    afterAll(async () => env?.close());

    it(`sends ${FUZZ_RUNS} cases to each of its route families`, async () => {
      const mine = [...env.families.keys()].sort().filter((_, i) => i % parts === part);
      expect(mine.length).toBeGreaterThan(0);
      const failures: Failure[] = [];
      const stats: Record<string, Awaited<ReturnType<typeof fuzzFamily>>> = {};
      for (const family of mine) stats[family] = await fuzzFamily(env, family, failures);
      console.log(`api fuzz part ${part + 1}/${parts}: ${JSON.stringify(stats)}`);
      expect(failures.slice(0, 15)).toEqual([]);
      for (const [family, st] of Object.entries(stats)) expect(st.cases, family).toBeGreaterThanOrEqual(FUZZ_RUNS);
    }, 1_800_000);
  });
};
