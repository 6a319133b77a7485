import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The project's root folder (this file is test/helpers/import-graph.ts). */
export const projectRoot = path.resolve(import.meta.dirname, '../..');

/** Every `.ts` file under `dir` (absolute paths). */
export const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });

const importPattern = /(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The project files a file imports through relative specifiers (`./x.js` resolved to `x.ts`). */
export const relativeImports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(importPattern)].map((m) =>
    path.resolve(path.dirname(file), (m[1] ?? m[2]!).replace(/\.js$/, '.ts')));

/**
 * The unit a file belongs to: `src/<folder>` for files in a folder of `src/`; a file directly in
 * `src/` is a unit of its own (`src/errors.ts` is imported by all, `src/main.ts` imports all);
 * else the top folder (`routes`, `adapters`, `ivr`, `dev`).
 */
export const unitOf = (file: string): string => {
  const parts = path.relative(projectRoot, file).split(path.sep);
  if (parts[0] === 'src') return parts.slice(0, 2).join('/');
  return parts[0]!;
};

/** Edges between units, each with the file imports that make it (`a.ts -> b.ts`). */
export const unitGraph = (tops: readonly string[]): Map<string, Map<string, string[]>> => {
  const graph = new Map<string, Map<string, string[]>>();
  for (const top of tops) {
    for (const file of tsFiles(path.join(projectRoot, top))) {
      const from = unitOf(file);
      for (const target of relativeImports(file)) {
        const to = unitOf(target);
        if (to === from) continue;
        const edges = graph.get(from) ?? new Map<string, string[]>();
        graph.set(from, edges);
        const why = edges.get(to) ?? [];
        edges.set(to, why);
        why.push(`${path.relative(projectRoot, file)} -> ${path.relative(projectRoot, target)}`);
      }
    }
  }
  return graph;
};

/** Strongly connected components with more than one node (Tarjan): each one is a cycle of units. */
export const cyclesOf = (graph: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] => {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
};
