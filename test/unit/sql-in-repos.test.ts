import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, tsFiles } from '../helpers/import-graph.js';

/**
 * Every SQL statement lives in a repository (`*-repo.ts`): a service asks its repository, a route
 * asks a service. `src/db/` is the database layer itself (pool, transactions, migrations, paging
 * fragments for repositories) and is exempt.
 */
const statement = /\.query\s*[(<]|['"`]\s*(?:WITH\s+\w+\s+AS\s*\(|SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+(?:\w+\s+)?SET\s|DELETE\s+FROM\s)/;

/** `file:line` of each line that runs or spells a SQL statement outside a repository. */
export const sqlOutsideRepos = (files: string[]): string[] =>
  files.filter((f) => !f.endsWith('-repo.ts') && !f.includes(`${path.sep}src${path.sep}db${path.sep}`)).flatMap((f) =>
    readFileSync(f, 'utf8').split('\n').flatMap((line, i) =>
      statement.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//') ? [`${path.relative(projectRoot, f)}:${i + 1}`] : []));

describe('SQL lives in repositories', () => {
  it('no statement outside a *-repo.ts file in src/, routes/, adapters/ and ivr/', () => {
    const files = ['src', 'routes', 'adapters', 'ivr'].flatMap((d) => tsFiles(path.join(projectRoot, d)));
    expect(sqlOutsideRepos(files)).toEqual([]);
  });

  it('would see a query in a service, not in a repository (the check itself can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sql-check-'));
    const service = path.join(dir, 'things-service.ts');
    const repo = path.join(dir, 'things-repo.ts');
    const code = "const n = await db.query(\n  `UPDATE things t SET n = n + 1 WHERE id = $1`, [id]);\nconst s = 'SELECT 1';\n";
    writeFileSync(service, code);
    writeFileSync(repo, code);
    expect(sqlOutsideRepos([service, repo]).map((l) => l.split(':').pop())).toEqual(['1', '2', '3']);
  });
});
