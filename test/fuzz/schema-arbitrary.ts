/**
 * fast-check arbitraries for request bodies, driven by the route's own JSON schema (from the
 * OpenAPI document), so most cases get past the first validation layer and reach services and
 * SQL: mostly well-formed values, with a wrong type, a hostile string, a missing required key or
 * an unknown key mixed in at any depth. Also fully random JSON and broken JSON text.
 */
import fc from 'fast-check';
import type { JsonSchema } from './route-table.js';

/** Strings that have broken real systems: NUL, lone surrogates, SQL, templates, XML, huge. */
export const hostileStrings = [
  '', ' ', '\u0000', 'a\u0000b', '\uD800', '\uDFFF\uD800', '😀'.repeat(3), 'Ω≈ç√', '\u202Eevil', '\r\n\r\n',
  "'; DROP TABLE contacts;--", '" OR 1=1 --', '\\', '%', '_', '%00', '../../etc/passwd',
  '{{contact.name}}', '{{', '[[x]]', '[[', '<Say>hi</Say>', ']]>', '<?xml version="1.0"?>', '&amp;',
  'null', 'true', '0', '-1', '1e309', 'NaN', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '+14155550123', '+1', '+999999999999999999', 'https://127.0.0.1/', 'https://example.com/hook', 'http://169.254.169.254/',
  'x'.repeat(2_001), 'y'.repeat(70_000), '2026-02-30T25:61:00Z', 'Europe/Nowhere', 'UTC', '*', '#', '7377',
];

const hostileNumbers = [0, -1, 1, -0.5, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, 5e-324];

const anyString = () => fc.oneof(
  { arbitrary: fc.constantFrom(...hostileStrings), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
);

/** A value of the wrong kind for any field. */
export const offValue = (): fc.Arbitrary<unknown> => fc.oneof(
  anyString(),
  fc.constantFrom(...hostileNumbers),
  fc.constantFrom(null, true, false, [], {}, [null], { '': null }, JSON.parse('{"__proto__":{"polluted":1}}'), { constructor: { prototype: { x: 1 } } }),
  fc.jsonValue({ maxDepth: 2 }),
);

const safeRegex = (pattern: string): fc.Arbitrary<string> | null => {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return null;
  }
};

export type SchemaArbOptions = {
  /** Real ids of the account's objects, mixed into uuid fields so references resolve. */
  ids: string[];
  /** 1 in `offEvery` values is replaced with an off value (default 14). */
  offEvery?: number;
};

const stringArb = (s: JsonSchema, name: string, o: SchemaArbOptions): fc.Arbitrary<unknown> => {
  const min = Number(s.minLength ?? 0);
  const max = Math.min(Number(s.maxLength ?? 40), 60);
  const fmt = String(s.format ?? '');
  if (fmt === 'uuid') return fc.oneof({ arbitrary: fc.constantFrom(...o.ids), weight: 3 }, { arbitrary: fc.uuid(), weight: 1 });
  if (fmt === 'email') return fc.emailAddress();
  if (fmt === 'uri') return fc.oneof(fc.webUrl({ validSchemes: ['https'] }), fc.webUrl());
  if (fmt === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (typeof s.pattern === 'string') {
    const r = safeRegex(s.pattern);
    if (r) return r;
  }
  if (/phone|^to$|^from$|number/i.test(name)) return fc.constantFrom('+14155550123', '+14155550199', '+442071838750', '+1 (415) 555-0101', '5550101', '');
  if (/time$|^time/i.test(name)) return fc.constantFrom('09:00', '23:59', '24:00', '9', '');
  if (/zone/i.test(name)) return fc.constantFrom('UTC', 'America/New_York', 'Europe/Paris', 'Mars/Base');
  if (/(^|_)id$|Id$/.test(name)) return fc.oneof(fc.constantFrom(...o.ids), fc.uuid(), fc.string({ maxLength: 8 }));
  return fc.string({ minLength: min, maxLength: Math.max(min, max) });
};

/** An arbitrary for one schema node; `name` is the property name (a hint for plain strings). */
export const fromSchema = (schema: JsonSchema | undefined, o: SchemaArbOptions, name = '', depth = 0): fc.Arbitrary<unknown> => {
  const off = o.offEvery ?? 14;
  const node = proper(schema ?? {}, o, name, depth);
  return fc.oneof({ arbitrary: node, weight: off - 1 }, { arbitrary: offValue(), weight: 1 });
};

const proper = (s: JsonSchema, o: SchemaArbOptions, name: string, depth: number): fc.Arbitrary<unknown> => {
  if (depth > 6) return fc.constant(null);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  const alts = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (alts?.length) return fc.oneof(...alts.map((a) => proper(a, o, name, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) return proper(Object.assign({}, ...(s.allOf as JsonSchema[])), o, name, depth);
  const type = Array.isArray(s.type) ? (s.type as string[]) : s.type ? [s.type as string] : [];
  if (type.length > 1) return fc.oneof(...type.map((ty) => proper({ ...s, type: ty }, o, name, depth)));
  switch (type[0]) {
    case 'null': return fc.constant(null);
    case 'boolean': return fc.boolean();
    case 'integer': return fc.integer({ min: Math.max(Number(s.minimum ?? -1000), -1e6), max: Math.min(Number(s.maximum ?? 100_000), 1e7) });
    case 'number': return fc.double({ min: Math.max(Number(s.minimum ?? -1000), -1e6), max: Math.min(Number(s.maximum ?? 100_000), 1e7), noNaN: true, noDefaultInfinity: true });
    case 'string': return stringArb(s, name, o);
    case 'array': {
      const items = (s.items ?? {}) as JsonSchema;
      const max = Math.min(Number(s.maxItems ?? 3), 3);
      return fc.array(fromSchema(items, o, name, depth + 1), { minLength: Math.min(Number(s.minItems ?? 0), max), maxLength: max });
    }
    case 'object': return objectArb(s, o, depth);
    default:
      if (s.properties) return objectArb(s, o, depth);
      return fc.jsonValue({ maxDepth: 2 });
  }
};

const objectArb = (s: JsonSchema, o: SchemaArbOptions, depth: number): fc.Arbitrary<unknown> => {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of Object.entries(props)) model[k] = fromSchema(v, o, k, depth + 1);
  const base = fc.record(model, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
  // Now and then a required key goes missing or an unknown key appears.
  return fc.tuple(base, fc.nat({ max: 19 }), fc.string({ maxLength: 12 }), offValue()).map(([obj, roll, key, val]) => {
    const out = { ...(obj as Record<string, unknown>) };
    if (roll === 0 && required.size) delete out[[...required][0]!];
    if (roll === 1) out[key || 'extra'] = val;
    return out;
  });
};

/** A body as sent on the wire: JSON of a schema value, random JSON, or broken text. */
export type WireBody = { json: unknown } | { raw: string; contentType: string };

export const wireBody = (schema: JsonSchema | undefined, o: SchemaArbOptions): fc.Arbitrary<WireBody> => fc.oneof(
  { arbitrary: fromSchema(schema, o).map((json) => ({ json })), weight: 14 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })), weight: 2 },
  {
    arbitrary: fc.tuple(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('{', '{"a":', '[1,]', '{"__proto__":{"x":1}}', 'null', '')),
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml'))
      .map(([raw, contentType]) => ({ raw, contentType })),
    weight: 1,
  },
);
