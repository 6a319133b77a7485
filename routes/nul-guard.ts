import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../src/errors.js';

/**
 * PostgreSQL cannot store U+0000 in `text` or `jsonb`: a string carrying one used to reach the
 * driver and come back as a 500 (found by the API and webhook fuzzers, test/fuzz/). This refuses
 * it at the door instead, naming the field — as a `preHandler`, so carrier webhooks still check
 * their signature first.
 */
export const findNul = (v: unknown, path: string[] = [], depth = 0): string | null => {
  if (typeof v === 'string') return v.includes('\u0000') ? path.join('.') : null;
  if (depth > 64 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return null;
  for (const [k, x] of Object.entries(v)) {
    if (k.includes('\u0000')) return [...path, k].join('.');
    const found = findNul(x, [...path, k], depth + 1);
    if (found !== null) return found;
  }
  return null;
};

export const registerNulGuard = (app: FastifyInstance): void => {
  app.addHook('preHandler', async (req) => {
    for (const [part, value] of [['body', req.body], ['query', req.query], ['params', req.params]] as const) {
      const at = findNul(value);
      if (at !== null) throw ValidationError.field(part === 'body' ? at || 'body' : [part, at].filter(Boolean).join('.'), 'may not contain NUL (\\u0000) characters');
    }
  });
};
