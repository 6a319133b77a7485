/**
 * The end every benchmark with a `pass` record shares: its result written to
 * bench/results/<name>.json and printed, then an error naming each missed target or check (the
 * script exits non-zero through `runBench`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const results = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export const report = (name: string, result: { pass: Record<string, boolean> }): void => {
  mkdirSync(results, { recursive: true });
  writeFileSync(path.join(results, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const missed = Object.entries(result.pass).filter(([, ok]) => !ok).map(([k]) => k);
  if (missed.length > 0) throw new Error(`missed: ${missed.join(', ')}`);
};

/** Runs `main`; exits 0, or 1 with `bench:<name> failed:` and the error on stderr. */
export const runBench = (name: string, main: () => Promise<void>): void => {
  main().then(() => process.exit(0), (err: unknown) => {
    process.stderr.write(`bench:${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
};
