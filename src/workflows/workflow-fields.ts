import type { Queryable } from '../db/db.js';
import type { FieldIssue } from '../errors.js';
import { unknownFields, WORKFLOW_FIELDS } from '../templates/known-fields.js';
import type { WorkflowInput } from './workflow-types.js';

/** The texts of an action that are rendered with `{{fields}}` (a poll and a URL are sent as written). */
const renderedTexts = (a: WorkflowInput['actions'][number], p: string): Array<[string, string | undefined]> => {
  switch (a.type) {
    case 'notification': return [[`${p}.message`, a.message], [`${p}.subject`, a.subject], [`${p}.prompt.text`, a.prompt?.text]];
    case 'webhook': return [[`${p}.body`, a.body], [`${p}.prompt.text`, a.prompt?.text]];
    case 'conference': return [[`${p}.intro`, a.intro]];
    default: return [];
  }
};

/** Custom field names some contact of the account has (of `names`). */
const customFieldsInUse = async (q: Queryable, accountId: string, names: string[]): Promise<Set<string>> => {
  if (names.length === 0) return new Set();
  const res = await q.query(
    `SELECT k FROM unnest($2::text[]) AS k WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = $1 AND c.custom_fields ? k)`,
    [accountId, names],
  );
  return new Set(res.rows.map((r) => r.k as string));
};

/**
 * Every `{{field}}` a workflow's texts use must be one it is rendered with: the activation's
 * fields (WORKFLOW_FIELDS, `{{craig_prompt_output}}` included) or a custom field some contact of
 * the account has. Anything else would be sent empty: one issue per text naming the unknown fields.
 */
export const checkFieldNames = async (q: Queryable, accountId: string, input: WorkflowInput): Promise<FieldIssue[]> => {
  const found = input.actions.flatMap((a, i) => renderedTexts(a, `actions.${i}`).map(([path, text]) => ({ path, names: unknownFields(text, WORKFLOW_FIELDS) })))
    .filter((f) => f.names.length > 0);
  if (found.length === 0) return [];
  const custom = await customFieldsInUse(q, accountId, [...new Set(found.flatMap((f) => f.names))]);
  return found.flatMap(({ path, names }) => {
    const unknown = names.filter((n) => !custom.has(n));
    if (unknown.length === 0) return [];
    return [{
      path,
      message: `unknown field ${unknown.map((n) => `{{${n}}}`).join(', ')}: use ${WORKFLOW_FIELDS.map((n) => `{{${n}}}`).join(', ')} `
        + 'or a custom field your contacts have (it would be sent empty)',
    }];
  });
};
