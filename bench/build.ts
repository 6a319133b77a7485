/**
 * Benchmarks run the gateway and worker processes from the compiled build, as production does
 * (`bin/switchboard` runs dist/src/cli.js; the Docker image has no tsx): `tsx` adds its loader,
 * source maps and a second copy of every module to each process (~60 MB of RSS on the worker).
 * `ensureBuild()` runs `npm run build` when dist/ is missing or older than a source file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The compiled CLI (`switchboard <command>`). */
export const compiledCli = path.join(root, 'dist', 'src', 'cli.js');

const DIRS = ['src', 'routes', 'adapters', 'ivr', 'dev'];

/** Newest mtime of the files ending in `ext` under `dir` (0 if none). */
const newest = (dir: string, ext: string): number => {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (e.name.endsWith(ext) && !e.name.endsWith('.d.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
};

export const ensureBuild = (): void => {
  const sources = Math.max(...DIRS.map((d) => newest(path.join(root, d), '.ts')));
  const built = Math.max(...DIRS.map((d) => newest(path.join(root, 'dist', d), '.js')));
  if (existsSync(compiledCli) && built >= sources) return;
  process.stderr.write('bench: compiling (npm run build)…\n');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  // Type errors still emit JavaScript (noEmitOnError is off); only a missing build is fatal.
  if (!existsSync(compiledCli)) throw new Error(`npm run build produced no ${compiledCli} (exit ${r.status})`);
  if (r.status !== 0) process.stderr.write(`bench: tsc reported type errors (exit ${r.status}); running the emitted build\n`);
};
