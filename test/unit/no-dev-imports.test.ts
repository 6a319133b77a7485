/**
 * dev/ (the carrier emulator and its standalone process) is for tests, benchmarks and local runs
 * only: nothing that ships may import it, and the build leaves it out (ARCHITECTURE.md, issue 18).
 * A static scan of every import specifier, resolved against the importing file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const devDir = path.join(root, 'dev') + path.sep;
const shipped = ['src', 'routes', 'adapters', 'ivr', 'bin'];

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });

/** `from '…'`, `import '…'`, `import('…')`, `require('…')`: every module specifier in the text. */
const importSpecifiers = (code: string): string[] => {
  const found: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"`]([^'"`]+)['"`]/g];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]!);
  return found;
};

const importsOfDev = (file: string): string[] =>
  importSpecifiers(readFileSync(file, 'utf8'))
    .filter((s) => s.startsWith('.'))
    .filter((s) => (path.resolve(path.dirname(file), s) + path.sep).startsWith(devDir))
    .map((s) => `${path.relative(root, file)} imports ${s}`);

describe('dev/ is test and development only', () => {
  it('finds the imports it looks for (the scan itself works)', () => {
    const code = `import { a } from '../dev/x.js';\nimport type { B } from "./b.js";\nexport * from '../../dev/y.js';\nconst c = await import('../dev/z.js');`;
    expect(importSpecifiers(code).sort()).toEqual(['../../dev/y.js', '../dev/x.js', '../dev/z.js', './b.js']);
  });

  it('no file under src/, routes/, adapters/, ivr/ or bin/ imports from dev/', () => {
    const files = shipped.flatMap((d) => sourceFiles(path.join(root, d)));
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap(importsOfDev)).toEqual([]);
  });

  it('the build and the Docker image leave dev/ out', () => {
    const build = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(build.include).not.toContain('dev');
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).not.toMatch(/^COPY\s+dev\b/m);
  });
});
