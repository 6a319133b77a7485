/**
 * Every relative link in README.md and docs/*.md (and adapters' READMEs) points to a file that
 * exists, and, where it names an anchor (`docs/RULES.md#callbacks`, `#quick-start`), to a heading
 * of that file: moving text between the README and docs/ cannot leave a dead link behind.
 * Anchors are GitHub's: the heading's text, lower case, punctuation dropped, spaces as hyphens,
 * `-1`, `-2` on repeated headings.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** The markdown files checked, relative to the repository root. */
const markdownFiles = (): string[] => {
  const files = ['README.md'];
  for (const f of readdirSync(path.join(root, 'docs')).sort()) if (f.endsWith('.md')) files.push(`docs/${f}`);
  const walk = (dir: string): void => {
    for (const f of readdirSync(path.join(root, dir)).sort()) {
      const rel = `${dir}/${f}`;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (f.endsWith('.md')) files.push(rel);
    }
  };
  walk('adapters');
  return files;
};

/** The text outside fenced code blocks, line by line (fenced lines become empty: line numbers stay). */
const proseLines = (text: string): string[] => {
  let fence: string | null = null;
  return text.split('\n').map((line) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === null) fence = m[1]![0]!;
      else if (m[1]![0] === fence) fence = null;
      return '';
    }
    return fence === null ? line : '';
  });
};

/** GitHub's anchor of a heading's text. */
const slug = (heading: string): string =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');

/** Every anchor a markdown text defines: its headings (repeats numbered) and `<a id|name="…">`. */
const anchorsOf = (text: string): Set<string> => {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(text)) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(a[1]!);
  }
  return anchors;
};

type Link = { line: number; target: string };

/** Relative link targets of a markdown text: `[x](t)`, `![x](t)`, `[x]: t`; not in code. */
const linksOf = (text: string): Link[] => {
  const links: Link[] = [];
  proseLines(text).forEach((raw, i) => {
    const line = raw.replace(/(`+)[^`]*?\1/g, ''); // inline code spans
    const targets = [
      ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
      ...[...line.matchAll(/^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]!),
    ];
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      links.push({ line: i + 1, target });
    }
  });
  return links;
};

/** What is wrong with each relative link of `file` (repository-relative), given a file reader. */
const deadLinks = (file: string, text: string, read: (rel: string) => string | null): string[] => {
  const problems: string[] = [];
  for (const { line, target } of linksOf(text)) {
    const hash = target.indexOf('#');
    const pathPart = decodeURI(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
    const rel = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart));
    const where = `${file}:${line} → ${target}`;
    if (rel.startsWith('..')) {
      problems.push(`${where}: outside the repository`);
      continue;
    }
    const content = rel === file ? text : read(rel);
    if (content === null) {
      problems.push(`${where}: ${rel} does not exist`);
      continue;
    }
    if (anchor !== null && anchor !== '' && rel.endsWith('.md') && !anchorsOf(content).has(anchor)) {
      problems.push(`${where}: no heading "#${anchor}" in ${rel}`);
    }
  }
  return problems;
};

const readRepo = (rel: string): string | null => {
  const abs = path.join(root, rel);
  if (!existsSync(abs)) return null;
  return statSync(abs).isDirectory() ? '' : rel.endsWith('.md') ? readFileSync(abs, 'utf8') : '';
};

describe('documentation links', () => {
  it('every relative link in README.md and docs/*.md points to an existing file and heading', () => {
    const files = markdownFiles();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/API.md', 'docs/DASHBOARD.md']));
    const problems = files.flatMap((f) => deadLinks(f, readFileSync(path.join(root, f), 'utf8'), readRepo));
    expect(problems).toEqual([]);
  });

  it('the README links every docs/*.md page', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const linked = new Set(linksOf(readme).map((l) => l.target.split('#')[0]));
    const pages = markdownFiles().filter((f) => f.startsWith('docs/'));
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });

  it('the README keeps the quick start commands that .ci/run and the quickstart tests rely on', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/^npm start {5}# install, start PostgreSQL \+ Redis \(data in \.\/\.data\)/m);
    expect(readme).toMatch(/^npm test {6}# the same bootstrap, then type-check and run every test$/m);
    expect(readFileSync(path.join(root, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
  });

  it('reports a missing file, a missing heading and a link out of the repository (the checker itself)', () => {
    const files: Record<string, string> = {
      'docs/A.md': '# Title\n## Push to responders\' phones (Web Push)\n## Same\n## Same\n',
      'docs/screenshots/x.png': '',
    };
    const text = [
      '[ok](A.md#push-to-responders-phones-web-push) [ok](A.md#same-1) ![ok](screenshots/x.png) [ok](#here)',
      '[web](https://example.com/nope.md) `[code](nope.md)`',
      '```',
      '[fenced](nope.md)',
      '```',
      '## Here',
      '[dead](B.md) [dead anchor](A.md#same-2) [out](../../x.md) [self](#nowhere)',
    ].join('\n');
    expect(deadLinks('docs/C.md', text, (rel) => files[rel] ?? null)).toEqual([
      'docs/C.md:7 → B.md: docs/B.md does not exist',
      'docs/C.md:7 → A.md#same-2: no heading "#same-2" in docs/A.md',
      'docs/C.md:7 → ../../x.md: outside the repository',
      'docs/C.md:7 → #nowhere: no heading "#nowhere" in docs/C.md',
    ]);
  });
});
