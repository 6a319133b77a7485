/**
 * `npm run bench`: every `bench:*` script of package.json, one after another (new benchmarks are
 * picked up by name). Each prints its own figures and same-run baseline and writes
 * bench/results/<name>.json; this prints which ran, how long, and exits non-zero if one failed.
 * `npm run bench -- latency fanout` runs only those.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
const only = process.argv.slice(2);
const names = scripts.filter((s) => s.startsWith('bench:') && (only.length === 0 || only.includes(s.slice(6))));

const ran: Array<{ name: string; ok: boolean; seconds: number }> = [];
for (const name of names) {
  process.stdout.write(`\n=== npm run ${name} ===\n`);
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', '--silent', name], { cwd: root, stdio: 'inherit' });
  ran.push({ name, ok: r.status === 0, seconds: Math.round((Date.now() - t0) / 1000) });
}
process.stdout.write('\nbenchmark          result  seconds\n');
for (const r of ran) process.stdout.write(`${r.name.padEnd(18)} ${(r.ok ? 'ok' : 'FAILED').padEnd(7)} ${String(r.seconds).padStart(7)}\n`);
process.stdout.write('figures: bench/results/*.json, docs/BENCHMARKS.md\n');
process.exit(ran.every((r) => r.ok) ? 0 : 1);
