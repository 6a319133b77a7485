/**
 * The install is honest about Node versions and reproducible from the lock file:
 * - every installed package supports every Node version our `engines.node` names (a dependency
 *   that needs a newer Node than we promise breaks installs on the oldest one we claim);
 * - the Node running the tests and the Docker base image are within that range;
 * - `npm ci` accepts package.json + package-lock.json as they are (a lock out of sync makes the
 *   Docker build and `npm start` fail on a clean copy).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const ours = pkg.engines.node;

/** package.json of every installed package, nested node_modules included. */
const installed = function* (dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      yield* installed(full);
      continue;
    }
    if (existsSync(path.join(full, 'package.json'))) yield path.join(full, 'package.json');
    yield* installed(path.join(full, 'node_modules'));
  }
};

describe('Node engines and the lock file', () => {
  it('names a valid range that includes the Node running the tests', () => {
    expect(semver.validRange(ours), `engines.node "${ours}"`).not.toBeNull();
    expect(semver.satisfies(process.versions.node, ours), `Node ${process.versions.node} vs "${ours}"`).toBe(true);
  });

  it('every installed package supports every Node version in our engines range', () => {
    const offenders: string[] = [];
    let scanned = 0;
    for (const file of installed(path.join(root, 'node_modules'))) {
      const p = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; engines?: { node?: unknown } };
      scanned++;
      const theirs = p.engines?.node;
      if (typeof theirs !== 'string' || !semver.validRange(theirs)) continue;
      if (!semver.subset(ours, theirs)) offenders.push(`${p.name}@${p.version} needs node "${theirs}" (${path.relative(root, file)})`);
    }
    expect(scanned).toBeGreaterThan(100);
    expect(offenders, `packages that exclude part of "${ours}"`).toEqual([]);
  });

  it('the Docker image runs a supported LTS Node inside our range', () => {
    const froms = [...readFileSync(path.join(root, 'Dockerfile'), 'utf8').matchAll(/^FROM\s+node:(\d+)[\w.-]*/gm)].map((m) => Number(m[1]));
    expect(froms.length).toBeGreaterThan(0);
    for (const major of froms) {
      expect(major % 2, `node:${major} is not an LTS line`).toBe(0);
      expect(major, `node:${major} is past its end of life`).toBeGreaterThanOrEqual(22);
      expect(semver.intersects(`${major}.x`, ours), `node:${major} vs "${ours}"`).toBe(true);
    }
  });

  it('npm ci accepts package.json and package-lock.json as committed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-npm-ci-'));
    try {
      copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      copyFileSync(path.join(root, 'package-lock.json'), path.join(dir, 'package-lock.json'));
      const res = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile('npm', ['ci', '--dry-run', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, timeout: 90_000 },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }));
      });
      expect(res.out.split('\n').filter((l) => /npm error/.test(l)).slice(0, 8).join('\n')).toBe('');
      expect(res.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
