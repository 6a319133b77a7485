import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../src/errors.js';

/**
 * Text PostgreSQL cannot store: U+0000 (refused in `text` and `jsonb`) and unpaired UTF-16
 * surrogates (JSON.stringify writes them as `\ud800` escapes, which `jsonb` refuses; in `text` they
 * would silently become U+FFFD). Either used to reach the driver and come back as a 500 (found by
 * the API and webhook fuzzers, test/fuzz/). This refuses them at the door, naming the field — as a
 * `preHandler`, so carrier webhooks still check their signature first.
 */
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The dotted path of the first string (or key) in `v` that PostgreSQL cannot store, else null. */
export const findBadText = (v: unknown, path: string[] = [], depth = 0): string | null => {
  const at = badPath(v, depth);
  return at === null ? null : [...path, ...at].join('.');
};

/**
 * The path of the first bad string, else null.
 * Allocates nothing on the way down: every request body goes through this (carrier webhooks too).
 */
const badPath = (v: unknown, depth: number): string[] | null => {
  if (typeof v === 'string') return BAD_TEXT.test(v) ? [] : null;
  if (depth > 64 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return null;
  for (const k of Object.keys(v)) {
    if (BAD_TEXT.test(k)) return [k];
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'string' ? !BAD_TEXT.test(x) : x === null || typeof x !== 'object') continue;
    const found = badPath(x, depth + 1);
    if (found !== null) return [k, ...found];
  }
  return null;
};

const refuse = (part: 'body' | 'query' | 'params', at: string) =>
  ValidationError.field(part === 'body' ? at || 'body' : [part, at].filter(Boolean).join('.'), 'may not contain NUL characters or unpaired UTF-16 surrogates');

export const registerTextGuard = (app: FastifyInstance): void => {
  // Callback style, not async, and no arrays: every request passes here, and an async hook costs
  // a promise and a microtask hop per request for what is a synchronous check.
  app.addHook('preHandler', (req, _reply, done) => {
    let at = findBadText(req.body);
    if (at !== null) return done(refuse('body', at));
    at = findBadText(req.query);
    if (at !== null) return done(refuse('query', at));
    at = findBadText(req.params);
    if (at !== null) return done(refuse('params', at));
    done();
  });
};
