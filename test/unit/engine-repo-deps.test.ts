import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, tsFiles } from '../helpers/import-graph.js';

/**
 * Services receive the statements they run as `Pick<…Repo>` dependencies (wired in
 * src/engine/action-engine.ts, src/init/*, and each feature's module), never by importing them: a
 * service that needs a query names it in its deps type. So a non-repo file of src/engine,
 * src/rules, src/tracking or src/sequences imports from a `*-repo.js` module only types, the pure
 * helpers below (no statement), and — in the composition files alone — the repo objects they wire.
 */
const pureHelpers = new Set([
  'toChange', // deliveries-repo: a delivery row as a feed event
  'toDelivery', // deliveries-repo: a row mapper
  'toActivation', // activations-repo: a row mapper
  'keyOf', // activation-batch-repo: a map key
  'actionById', // rules-repo: finds an action in a rule already read
]);
/**
 * Where repo objects (`engineRepo`, `readyPlansRepo`…) are wired into services: the engine's, and
 * each feature's module.
 */
const compositionFiles = new Set(['action-engine.ts', 'rules-module.ts', 'tracking-module.ts', 'sequences-module.ts']);

const fromRepo = /(import|export)\s+(type\s+)?([^;=()]*?)\s+from\s+['"](\.{1,2}\/[^'"]*-repo\.js)['"]|import\(\s*['"](\.{1,2}\/[^'"]*-repo\.js)['"]\s*\)/g;

/** Names a clause (`a, type B, c as d`, `* as ns`, `def, { x }`) brings in as values. */
const valueNames = (clause: string): string[] => {
  const named = /\{([^}]*)\}/.exec(clause)?.[1];
  const rest = clause.replace(/\{[^}]*\}/, '').split(',').map((s) => s.trim()).filter(Boolean);
  const names = (named ?? '').split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('type '))
    .map((s) => s.split(/\s+as\s+/)[0]!.trim());
  // A default or namespace import is the whole module: never a pure helper.
  return [...names, ...rest.map((r) => (r.startsWith('*') ? r : `default as ${r}`))];
};

/** `file: name from module` for each value a non-repo file takes from a repository module. */
export const repoValueImports = (files: string[]): string[] =>
  files.filter((f) => !f.endsWith('-repo.ts')).flatMap((f) => {
    const base = path.basename(f);
    return [...readFileSync(f, 'utf8').matchAll(fromRepo)].flatMap((m) => {
      if (m[5]) return [`${base}: import() of ${m[5]}`];
      if (m[2]) return []; // `import type` / `export type`
      return valueNames(m[3]!)
        .filter((n) => !pureHelpers.has(n) && !(compositionFiles.has(base) && /^[a-z]\w*Repo$/.test(n)))
        .map((n) => `${base}: ${n} from ${m[4]}`);
    });
  });

describe('engine, rules, tracking and sequences services get their statements as Pick<…Repo> dependencies', () => {
  it('no non-repo file of src/engine imports a statement from a *-repo.js module', () => {
    expect(repoValueImports(tsFiles(path.join(projectRoot, 'src', 'engine')))).toEqual([]);
  });

  it('no non-repo file of src/rules, src/tracking, src/sequences imports a statement from a *-repo.js module', () => {
    const files = ['rules', 'tracking', 'sequences'].flatMap((d) => tsFiles(path.join(projectRoot, 'src', d)));
    expect(repoValueImports(files)).toEqual([]);
  });

  it('would see a statement imported by a service, and only that (the check itself can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'repo-deps-check-'));
    const write = (name: string, code: string) => {
      writeFileSync(path.join(dir, name), code);
      return path.join(dir, name);
    };
    const files = [
      write('things-service.ts', [
        "import { toChange, finish, type Delivery } from './deliveries-repo.js';",
        "import type { EngineRepo } from './engine-repo.js';",
        'import {\n  completeIfDone as done,\n  type PlanInput,\n} from \'./engine-repo.js\';',
        "import * as outbox from './outbox-repo.js';",
        "import { engineRepo } from './engine-repo.js';",
        "export { claimSendable } from './contact-refusals-repo.js';",
        "const lazy = await import('./sweeper-repo.js');",
      ].join('\n')),
      write('action-engine.ts', "import { deliveriesRepo } from './deliveries-repo.js';\nimport { finish } from './deliveries-repo.js';\n"),
      write('things-repo.ts', "import { finish } from './deliveries-repo.js';\n"),
      // A feature's sender importing the engine's statements (as rules, tracking and sequences did).
      write('sequence-sender.ts', "import { readyPlansRepo } from '../engine/ready-plans-repo.js';\nimport { actionById } from './rules-repo.js';\n"),
      write('sequences-module.ts', "import { readyPlansRepo } from '../engine/ready-plans-repo.js';\nimport { findSendingLine } from '../engine/sending-lines-repo.js';\n"),
    ];
    expect(repoValueImports(files)).toEqual([
      'things-service.ts: finish from ./deliveries-repo.js',
      'things-service.ts: completeIfDone from ./engine-repo.js',
      'things-service.ts: * as outbox from ./outbox-repo.js',
      'things-service.ts: engineRepo from ./engine-repo.js',
      'things-service.ts: claimSendable from ./contact-refusals-repo.js',
      'things-service.ts: import() of ./sweeper-repo.js',
      'action-engine.ts: finish from ./deliveries-repo.js',
      'sequence-sender.ts: readyPlansRepo from ../engine/ready-plans-repo.js',
      'sequences-module.ts: findSendingLine from ../engine/sending-lines-repo.js',
    ]);
  });
});
