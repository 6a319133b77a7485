import type { FieldIssue } from '../errors.js';
import { findPlaceholders, render } from '../templates/templates.js';
import type { Action, WorkflowInput } from './workflow-types.js';

/** Every text of an action that may hold `[[placeholders]]` / `{{fields}}`, with its field path. */
export const actionTexts = (a: Action, i: number): Array<[path: string, text: string]> => {
  const p = `actions.${i}`;
  const out: Array<[string, string | undefined | null]> = [];
  switch (a.type) {
    case 'notification':
      out.push([`${p}.message`, a.message], [`${p}.subject`, a.subject], [`${p}.prompt.text`, a.prompt?.text], [`${p}.poll.question`, a.poll?.question]);
      a.poll?.options.forEach((o, j) => out.push([`${p}.poll.options.${j}`, o]));
      break;
    case 'conference':
      out.push([`${p}.intro`, a.intro]);
      break;
    case 'webhook':
      out.push([`${p}.url`, a.url], [`${p}.body`, a.body], [`${p}.prompt.text`, a.prompt?.text]);
      break;
    case 'pager':
      out.push([`${p}.message`, a.message]);
      break;
  }
  return out.filter((t): t is [string, string] => typeof t[1] === 'string' && t[1].length > 0);
};

// A sample with every character JSON must escape: a body that survives it survives any value.
const SAMPLE = 'Sample "value" \\ with\nnew line';
const anyField = new Proxy({}, { get: () => SAMPLE, has: () => true }) as Record<string, string>;

/**
 * The product's rules beyond the schema, without I/O. Returns every broken rule with the path of
 * the field to fix (empty when the definition is fine).
 */
export const checkDefinitionRules = (input: WorkflowInput): FieldIssue[] => {
  const issues: FieldIssue[] = [];
  const ids = new Map<string, number>();
  const conferenceLines = new Map<string, number>();
  input.actions.forEach((a, i) => {
    if (a.id !== undefined) {
      const seen = ids.get(a.id);
      if (seen !== undefined) issues.push({ path: `actions.${i}.id`, message: `repeats actions.${seen}.id` });
      else ids.set(a.id, i);
    }
    if (input.codeActivation) {
      for (const [path, text] of actionTexts(a, i)) {
        const names = findPlaceholders(text);
        if (names.length > 0) {
          issues.push({ path, message: `a workflow with code activation cannot use [[placeholders]] (found [[${names.join(']], [[')}]]): callers have no way to fill them in` });
        }
      }
    }
    if (a.type === 'webhook' && a.body !== undefined && a.body.trim() !== '') {
      const values = Object.fromEntries(findPlaceholders(a.body).map((n) => [n, SAMPLE]));
      try {
        JSON.parse(render(a.body, values, anyField, 'json'));
      } catch (err) {
        issues.push({ path: `actions.${i}.body`, message: `must be valid JSON once [[placeholders]] and {{fields}} are filled in (put them inside quoted strings): ${(err as Error).message}` });
      }
    }
    if (a.type === 'conference') {
      const seen = conferenceLines.get(a.lineId);
      if (seen !== undefined) issues.push({ path: `actions.${i}.lineId`, message: `actions.${seen} already holds a conference on this line (one conference per line)` });
      else conferenceLines.set(a.lineId, i);
    }
  });
  return issues;
};

/**
 * Every line, group and attachment the definition names must belong to the account: returns
 * an issue for each that does not (a 400, so another account's ids are not told apart from
 * ids that do not exist). `known(table, ids)` answers which of the ids are rows of the account.
 */
export const checkReferences = async (
  input: WorkflowInput, known: (table: 'lines' | 'groups' | 'attachments', ids: string[]) => Promise<Set<string>>,
): Promise<FieldIssue[]> => {
  const lines: Array<[string, string]> = [];
  const groups: Array<[string, string]> = [];
  const attachments: Array<[string, string]> = [];
  if (input.codeActivation) lines.push(['codeActivation.lineId', input.codeActivation.lineId]);
  input.actions.forEach((a, i) => {
    if ((a.type === 'conference' || a.type === 'pager') && a.lineId) lines.push([`actions.${i}.lineId`, a.lineId]);
    if ('groupIds' in a) a.groupIds.forEach((g, j) => groups.push([`actions.${i}.groupIds.${j}`, g]));
    if (a.type === 'notification' && a.attachmentId) attachments.push([`actions.${i}.attachmentId`, a.attachmentId]);
  });
  const ids = (refs: Array<[string, string]>) => refs.map((r) => r[1]);
  // Sequential: `known` may query through a transaction's client, which runs one query at a time.
  const l = await known('lines', ids(lines));
  const g = await known('groups', ids(groups));
  const t = await known('attachments', ids(attachments));
  return [
    ...lines.filter(([, id]) => !l.has(id)).map(([path]) => ({ path, message: 'no such line in this account' })),
    ...groups.filter(([, id]) => !g.has(id)).map(([path]) => ({ path, message: 'no such group in this account' })),
    ...attachments.filter(([, id]) => !t.has(id)).map(([path]) => ({ path, message: 'no such attachment in this account' })),
  ];
};
