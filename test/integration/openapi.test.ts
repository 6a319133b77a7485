import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

type Operation = { operationId?: string; summary?: string };
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `/docs/json` is the published contract: it must be valid OpenAPI and every operation named and summarised. */
describe('GET /docs/json', () => {
  let t: TestRuntime;
  let doc: Record<string, any>;
  beforeAll(async () => {
    t = await startTestRuntime({}, { web: true, worker: false });
    doc = (await t.http().get('/docs/json').expect(200)).body;
  });
  afterAll(async () => t?.close());

  const operations = () => Object.entries(doc.paths as Record<string, Record<string, Operation>>)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => ({ where: `${m.toUpperCase()} ${path}`, op: item[m]! })));

  it('is a valid OpenAPI document: every $ref resolves, every schema is well formed', async () => {
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('has no $ref pointing at a component that does not exist', () => {
    const missing = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') {
          const target = x.replace(/^#\//, '').split('/').reduce<any>((o, p) => o?.[p.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
          if (target === undefined) missing.add(x);
        } else walk(x);
      }
    };
    walk(doc);
    expect([...missing]).toEqual([]);
  });

  it('gives every operation an operationId and a summary, and no operationId twice', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(50);
    expect(ops.filter((o) => !o.op.operationId).map((o) => o.where)).toEqual([]);
    expect(ops.filter((o) => !o.op.summary?.trim()).map((o) => o.where)).toEqual([]);
    const seen = new Map<string, string>();
    const dups: string[] = [];
    for (const o of ops) {
      const prev = seen.get(o.op.operationId!);
      if (prev) dups.push(`${o.op.operationId}: ${prev} and ${o.where}`);
      else seen.set(o.op.operationId!, o.where);
    }
    expect(dups).toEqual([]);
  });
});
